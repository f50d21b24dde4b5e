namespace AssetSync;

/// <summary>
/// How long a deferred asset waits (the IC3 database contract): 1 day after its first failure of a deferring kind
/// (<see cref="SyncErrorKinds.Defers"/>), then 2, 4, 8 … days, at most <see cref="MaxDays"/>. The one definition: the
/// statements that write the state take these numbers as parameters.
/// </summary>
public static class DeferralSchedule
{
    /// <summary>The longest deferral, in days.</summary>
    public const int MaxDays = 30;

    /// <summary>Days an asset waits after its <paramref name="consecutiveFailures"/>-th failure in a row (1-based).</summary>
    public static int DaysAfter(int consecutiveFailures) =>
        consecutiveFailures <= 1 ? 1 : (int)Math.Min(MaxDays, Math.Pow(2, Math.Min(consecutiveFailures - 1, 30)));
}
