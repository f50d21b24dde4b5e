namespace AssetSync.Run;

/// <summary>A run's counts, as its assets are committed (and its serial numbers skipped). Thread-safe.</summary>
internal sealed class RunCounters
{
    private int _succeeded;
    private int _failed;
    private int _skipped;
    private int _unchanged;
    private int _bodyDifferedOnly;
    private int _dated;
    private int _stamped;

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

    /// <summary>Answers of this run that differed from the stored body only in fields AssetSync does not write.</summary>
    public int BodyDifferedOnly => Volatile.Read(ref _bodyDifferedOnly);

    /// <summary>Answers of this run with a last_modified, and those whose last_modified was their own Date (stamped on read).</summary>
    public (int Dated, int Stamped) LastModified => (Volatile.Read(ref _dated), Volatile.Read(ref _stamped));

    /// <summary>
    /// True once this run's answers show a server that stamps last_modified on read: at least <see cref="StampedAnswers"/> of
    /// them, and nine in ten of those with a last_modified. A real change seconds before a read is rare; every answer is not.
    /// </summary>
    public bool StampsOnRead => Stamps(Volatile.Read(ref _dated), Volatile.Read(ref _stamped));

    private static bool Stamps(int dated, int stamped) => stamped >= StampedAnswers && stamped >= 0.9 * dated;

    /// <summary>Stamped answers it takes to call a server's last_modified a stamp.</summary>
    internal const int StampedAnswers = 10;

    /// <summary>
    /// Counts what a successful answer said; true when its last_modified is not to be used. None is once the run finds the server
    /// stamping every read (<see cref="StampsOnRead"/>). One at its own Date (<see cref="Innomaint.ChangeTime.StampedOnRead"/>)
    /// is set aside while the run cannot yet tell a stamp from a change just before the read: before <see cref="StampedAnswers"/>
    /// dated answers, or while more than one in ten are at their Date. Where one in ten or fewer are, the server does not stamp
    /// and they are changes made seconds before the read: believed. The tolerance is the whole seconds of an HTTP date, not a
    /// tempo; setting every near one aside cost a register whose assets change within seconds of a read their observations
    /// (the benchmark's compressed day put a third of its daily assets' first looks inside it, and they were never ranked).
    /// </summary>
    public bool Answered(Innomaint.FetchOutcome outcome)
    {
        if (outcome.BodyDifferedOnly)
        {
            Interlocked.Increment(ref _bodyDifferedOnly);
        }
        if (outcome.ChangeTime.ChangedAt is null)
        {
            return StampsOnRead;
        }
        var dated = Interlocked.Increment(ref _dated);
        var stamped = outcome.ChangeTime.StampedOnRead ? Interlocked.Increment(ref _stamped) : Volatile.Read(ref _stamped);
        return Stamps(dated, stamped) || (outcome.ChangeTime.StampedOnRead && (dated < StampedAnswers || stamped > 0.1 * dated));
    }

    public void Skip() => Interlocked.Increment(ref _skipped);

    /// <summary>Of <paramref name="selected"/> assets, those never decided, whatever ended the run.</summary>
    public int NotReached(int selected) => Math.Max(0, selected - Succeeded - Failed);
}
