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
}
