namespace AssetSync.Storage;

/// <summary>
/// Folds the retries of every database call made during one outage into one warning. Parallel workers
/// each retry their own statement, so a 10-second restart would otherwise print dozens of warnings;
/// the operator needs one line saying how long the database was gone and how often AssetSync retried.
/// </summary>
internal sealed class DatabaseOutageMonitor(string target, TimeProvider time, SyncObserver observer)
{
    private readonly object _gate = new();
    private long _since;
    private int _retries;
    private string? _cause;

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
        }
        // Each retry in detail for -Verbose only.
        observer.Verbose($"Database error ({cause}); retry {attempt} of {maxAttempts} in {delay.TotalSeconds:0.##} s.");
    }

    /// <summary>A call succeeded: if an outage was in progress, it is over, and that is worth one warning.</summary>
    public void Answered()
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
            var elapsed = time.GetElapsedTime(_since);
            message = $"The IC3 database at {target} did not answer for {elapsed.TotalSeconds:0.#} s ({_cause}); "
                + $"{_retries} {(_retries == 1 ? "retry" : "retries")} later it answered again, and the run carried on.";
            _retries = 0;
            _cause = null;
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
            return retries;
        }
    }
}
