namespace AssetSync;

/// <summary>The circuit breaker opened: too many assets in a row failed as transient, network or timeout.</summary>
public sealed class InnomaintUnreachableException(int consecutiveFailures, string lastError) : SyncRunFailedException(
    $"Innomaint appears to be unreachable: {consecutiveFailures} assets in a row failed (last: {lastError}). The run was stopped; " +
    "assets not yet attempted were left untouched. Check Innomaint and -BaseUrl, then run Invoke-CmmsRetryFailed.")
{
    public int ConsecutiveFailures { get; } = consecutiveFailures;

    /// <summary>The Innomaint base URL that did not answer.</summary>
    public string? BaseUrl { get; init; }
}
