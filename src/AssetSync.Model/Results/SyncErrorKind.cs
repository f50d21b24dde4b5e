namespace AssetSync;

/// <summary>
/// Why an asset failed: the contract's <c>error_kind</c> values. <see cref="SyncErrorKinds.ToContractName"/>
/// gives the name stored in ic3_sync_log (not_found, client_error, …); parameters accept either form.
/// </summary>
public enum SyncErrorKind
{
    /// <summary>404: the asset does not exist in Innomaint (deferred, not retried at once).</summary>
    NotFound,
    /// <summary>Another 4xx the contract does not name as transient or credentials (deferred).</summary>
    ClientError,
    /// <summary>408, 429, 500, 502, 503, 504: retried.</summary>
    Transient,
    /// <summary>Connection refused or reset, DNS or TLS failure: retried.</summary>
    Network,
    /// <summary>No complete answer within the per-attempt timeout: retried.</summary>
    Timeout,
    /// <summary>Not JSON, not an object, wrong asset, wrong field type, too large, undecodable: retried.</summary>
    InvalidResponse,
    /// <summary>The answer was fine but writing it to the database failed.</summary>
    Database,
}
