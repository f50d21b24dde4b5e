namespace AssetSync.Innomaint;

/// <summary>
/// What one answer's rate-limit headers said (see the contract's "Rate limit"): the quota as requests per second, and
/// how many requests remain before the window resets. Every part is optional; an empty statement says nothing.
/// </summary>
internal readonly record struct RateLimitStatement(double? QuotaPerSecond, int? Remaining, TimeSpan? Reset)
{
    public static RateLimitStatement None => default;

    public bool IsEmpty => QuotaPerSecond is null && Remaining is null;

    /// <summary>Where the quota came from, for messages: "RateLimit-Policy" or "X-RateLimit-Limit".</summary>
    public string? QuotaHeader { get; init; }

    /// <summary>Headers that were present but could not be read, each with what was wrong (ignored, reported once a run).</summary>
    public IReadOnlyList<string> Malformed
    {
        get => _malformed ?? [];
        init => _malformed = value;
    }

    // default(RateLimitStatement) runs no initialiser: the getter must stand for an empty list itself.
    private readonly IReadOnlyList<string>? _malformed;
}
