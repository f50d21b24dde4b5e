namespace AssetSync;

/// <summary>
/// Receives a run's events as they happen. Called from worker threads, possibly at once:
/// an implementation hands them on (the cmdlets queue them for the pipeline thread) and returns quickly.
/// Every method does nothing by default.
/// </summary>
public abstract class SyncObserver
{
    /// <summary>The run row is written, in <paramref name="mode"/>; <paramref name="total"/> assets are selected (null when unknown).</summary>
    public virtual void RunStarted(long runId, SelectionMode mode, long? total) { }

    /// <summary>An asset is decided and its log row committed.</summary>
    public virtual void AssetCompleted(AssetSyncResult result) { }

    /// <summary>An asset will be retried.</summary>
    public virtual void RetryScheduled(RetryNotice notice) { }

    /// <summary>A request waited for the rate budget.</summary>
    public virtual void RateLimitWaited(string serialNumber, TimeSpan wait) { }

    /// <summary>The request rate changed (start, a stated quota, probing up, a cut after a 429).</summary>
    public virtual void RateChanged(RateChange change) { }

    /// <summary>Something the user should know that does not stop the run.</summary>
    public virtual void Warning(string message) { }

    /// <summary>Detail for -Verbose: what the run decided and why.</summary>
    public virtual void Verbose(string message) { }

    /// <summary>
    /// The run is waiting for <paramref name="holder"/> to finish (-Wait). Called about twice a second
    /// while waiting, and once more with <paramref name="done"/> set when the wait ends.
    /// </summary>
    public virtual void WaitingForRun(RunInProgress holder, TimeSpan waited, TimeSpan timeout, bool done) { }

    /// <summary>Detail for -Debug.</summary>
    public virtual void Debug(string message) { }

    /// <summary>An observer that ignores everything.</summary>
    public static SyncObserver None { get; } = new NoneObserver();

    private sealed class NoneObserver : SyncObserver;
}
