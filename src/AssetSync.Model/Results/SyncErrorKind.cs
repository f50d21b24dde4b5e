namespace AssetSync;

/// <summary>
/// Why an asset's fetch (or the write that follows it) failed: the contract's <c>error_kind</c> values, and the one type
/// the engine, the cmdlets, the SQL parameters and the reports use for them. <see cref="SyncErrorKinds"/> knows each
/// kind's contract name (not_found, client_error, …), whether it is retried and whether it defers the asset.
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

    /// <summary>401 or 403: the token was refused. Stops the whole run; never an asset's failure, so never in a log row.</summary>
    Credentials,
}
