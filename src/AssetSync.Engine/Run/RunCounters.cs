namespace AssetSync.Run;

/// <summary>A run's counts, as its assets are committed (and its serial numbers skipped). Thread-safe.</summary>
internal sealed class RunCounters
{
    private int _succeeded;
    private int _failed;
    private int _skipped;
    private int _unchanged;

    public int Succeeded => Volatile.Read(ref _succeeded);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Serial numbers named that are not in the register.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <summary>Of <see cref="Succeeded"/>, those found unchanged.</summary>
    public int Unchanged => Volatile.Read(ref _unchanged);

    /// <summary>Counts a committed asset.</summary>
    public void Count(AssetSyncResult result)
    {
        if (result.Outcome == AssetSyncStatus.Failed)
        {
            Interlocked.Increment(ref _failed);
            return;
        }
        Interlocked.Increment(ref _succeeded);
        if (result.Outcome == AssetSyncStatus.Unchanged)
        {
            Interlocked.Increment(ref _unchanged);
        }
    }

    public void Skip() => Interlocked.Increment(ref _skipped);

    /// <summary>Of <paramref name="selected"/> assets, those never decided, whatever ended the run.</summary>
    public int NotReached(int selected) => Math.Max(0, selected - Succeeded - Failed);
}
