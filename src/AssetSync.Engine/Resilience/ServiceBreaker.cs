namespace AssetSync.Resilience;

/// <summary>
/// The circuit breaker, tripped by the service and never by assets. It counts assets in a row whose final outcome suggests
/// an outage (transient, network, timeout), leaving out assets known to fail that way (their last attempt failed with the
/// same kind: they would fail whatever the service's health). The failures of a streak are held, not written: if the
/// streak breaks (any asset decided otherwise) or the check of the service the caller makes at the threshold answers, they
/// were the assets' own and are written; if the check fails too, the service is down and they stay undecided (no log row).
/// Thread-safe.
/// </summary>
/// <typeparam name="T">What the caller holds for each asset it may write later.</typeparam>
internal sealed class ServiceBreaker<T>(int threshold)
{
    public enum Verdict
    {
        /// <summary>Write the asset's outcome now.</summary>
        Write,

        /// <summary>Held in the streak; written once the streak breaks or the service check answers.</summary>
        Held,

        /// <summary>Held, and the streak reached the threshold: check the service (ask it about an asset that synced before).</summary>
        CheckService,
    }

    private readonly object _gate = new();
    private List<T> _held = [];
    private int _streak;
    private bool _tripped;

    public int Threshold { get; } = threshold;

    /// <summary>Assets in the current streak.</summary>
    public int Streak
    {
        get
        {
            lock (_gate)
            {
                return _streak;
            }
        }
    }

    /// <summary>
    /// An asset's final outcome (<paramref name="kind"/> null for a success). Returns what to do with it; assets held before
    /// that the outcome shows were their own failures come back in <paramref name="release"/>, to be written.
    /// </summary>
    public Verdict Offer(T item, SyncErrorKind? kind, bool knownToFail, out IReadOnlyList<T> release)
    {
        release = [];
        lock (_gate)
        {
            if (Threshold <= 0 || _tripped)
            {
                return Verdict.Write;
            }
            if (kind is not { } k || !k.SuggestsOutage())
            {
                // The service answered this asset as it should: the streak was the assets' own.
                release = TakeHeld();
                return Verdict.Write;
            }
            if (knownToFail)
            {
                return Verdict.Write;
            }
            _held.Add(item);
            _streak++;
            return _streak == Threshold ? Verdict.CheckService : Verdict.Held;
        }
    }

    /// <summary>The check answered: the service is up. Returns the held assets, to be written as the failures they are.</summary>
    public IReadOnlyList<T> ServiceAnswered()
    {
        lock (_gate)
        {
            return TakeHeld();
        }
    }

    /// <summary>The check failed too: the service is down. The held assets are dropped (undecided); returns how many in a row failed.</summary>
    public int Trip()
    {
        lock (_gate)
        {
            _tripped = true;
            var streak = _streak;
            _held = [];
            return streak;
        }
    }

    /// <summary>The run is ending: what is still held, to be written (nothing once tripped).</summary>
    public IReadOnlyList<T> End()
    {
        lock (_gate)
        {
            return _tripped ? [] : TakeHeld();
        }
    }

    private List<T> TakeHeld()
    {
        var held = _held;
        _held = [];
        _streak = 0;
        return held;
    }
}
