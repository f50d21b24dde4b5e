using System.Globalization;

namespace AssetSync;

/// <summary>Why the request rate changed.</summary>
public enum RateChangeReason
{
    /// <summary>The run's first rate: the stored one, the default, or the number given.</summary>
    Start,

    /// <summary>The API stated its quota in rate-limit headers.</summary>
    Stated,

    /// <summary>No 429 for a while: the rate grows, probing for the quota.</summary>
    Probe,

    /// <summary>A 429: the rate is cut, and the rate that drew it remembered.</summary>
    Throttled,
}

/// <summary>The run's request rate changed, and why. <see cref="Previous"/> is null at the start.</summary>
public sealed record RateChange(double RequestsPerSecond, double? Previous, RateChangeReason Reason, string Detail)
{
    public override string ToString() =>
        Previous is { } p
            ? $"Rate {Format(p)} -> {Format(RequestsPerSecond)} requests/s: {Detail}"
            : $"Rate {Format(RequestsPerSecond)} requests/s: {Detail}";

    /// <summary>A rate as messages show it: "19.8", "2.5", or "unlimited".</summary>
    public static string Format(double rate) =>
        double.IsPositiveInfinity(rate) ? "unlimited" : rate.ToString(rate >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture);
}
