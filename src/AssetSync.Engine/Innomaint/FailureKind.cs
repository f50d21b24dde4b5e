namespace AssetSync.Innomaint;

/// <summary>Why a fetch (or the write that follows it) failed. Decides both "retry?" and the log row's error_kind.</summary>
internal enum FailureKind
{
    /// <summary>404: the asset does not exist in Innomaint.</summary>
    NotFound,
    /// <summary>Any other 4xx the contract does not name as transient or credentials.</summary>
    ClientError,
    /// <summary>401 or 403: stops the whole run.</summary>
    Credentials,
    /// <summary>408, 429, 500, 502, 503, 504.</summary>
    Transient,
    /// <summary>Connection refused or reset, DNS or TLS failure.</summary>
    Network,
    /// <summary>No complete answer within the per-attempt timeout.</summary>
    Timeout,
    /// <summary>Not JSON, not an object, wrong asset, wrong field type, too large, bad UTF-8.</summary>
    InvalidResponse,
    /// <summary>The response was fine but writing it to the database failed.</summary>
    Database,
}

internal static class FailureKindExtensions
{
    /// <summary>The value stored in ic3_sync_log.error_kind and shown to users.</summary>
    public static string ToContractName(this FailureKind kind) => kind switch
    {
        FailureKind.NotFound => "not_found",
        FailureKind.ClientError => "client_error",
        FailureKind.Credentials => "credentials",
        FailureKind.Transient => "transient",
        FailureKind.Network => "network",
        FailureKind.Timeout => "timeout",
        FailureKind.InvalidResponse => "invalid_response",
        FailureKind.Database => "database",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The contract's "retried?" column.</summary>
    public static bool IsRetryable(this FailureKind kind) =>
        kind is FailureKind.Transient or FailureKind.Network or FailureKind.Timeout or FailureKind.InvalidResponse;

    /// <summary>Kinds that suggest Innomaint itself is down; consecutive ones open the circuit.</summary>
    public static bool SuggestsOutage(this FailureKind kind) =>
        kind is FailureKind.Transient or FailureKind.Network or FailureKind.Timeout;

    /// <summary>Maps an HTTP status that is not 2xx to its kind, as the contract's table says.</summary>
    public static FailureKind FromStatusCode(int status) => status switch
    {
        404 => FailureKind.NotFound,
        401 or 403 => FailureKind.Credentials,
        408 or 429 or 500 or 502 or 503 or 504 => FailureKind.Transient,
        >= 400 and < 500 => FailureKind.ClientError,
        // Other 5xx and unexpected 1xx/3xx: the server is not answering as promised; retrying may pass.
        _ => FailureKind.Transient,
    };
}
