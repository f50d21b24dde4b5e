using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// The run's model of Innomaint's health, kept apart from each asset's outcome. Every attempt ends here as an answer (any
/// HTTP status) or as no answer (a timeout, a failed connection). The request gate, the breaker and the time budget read it:
/// <list type="bullet">
/// <item>Healthy latency: a moving average of answered attempts only. A timeout is not latency, so hanging assets never
/// grow the in-flight limit nor make it look like concurrency holds the run back.</item>
/// <item>Overdue: a request in flight longer than <see cref="OverdueAfter"/> (4x the healthy latency, 0.5 s at least, at
/// most half the attempt timeout) while answers keep coming is taken for a hanging asset, not a busy service.</item>
/// <item>Stalled: at least <see cref="StallTimeouts"/> attempts timed out since the last answer, and none came for
/// <see cref="OverdueAfter"/>: most requests in flight are timing out together, so the service is the trouble.</item>
/// <item>Unreachable: before the run's first answer, <see cref="UnreachableAttempts"/> requests in a row failed at the
/// connection (refused, DNS, TLS, connect timeout). Nothing answered, so no asset can be blamed.</item>
/// </list>
/// Thread-safe; time comes from a <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ServiceHealth
{
    /// <summary>Connection-level failures in a row, before any answer, that end a run as unreachable.</summary>
    internal const int UnreachableAttempts = 3;

    /// <summary>Timeouts since the last answer that, with no answer for <see cref="OverdueAfter"/>, mean the service stalls.</summary>
    internal const int StallTimeouts = 2;

    /// <summary>A request in flight this many times the healthy latency is overdue.</summary>
    internal const double OverdueFactor = 4;

    internal static readonly TimeSpan MinimumOverdue = TimeSpan.FromMilliseconds(500);

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _attemptTimeout;
    private readonly MovingAverage _healthy = new();
    private long _lastAnswer = long.MinValue;
    private bool _answered;
    private int _noAnswerInRow;
    private int _timeoutsSinceAnswer;

    public ServiceHealth(TimeProvider time, TimeSpan attemptTimeout)
    {
        _time = time;
        _attemptTimeout = attemptTimeout;
    }

    /// <summary>Told once, when the run's first requests all failed at the connection: the cause.</summary>
    public event Action<int, string>? Unreachable;

    /// <summary>True once any attempt of the run got an HTTP answer.</summary>
    public bool EverAnswered
    {
        get
        {
            lock (_gate)
            {
                return _answered;
            }
        }
    }

    /// <summary>A moving average of answered attempts' latency; null before the first answer.</summary>
    public TimeSpan? HealthyLatency => _healthy.Value;

    /// <summary>How long a request may be in flight before it is taken for a hanging one (see the class remarks).</summary>
    public TimeSpan OverdueAfter
    {
        get
        {
            var healthy = HealthyLatency ?? _attemptTimeout;
            var overdue = TimeSpan.FromTicks((long)(healthy.Ticks * OverdueFactor));
            if (overdue < MinimumOverdue)
            {
                overdue = MinimumOverdue;
            }
            var half = _attemptTimeout / 2;
            return overdue < half ? overdue : half;
        }
    }

    /// <summary>An answer came within the last <see cref="OverdueAfter"/>: the service is answering, whatever some requests do.</summary>
    public bool AnswersFlowing
    {
        get
        {
            long last;
            lock (_gate)
            {
                last = _lastAnswer;
            }
            return last != long.MinValue && _time.GetElapsedTime(last) <= OverdueAfter;
        }
    }

    /// <summary>Most requests in flight are timing out together (see the class remarks).</summary>
    public bool Stalled
    {
        get
        {
            lock (_gate)
            {
                if (_timeoutsSinceAnswer < StallTimeouts)
                {
                    return false;
                }
            }
            return !AnswersFlowing;
        }
    }

    /// <summary>An attempt got an HTTP answer (any status) after <paramref name="latency"/>.</summary>
    public void Answered(TimeSpan latency)
    {
        lock (_gate)
        {
            _answered = true;
            _lastAnswer = _time.GetTimestamp();
            _noAnswerInRow = 0;
            _timeoutsSinceAnswer = 0;
        }
        _healthy.Add(latency);
    }

    /// <summary>
    /// An attempt got no answer: a timeout, or a network failure. Before the run's first answer, <see cref="UnreachableAttempts"/>
    /// timeouts or failed connections (refused, DNS, TLS) in a row raise <see cref="Unreachable"/>.
    /// </summary>
    public void NoAnswer(FetchOutcome outcome)
    {
        int inRow;
        var cause = outcome.Message ?? outcome.ToString();
        lock (_gate)
        {
            if (outcome.Kind == SyncErrorKind.Timeout)
            {
                _timeoutsSinceAnswer++;
            }
            // A reset or a cut-off answer came from a server that accepted the connection: an asset's trouble, not these.
            if (_answered || !(outcome.ConnectionFailed || outcome.Kind == SyncErrorKind.Timeout))
            {
                return;
            }
            inRow = ++_noAnswerInRow;
            if (inRow != UnreachableAttempts)
            {
                return;
            }
        }
        Unreachable?.Invoke(inRow, cause);
    }

    /// <summary>Whether an attempt's outcome is an answer from the service (an HTTP status), as opposed to none at all.</summary>
    public static bool IsAnswer(FetchOutcome outcome) =>
        outcome.HttpStatus is not null && outcome.Kind is not (SyncErrorKind.Timeout or SyncErrorKind.Network);
}
