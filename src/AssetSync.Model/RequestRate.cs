using System.Globalization;

namespace AssetSync;

/// <summary>
/// What -RequestsPerSecond was given: a number (a hard ceiling; rate-limit headers can only lower it) or
/// <see cref="Auto"/> (use the quota the API states, or learn it by probing and remember it in cmms_rate_state).
/// </summary>
public sealed class RequestRate : IEquatable<RequestRate>
{
    /// <summary>The word that selects the adaptive rate.</summary>
    public const string AutoKeyword = "Auto";

    private RequestRate(double? perSecond) => PerSecond = perSecond;

    /// <summary>Learn the rate: see <see cref="RequestRate"/>.</summary>
    public static RequestRate Auto { get; } = new(null);

    /// <summary>Null for <see cref="Auto"/>; otherwise requests per second (PositiveInfinity: no limit).</summary>
    public double? PerSecond { get; }

    public bool IsAuto => PerSecond is null;

    /// <summary>A fixed rate; throws <see cref="ArgumentOutOfRangeException"/> for zero, a negative number or NaN.</summary>
    public static RequestRate Fixed(double perSecond)
    {
        if (double.IsNaN(perSecond) || perSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(perSecond), perSecond, "The rate must be greater than zero.");
        }
        return new RequestRate(perSecond);
    }

    /// <summary>Reads "Auto" (any case) or a number in the invariant culture ("2.5"); false for anything else.</summary>
    public static bool TryParse(string? text, out RequestRate? rate)
    {
        rate = null;
        var trimmed = text?.Trim();
        if (string.Equals(trimmed, AutoKeyword, StringComparison.OrdinalIgnoreCase))
        {
            rate = Auto;
            return true;
        }
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && !double.IsNaN(value))
        {
            rate = new RequestRate(value);
            return true;
        }
        return false;
    }

    public bool Equals(RequestRate? other) => other is not null && Nullable.Equals(PerSecond, other.PerSecond);

    public override bool Equals(object? obj) => Equals(obj as RequestRate);

    public override int GetHashCode() => PerSecond.GetHashCode();

    public override string ToString() => PerSecond is { } r ? r.ToString(CultureInfo.InvariantCulture) : AutoKeyword;
}
