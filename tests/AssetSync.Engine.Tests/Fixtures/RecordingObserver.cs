namespace AssetSync.Tests.Fixtures;

/// <summary>
/// The one observer double of the tests: records everything the engine tells (results, warnings, verbose lines, rate
/// changes, retries, lock waits) and turns the moments tests wait for into signals (<see cref="FirstResult"/>,
/// <see cref="Retrying"/>, <see cref="Reached"/>), so no test waits on the clock. Thread-safe: workers call it at once.
/// </summary>
internal sealed class RecordingObserver(Action<RecordingObserver, AssetSyncResult>? onResult = null, int reachedAt = 0) : SyncObserver
{
    private int _completed;

    public List<AssetSyncResult> Results { get; } = [];

    public List<string> Warnings { get; } = [];

    public List<string> VerboseLines { get; } = [];

    public List<RateChange> Changes { get; } = [];

    public List<RetryNotice> Retries { get; } = [];

    public List<(RunInProgress Holder, TimeSpan Waited, TimeSpan Timeout, bool Done)> Waits { get; } = [];

    /// <summary>Assets completed so far.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Set when the first asset completes.</summary>
    public TaskCompletionSource FirstResult { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the first retry is scheduled.</summary>
    public TaskCompletionSource Retrying { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the <c>reachedAt</c>-th asset completes (never, for 0).</summary>
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Also called with each result, after it is recorded (on the worker's thread).</summary>
    public Action<AssetSyncResult>? OnResult { get; init; }

    public override void AssetCompleted(AssetSyncResult result)
    {
        lock (Results)
        {
            Results.Add(result);
        }
        var done = Interlocked.Increment(ref _completed);
        FirstResult.TrySetResult();
        if (done == reachedAt)
        {
            Reached.TrySetResult();
        }
        OnResult?.Invoke(result);
        onResult?.Invoke(this, result);
    }

    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _awaitedWarnings = [];

    public override void Warning(string message)
    {
        lock (Warnings)
        {
            Warnings.Add(message);
            foreach (var awaited in _awaitedWarnings.Where(w => w.Match(message)).ToList())
            {
                _awaitedWarnings.Remove(awaited);
                awaited.Seen.TrySetResult(message);
            }
        }
    }

    /// <summary>Completes with the first warning (already told, or still to come) that <paramref name="match"/> accepts.</summary>
    public Task<string> Warned(Func<string, bool> match)
    {
        lock (Warnings)
        {
            if (Warnings.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }
            var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _awaitedWarnings.Add((match, waiting));
            return waiting.Task;
        }
    }

    public override void Verbose(string message) => Add(VerboseLines, message);

    public override void RateChanged(RateChange change) => Add(Changes, change);

    public override void RetryScheduled(RetryNotice notice)
    {
        Add(Retries, notice);
        Retrying.TrySetResult();
    }

    public override void WaitingForRun(RunInProgress holder, TimeSpan waited, TimeSpan timeout, bool done) =>
        Add(Waits, (holder, waited, timeout, done));

    /// <summary>A copy of <paramref name="list"/>, taken under its lock.</summary>
    public static List<T> Snapshot<T>(List<T> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    private static void Add<T>(List<T> list, T item)
    {
        lock (list)
        {
            list.Add(item);
        }
    }
}
