using System.Threading.RateLimiting;

namespace AssetSync.Resilience;

/// <summary>
/// The run's shared requests-per-second budget: a token bucket holding one token, refilled every
/// 1/R seconds and measured from when the previous token was actually handed out. Requests never
/// bunch up, so no one-second window ever sees more than R requests, even when a timer fires late.
/// Callers queue in FIFO order; a wait ends at once when its token is cancelled.
/// </summary>
/// <remarks>
/// Built on <see cref="RateLimiter"/> rather than <see cref="TokenBucketRateLimiter"/> because the
/// latter runs on a wall-clock timer: this one takes its time from a <see cref="TimeProvider"/>,
/// so tests drive it with a fake clock.
/// </remarks>
internal sealed class RateBudget : RateLimiter
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _lastGrant;
    private bool _granted;
    private long _leases;
    private long _queued;

    public RateBudget(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _time = time;
        // 1 % headroom: requests leave here evenly spaced, but connection set-up and scheduling jitter
        // on the way can bring two closer at the server; the quota is what the server counts.
        Interval = TimeSpan.FromSeconds(1.01 / requestsPerSecond);
        _intervalTicks = (long)(Interval.TotalSeconds * time.TimestampFrequency);
    }

    public TimeSpan Interval { get; }

    public override TimeSpan? IdleDuration => _turn.CurrentCount == 1 && _granted ? _time.GetElapsedTime(_lastGrant) : null;

    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = _turn.CurrentCount == 1 && Due() <= 0 ? 1 : 0,
        CurrentQueuedCount = Interlocked.Read(ref _queued),
        TotalSuccessfulLeases = Interlocked.Read(ref _leases),
        TotalFailedLeases = 0,
    };

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        if (!_turn.Wait(0))
        {
            return Lease.Refused;
        }
        try
        {
            if (Due() > 0)
            {
                return Lease.Refused;
            }
            Grant();
            return Lease.Granted;
        }
        finally
        {
            _turn.Release();
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        Interlocked.Increment(ref _queued);
        try
        {
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }
        try
        {
            var due = Due();
            if (due > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)due / _time.TimestampFrequency), _time, cancellationToken).ConfigureAwait(false);
            }
            Grant();
            return Lease.Granted;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Timestamp ticks until the next token; 0 or less when one is there.</summary>
    private long Due() => _granted ? _lastGrant + _intervalTicks - _time.GetTimestamp() : 0;

    private void Grant()
    {
        _lastGrant = _time.GetTimestamp();
        _granted = true;
        Interlocked.Increment(ref _leases);
    }

    private static void CheckPermitCount(int permitCount)
    {
        if (permitCount != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), "Each request takes exactly one permit.");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _turn.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
