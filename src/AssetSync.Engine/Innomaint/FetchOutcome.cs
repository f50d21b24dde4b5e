namespace AssetSync.Innomaint;

/// <summary>
/// The typed result of one call to Innomaint: an asset, or a failure with its kind.
/// Nothing downstream inspects message text; the kind decides retries and the log row.
/// </summary>
internal sealed class FetchOutcome
{
    private FetchOutcome(AssetDetail? asset, FailureKind? kind, int? httpStatus, string? message, TimeSpan? retryAfter)
    {
        Asset = asset;
        Kind = kind;
        HttpStatus = httpStatus;
        Message = message;
        RetryAfter = retryAfter;
    }

    public AssetDetail? Asset { get; }

    /// <summary>Null when the fetch succeeded.</summary>
    public FailureKind? Kind { get; }

    public int? HttpStatus { get; }

    /// <summary>Human-readable reason. Never holds the token: it is built from status codes and our own words.</summary>
    public string? Message { get; }

    /// <summary>The server's Retry-After, already turned into a wait.</summary>
    public TimeSpan? RetryAfter { get; }

    public bool Succeeded => Asset is not null;

    public bool IsRetryable => Kind is { } k && k.IsRetryable();

    public static FetchOutcome Success(AssetDetail asset, int httpStatus = 200) => new(asset, null, httpStatus, null, null);

    public static FetchOutcome Failure(FailureKind kind, string message, int? httpStatus = null, TimeSpan? retryAfter = null) =>
        new(null, kind, httpStatus, message, retryAfter);

    public override string ToString() => Succeeded ? $"success ({HttpStatus})" : $"{Kind!.Value.ToContractName()}: {Message}";
}
