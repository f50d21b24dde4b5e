namespace AssetSync.Run;

/// <summary>
/// A run's time budget (-MaxDuration): the deadline attempts are measured against, and whether it is spent (an attempt
/// could not start). Once spent, no asset is taken; those in flight finish. Thread-safe.
/// </summary>
internal sealed class RunBudget(TimeProvider time, TimeSpan? maxDuration)
{
    private int _spent;

    /// <summary>The timestamp (of <c>time</c>) past which no attempt may end; null: no budget.</summary>
    public long? Deadline { get; private set; }

    public TimeSpan? MaxDuration => maxDuration;

    /// <summary>True once an attempt could not start inside the budget.</summary>
    public bool Spent => Volatile.Read(ref _spent) == 1;

    /// <summary>Starts the clock at <paramref name="started"/> (a timestamp of <c>time</c>).</summary>
    public void Start(long started)
    {
        if (maxDuration is { } budget)
        {
            Deadline = started + (long)(budget.TotalSeconds * time.TimestampFrequency);
        }
    }

    public void MarkSpent() => Interlocked.Exchange(ref _spent, 1);
}
