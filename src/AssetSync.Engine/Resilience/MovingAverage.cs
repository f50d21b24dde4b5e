namespace AssetSync.Resilience;

/// <summary>
/// A lock-free exponentially weighted moving average of durations, 1/5 weight to the newest sample: it follows a slowing
/// API within a few samples without jumping on one outlier. Null until the first sample.
/// </summary>
internal sealed class MovingAverage
{
    private long _ticks;

    public TimeSpan? Value
    {
        get
        {
            var ticks = Interlocked.Read(ref _ticks);
            return ticks == 0 ? null : TimeSpan.FromTicks(ticks);
        }
    }

    public void Add(TimeSpan sample)
    {
        long seen,
            next;
        do
        {
            seen = Interlocked.Read(ref _ticks);
            // At least one tick: zero means "no sample yet".
            next = Math.Max(seen == 0 ? sample.Ticks : seen + ((sample.Ticks - seen) / 5), 1);
        } while (Interlocked.CompareExchange(ref _ticks, next, seen) != seen);
    }
}
