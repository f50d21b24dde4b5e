using AssetSync.Domain;

namespace AssetSync.Innomaint;

/// <summary>
/// The typed result of one call to Innomaint: an asset (changed or unchanged), a failure with its kind, or not started.
/// Nothing downstream inspects message text; the kind decides retries and the log row. Immutable: what an answer adds
/// (its rate-limit statement) makes a new outcome with <c>with</c>, never a change to one already handed out.
/// </summary>
internal sealed record FetchOutcome
{
    private FetchOutcome(AssetDetail? asset, SyncErrorKind? kind, int? httpStatus, string? message, TimeSpan? retryAfter, bool unchanged = false)
    {
        Unchanged = unchanged;
        Asset = asset;
        Kind = kind;
        HttpStatus = httpStatus;
        Message = message;
        RetryAfter = retryAfter;
    }

    public AssetDetail? Asset { get; }

    /// <summary>Null when the fetch succeeded.</summary>
    public SyncErrorKind? Kind { get; }

    public int? HttpStatus { get; }

    /// <summary>Human-readable reason. Never holds the token: it is built from status codes and our own words.</summary>
    public string? Message { get; }

    /// <summary>The server's Retry-After, already turned into a wait.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// A 304, a 200 whose body equals the stored one, or one whose mapped fields do (<see cref="AssetFingerprint"/>): success,
    /// with nothing to rewrite.
    /// </summary>
    public bool Unchanged { get; }

    /// <summary>What the state row keeps of this answer (from it, or kept from the last 200).</summary>
    public FetchValidators Validators { get; init; }

    /// <summary>An unchanged asset whose body differed from the stored one in fields AssetSync does not write (a served-at stamp, a request
    /// id).</summary>
    public bool BodyDifferedOnly { get; init; }

    /// <summary>What the answer said of when Innomaint last changed the asset, on this machine's clock (<see cref="ChangeTime"/>).</summary>
    public ChangeTime ChangeTime { get; init; }

    /// <summary>What the answer's rate-limit headers said (empty for no answer, or none sent).</summary>
    public RateLimitStatement RateLimit { get; init; }

    /// <summary>No connection could be made (refused, name not resolved, TLS failed): nothing of the service answered.</summary>
    public bool ConnectionFailed { get; private init; }

    /// <summary>Never sent: the run's time budget could not hold one more attempt. Neither a success nor a failure; nothing is written.</summary>
    public bool NotStarted { get; private init; }

    public bool Succeeded => Asset is not null || Unchanged;

    /// <summary>
    /// A fault of the way out (the proxy refused, the certificate is not trusted): not the asset's, never retried, never
    /// written; the run stops with it.
    /// </summary>
    public SyncRunFailedException? StopsRun { get; private init; }

    public bool IsRetryable => StopsRun is null && Kind is { } k && k.IsRetried();

    public static FetchOutcome Success(AssetDetail asset, int httpStatus = 200) => new(asset, null, httpStatus, null, null);

    public static FetchOutcome Same(int httpStatus, FetchValidators validators, bool bodyDifferedOnly = false) =>
        new(null, null, httpStatus, null, null, unchanged: true) { Validators = validators, BodyDifferedOnly = bodyDifferedOnly };

    public static FetchOutcome Success(AssetDetail asset, int httpStatus, FetchValidators validators, ChangeTime changeTime) =>
        new(asset, null, httpStatus, null, null) { Validators = validators, ChangeTime = changeTime };

    /// <summary>The asset was left for the next run before its first request (<see cref="NotStarted"/>).</summary>
    public static FetchOutcome Unsent { get; } =
        new(null, null, null, "Not started: the run's time budget could not hold one more attempt.", null) { NotStarted = true };

    public static FetchOutcome Failure(SyncErrorKind kind, string message, int? httpStatus = null, TimeSpan? retryAfter = null) =>
        new(null, kind, httpStatus, message, retryAfter);

    /// <summary>No connection could be made: a network failure that says nothing of any asset.</summary>
    public static FetchOutcome NoConnection(string message) => new(null, SyncErrorKind.Network, null, message, null) { ConnectionFailed = true };

    /// <summary>The proxy or the certificate check refused: the run stops with <paramref name="reason"/>.</summary>
    public static FetchOutcome RouteFault(SyncRunFailedException reason) =>
        new(null, SyncErrorKind.Network, null, reason.Message, null) { ConnectionFailed = true, StopsRun = reason };

    public override string ToString() =>
        NotStarted ? "not started"
        : Unchanged ? $"unchanged ({HttpStatus})"
        : Succeeded ? $"success ({HttpStatus})"
        : $"{Kind!.Value.ToContractName()}: {Message}";
}
