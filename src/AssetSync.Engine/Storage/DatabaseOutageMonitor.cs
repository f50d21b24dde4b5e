namespace AssetSync.Storage;

/// <summary>
/// Folds the retries of every database call made during one outage into one warning. Parallel workers
/// each retry their own statement, so a 10-second restart would otherwise print dozens of warnings;
/// the operator needs one line saying how long the database was gone and how often AssetSync retried.
/// The line waits until the database has answered for <see cref="Settle"/>: after a restart, connections the pool
/// opened before it fail one by one as they are next used, and those failures belong to the same outage.
/// </summary>
internal sealed class DatabaseOutageMonitor(string target, TimeProvider time, SyncObserver observer)
{
    private readonly object _gate = new();
    private long _since;
    private int _retries;
    private string? _cause;
    private long _answeredAt;

    /// <summary>How long the database must answer, with no failure, before the outage is over and reported.</summary>
    internal static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public bool InOutage => Volatile.Read(ref _retries) > 0;

    /// <summary>A call failed transiently and will be retried.</summary>
    public void Retrying(string cause, int attempt, int maxAttempts, TimeSpan delay)
    {
        lock (_gate)
        {
            if (_retries == 0)
            {
                _since = time.GetTimestamp();
                _cause = cause;
            }
            _retries++;
            _answeredAt = 0;
        }
        // Each retry in detail for -Verbose only.
        observer.Verbose($"Database error ({cause}); retry {attempt} of {maxAttempts} in {delay.TotalSeconds:0.##} s.");
    }

    /// <summary>
    /// A call succeeded: if an outage was in progress and the database has answered since, without a failure, for
    /// <see cref="Settle"/>, it is over, and that is worth one warning.
    /// </summary>
    public void Answered() => Report(settled: false);

    /// <summary>The run is closing: an outage that ended is reported now, settled or not.</summary>
    public void Flush() => Report(settled: true);

    private void Report(bool settled)
    {
        if (!InOutage)
        {
            return;
        }
        string message;
        lock (_gate)
        {
            if (_retries == 0)
            {
                return;
            }
            if (_answeredAt == 0)
            {
                if (settled)
                {
                    // Closing with no answer since the last failure: it never answered again, so there is nothing to tell.
                    return;
                }
                _answeredAt = time.GetTimestamp();
            }
            if (!settled && time.GetElapsedTime(_answeredAt) < Settle)
            {
                return;
            }
            var elapsed = time.GetElapsedTime(_since, _answeredAt);
            message =
                $"The IC3 database at {target} did not answer for {elapsed.TotalSeconds:0.#} s ({_cause}); "
                + $"{_retries} {(_retries == 1 ? "retry" : "retries")} later it answered again, and the run carried on.";
            _retries = 0;
            _cause = null;
            _answeredAt = 0;
        }
        observer.Warning(message);
    }

    /// <summary>A call used up its retries: the error that follows says so, so the outage ends without a warning.</summary>
    public int GaveUp()
    {
        lock (_gate)
        {
            var retries = _retries;
            _retries = 0;
            _cause = null;
            _answeredAt = 0;
            return retries;
        }
    }
}
