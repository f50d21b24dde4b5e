namespace AssetSync.Domain;

/// <summary>A row of cmms_rate_state: the rate learned for one base URL, where it came from, and when.</summary>
internal sealed record LearnedRate(double RequestsPerSecond, string Source, DateTimeOffset LearnedAt)
{
    /// <summary>The API stated its quota in rate-limit headers.</summary>
    public const string FromHeaders = "headers";

    /// <summary>Learned from 429s: the highest rate that drew none.</summary>
    public const string FromProbing = "probe";
}
