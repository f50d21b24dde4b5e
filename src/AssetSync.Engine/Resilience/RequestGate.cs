using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// Lets each request of a run through, in four steps: its turn, a slot, a token, the server's window.
/// <list type="number">
/// <item>Its turn: requests go in the order of their assets' places in the selection (the ticket), not in the order their
/// workers happened to arrive, so a time budget cuts the stalest-first order exactly, and a retry (its asset's early
/// ticket) goes before assets not yet started. One request at a time takes the next three steps.</item>
/// <item>A slot among the in-flight limit: -ThrottleLimit, or with an adaptive rate as many as the rate needs at the API's
/// healthy latency (answers only, never timeouts; bounded), so concurrency never caps the rate below the quota without
/// saying so. A request in flight past <see cref="ServiceHealth.OverdueAfter"/> while answers keep coming is a hanging
/// asset: it stops holding a slot, up to <see cref="OverdueCap"/> times the limit in flight in all. When the service
/// stalls (<see cref="ServiceHealth.Stalled"/>) the limit halves, and nothing is exempt: no more requests to a server
/// that does not answer.</item>
/// <item>A token at the current rate (<see cref="RateController"/>): one every 1.01/R s, measured from the previous grant,
/// so requests never bunch up and no one-second window sees more than R, even when a timer fires late.</item>
/// <item>What the server said remains in its window (RateLimit r / X-RateLimit-Remaining): never more before the reset.</item>
/// </list>
/// Every wait is cancellable and takes its time from a <see cref="TimeProvider"/>.
/// <para>One file of over 400 lines on purpose: the turn, the in-flight slots, the overdue exemption and the rate token
/// are taken under one lock in one order; spread over types, that order (and the bound on a missed wake-up, MaxSleep) would be too.</para>
/// </summary>
internal sealed class RequestGate
{
    /// <summary>1 % headroom: connection set-up and scheduling jitter can bring two requests closer at the server.</summary>
    internal const double Headroom = 1.01;

    /// <summary>A long wait is taken in pieces, so a rate that rises meanwhile takes effect.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan NoteInterval = TimeSpan.FromSeconds(5);

    /// <summary>The most a late timer is made up for: half the 1 % headroom of one second.</summary>
    private static readonly TimeSpan MaxTimerCredit = TimeSpan.FromMilliseconds(5);

    /// <summary>Requests in flight, overdue ones included, never exceed this many times the in-flight limit.</summary>
    internal const int OverdueCap = 4;

    private readonly object _lock = new();
    private readonly PriorityQueue<TaskCompletionSource, (long Ticket, long Seq)> _turns = new();
    private readonly RateController _rate;
    private readonly TimeProvider _time;
    private readonly int _minInFlight;
    private readonly int _maxInFlight;
    private readonly ServiceHealth _health;
    private readonly Dictionary<long, long> _active = [];
    private readonly SyncObserver _observer;
    private readonly HashSet<string> _malformedSeen = new(StringComparer.Ordinal);

    private bool _turnTaken;
    private long _seq;
    private long _nextSlot;
    private long _lastAnsweredSent = long.MinValue;
    private TaskCompletionSource? _wake;
    private long _lastGrant;
    private bool _granted;
    private int? _windowLeft;
    private long _windowEnds;
    private long _lastWindowNote = long.MinValue;
    private bool _concurrencyWarned;
    private bool _answered;

    /// <param name="rate">The run's rate.</param>
    /// <param name="inFlight">-ThrottleLimit: the in-flight limit, and with an adaptive rate its floor.</param>
    /// <param name="maxInFlight">With an adaptive rate, the most requests in flight it may grow to.</param>
    /// <param name="time">The run's clock.</param>
    /// <param name="health">The service's health: its healthy latency, which requests are overdue, whether it stalls.</param>
    /// <param name="observer">Told of malformed headers, server-window waits and a concurrency that limits the run.</param>
    public RequestGate(RateController rate, int inFlight, int maxInFlight, TimeProvider time, ServiceHealth health, SyncObserver observer)
    {
        _rate = rate;
        _minInFlight = inFlight;
        _maxInFlight = rate.Adaptive ? Math.Max(inFlight, maxInFlight) : inFlight;
        _time = time;
        _health = health;
        _observer = observer;
    }

    private long _passed;

    /// <summary>
    /// Answers so far other than a 429 (timeouts are no answer): requests the service let through. An asset that meets a 429
    /// again after this has grown met it while others got through: the evidence that the 429 is its own.
    /// </summary>
    public long PassedAnswers => Interlocked.Read(ref _passed);

    /// <summary>Requests in flight now, overdue ones included.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _active.Count;
            }
        }
    }

    /// <summary>Requests in flight allowed now.</summary>
    public int InFlightLimit
    {
        get
        {
            if (!Volatile.Read(ref _answered))
            {
                // One request until the first answer: a wrong token or URL costs one request, not a burst, and the pacing
                // is not undone by a cold start (connection set-up, first-time code) delaying the first request more than the next.
                return 1;
            }
            var limit = _minInFlight;
            if (_rate.Adaptive && _health.HealthyLatency is { } latency)
            {
                var rate = _rate.Current;
                // Little's law, with a quarter spare for latency that varies: rate × latency requests are in flight.
                limit = double.IsFinite(rate)
                    ? Math.Clamp((int)Math.Ceiling(rate * latency.TotalSeconds * 1.25) + 1, _minInFlight, _maxInFlight)
                    : _maxInFlight;
            }
            // Most requests in flight time out together: the service, not an asset. Fewer requests, never more.
            return _health.Stalled ? Math.Max(1, limit / 2) : limit;
        }
    }

    /// <summary>
    /// Requests that hold a slot now: all of them, unless answers keep coming, in which case a request in flight past
    /// <see cref="ServiceHealth.OverdueAfter"/> that a request sent after it has overtaken (its answer is in) is a hanging
    /// asset and holds none: the service answers others, just not this one. Also when the next one turns overdue. Under the lock.
    /// </summary>
    private int Holding(long now, out long nextOverdue)
    {
        nextOverdue = long.MaxValue;
        if (_active.Count == 0 || !_health.AnswersFlowing)
        {
            return _active.Count;
        }
        var overdue = Ticks(_health.OverdueAfter);
        var holding = 0;
        foreach (var sent in _active.Values)
        {
            if (now - sent < overdue)
            {
                holding++;
                nextOverdue = Math.Min(nextOverdue, sent + overdue);
            }
            else if (sent >= _lastAnsweredSent)
            {
                // Overdue, but nothing sent after it has been answered: as likely the service as the asset.
                holding++;
            }
        }
        return holding;
    }

    /// <summary>
    /// Waits for the request's turn (by <paramref name="ticket"/>, lowest first), a slot, a token and the server's window.
    /// The lease must be disposed when the answer is in. Throws <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public async ValueTask<GateLease> EnterAsync(long ticket, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            return await EnterCoreAsync(ticket, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private int _waiting;

    /// <summary>Requests waiting at the gate now (entered, not yet let through): what tests wait on instead of a sleep.</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    private async ValueTask<GateLease> EnterCoreAsync(long ticket, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            await TakeTurnAsync(ticket, cancellationToken).ConfigureAwait(false);
            try
            {
                // Null: a lower ticket came while this one waited; it goes first, and this one queues again.
                if (await WaitForSlotAsync(ticket, cancellationToken).ConfigureAwait(false) is not { } slot)
                {
                    continue;
                }
                try
                {
                    if (await WaitForTokenAsync(ticket, cancellationToken).ConfigureAwait(false))
                    {
                        var sent = _time.GetTimestamp();
                        lock (_lock)
                        {
                            // Overdue counts from the moment the request leaves, not from when its slot was taken.
                            _active[slot] = sent;
                        }
                        return new GateLease(this, slot, sent, _time.GetElapsedTime(started));
                    }
                }
                catch
                {
                    ReleaseSlot(slot);
                    throw;
                }
                ReleaseSlot(slot);
            }
            finally
            {
                PassTurn();
            }
        }
    }

    /// <summary>
    /// The answer to a request let through by <paramref name="lease"/> (about <paramref name="serial"/>) is in: what it says about
    /// the quota. <paramref name="assetsOwn"/>: a 429 the asset met again after others got through (see <see cref="RateController.Answered"/>).
    /// </summary>
    /// <returns>What a 429 was about (see <see cref="RateController.Answered"/>); <see cref="ThrottleCause.None"/> for any other answer.</returns>
    public ThrottleCause Answered(GateLease lease, int? httpStatus, RateLimitStatement limits, string? serial = null, bool assetsOwn = false)
    {
        foreach (var problem in limits.Malformed)
        {
            bool first;
            lock (_lock)
            {
                first = _malformedSeen.Add(problem);
            }
            if (first)
            {
                _observer.Verbose($"Ignored a malformed rate-limit header from Innomaint: {problem}. Said once a run.");
            }
        }
        if (httpStatus is not null)
        {
            lock (_lock)
            {
                _lastAnsweredSent = Math.Max(_lastAnsweredSent, lease.Sent);
            }
            if (httpStatus != 429)
            {
                Interlocked.Increment(ref _passed);
            }
        }
        if (limits.Remaining is { } remaining)
        {
            lock (_lock)
            {
                // The newest answer is the best word on the window; what was granted after the request it answers may
                // already be counted in it, so it is not taken off again.
                _windowLeft = remaining;
                _windowEnds = _time.GetTimestamp() + Ticks(limits.Reset ?? TimeSpan.FromSeconds(1));
            }
        }
        var quota = _rate.Answered(
            lease.Sent,
            httpStatus == 429,
            limits.QuotaPerSecond,
            limits.QuotaHeader,
            serial,
            windowSpent: limits.Remaining is <= 0,
            assetsOwn
        );
        if (!Volatile.Read(ref _answered))
        {
            lock (_lock)
            {
                // The first request may have been slowed on its way (connection set-up, first-time code) by more than the
                // next will be: spacing the next from this answer, not from the first grant, keeps them apart at the server.
                _lastGrant = Math.Max(_lastGrant, _time.GetTimestamp());
            }
        }
        // After the rate has heard it: a request waiting for the window (or for a slot, before the first answer) goes now if it may.
        Volatile.Write(ref _answered, true);
        Wake();
        return quota;
    }

    private void ReleaseSlot(long slot)
    {
        lock (_lock)
        {
            _active.Remove(slot);
        }
        Wake();
    }

    /// <summary>Wakes the turn's holder to look again: a slot freed, an answer came, or a lower ticket is waiting.</summary>
    private void Wake()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            (wake, _wake) = (_wake, null);
        }
        wake?.TrySetResult();
    }

    /// <summary>What the turn's holder waits on, besides time: anything that may let it (or a lower ticket) go.</summary>
    private Task WakeSignal()
    {
        lock (_lock)
        {
            return (_wake ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>True when a ticket lower than <paramref name="ticket"/> waits for the turn (cancelled waiters are dropped).</summary>
    private bool LowerWaiting(long ticket)
    {
        lock (_lock)
        {
            while (_turns.TryPeek(out var head, out var key))
            {
                if (!head.Task.IsCompleted)
                {
                    return key.Ticket < ticket;
                }
                _turns.Dequeue();
            }
            return false;
        }
    }

    // ---- 1. the turn, by ticket ----------------------------------------------------------------

    private ValueTask TakeTurnAsync(long ticket, CancellationToken cancellationToken)
    {
        TaskCompletionSource turn;
        lock (_lock)
        {
            if (!_turnTaken)
            {
                _turnTaken = true;
                return ValueTask.CompletedTask;
            }
            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _turns.Enqueue(turn, (ticket, _seq++));
        }
        // The holder may be waiting for a slot or a token: it looks again, and lets this one go first if it is lower.
        Wake();
        return new ValueTask(WaitForTurnAsync(turn, cancellationToken));
    }

    private static async Task WaitForTurnAsync(TaskCompletionSource turn, CancellationToken cancellationToken)
    {
        // A cancelled waiter stays queued and is skipped when its turn comes (TrySetResult fails on it); a turn handed
        // over just before the cancellation is kept, and passed on by the caller's finally.
        await using (cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), turn).ConfigureAwait(false))
        {
            await turn.Task.ConfigureAwait(false);
        }
    }

    private void PassTurn()
    {
        lock (_lock)
        {
            while (_turns.TryDequeue(out var next, out _))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }
            _turnTaken = false;
        }
    }

    // ---- 2. a slot -----------------------------------------------------------------------------

    /// <summary>Takes a slot and returns its id; null (and no slot) when a lower ticket is waiting for the turn.</summary>
    private async ValueTask<long?> WaitForSlotAsync(long ticket, CancellationToken cancellationToken)
    {
        // Only the turn's holder waits here, so one waiter at a time.
        while (true)
        {
            if (LowerWaiting(ticket))
            {
                return null;
            }
            var limit = InFlightLimit;
            var wake = WakeSignal();
            var now = _time.GetTimestamp();
            long nextOverdue;
            lock (_lock)
            {
                if (Holding(now, out nextOverdue) < limit && _active.Count < limit * OverdueCap)
                {
                    var slot = ++_nextSlot;
                    // Sent time set when the token is granted; until then it is not overdue.
                    _active[slot] = long.MaxValue / 2;
                    return slot;
                }
            }
            WarnIfConcurrencyLimits(limit);
            // Re-checked when a request turns overdue, and at least every MaxSleep: an adaptive limit can grow while nothing is released.
            var wait =
                nextOverdue == long.MaxValue
                    ? MaxSleep
                    : TimeSpan.FromSeconds(Math.Max(nextOverdue - now, 0) / (double)_time.TimestampFrequency) + TimeSpan.FromMilliseconds(1);
            await wake.WaitAsync(wait < MaxSleep ? wait : MaxSleep, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void WarnIfConcurrencyLimits(int limit)
    {
        // Only healthy latency can say concurrency holds the run back: when requests time out, more of them would not help.
        if (
            _concurrencyWarned
            || _health.Stalled
            || _health.HealthyLatency is not { } latency
            || latency <= TimeSpan.Zero
            || limit < (_rate.Adaptive ? _maxInFlight : _minInFlight)
        )
        {
            return;
        }
        var rate = _rate.Current;
        var most = limit / latency.TotalSeconds;
        if (!double.IsFinite(rate) || most >= 0.9 * rate)
        {
            return;
        }
        _concurrencyWarned = true;
        // With Auto the rate is a target the in-flight limit failed to reach: a warning. A number is only a ceiling the
        // operator set, and -ThrottleLimit is theirs too: worth a -Verbose line, not a warning on every fast test run.
        (_rate.Adaptive ? (Action<string>)_observer.Warning : _observer.Verbose)(
            _rate.Adaptive
                ? $"At Innomaint's latency ({latency.TotalMilliseconds:0} ms a request), even {limit} requests in flight allow only about "
                    + $"{RateChange.Format(most)} requests/s, below the rate of {RateChange.Format(rate)}/s. The in-flight limit is what holds this "
                    + $"run back; raise -ThrottleLimit (the adaptive rate may go up to 16x it, at most 256)."
                : $"At Innomaint's latency ({latency.TotalMilliseconds:0} ms a request), -ThrottleLimit {limit} allows only about "
                    + $"{RateChange.Format(most)} requests/s, below -RequestsPerSecond {RateChange.Format(rate)}. Raise -ThrottleLimit to use the "
                    + $"whole rate."
        );
    }

    // ---- 3 and 4. a token, and the server's window -----------------------------------------------

    /// <summary>Takes the next token; false (nothing taken) when a lower ticket is waiting for the turn.</summary>
    private async ValueTask<bool> WaitForTokenAsync(long ticket, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (LowerWaiting(ticket))
            {
                return false;
            }
            var wake = WakeSignal();
            var now = _time.GetTimestamp();
            var rate = _rate.Current;
            long due = now;
            long credit = 0;
            bool windowBound = false;
            lock (_lock)
            {
                if (_granted && double.IsFinite(rate))
                {
                    var interval = Ticks(TimeSpan.FromSeconds(Headroom / rate));
                    due = _lastGrant + interval;
                    credit = Math.Min(interval / 4, Ticks(MaxTimerCredit));
                }
                if (_windowLeft is { } left)
                {
                    if (now >= _windowEnds)
                    {
                        _windowLeft = null;
                    }
                    else if (left <= 0 && _windowEnds > due)
                    {
                        due = _windowEnds;
                        windowBound = true;
                    }
                }
                if (due <= now)
                {
                    // The next token is due one interval after this one was: after the time it was due, not after the moment a
                    // late timer let it out, so timer lateness (a millisecond or two each time) does not slow the run by a tenth.
                    // The credit is bounded, so any R+1 grants still span at least R intervals less the credit: 1.01 s - 5 ms.
                    _lastGrant = Math.Max(due, now - credit);
                    _granted = true;
                    if (_windowLeft is { } l)
                    {
                        _windowLeft = l - 1;
                    }
                }
            }
            if (due <= now)
            {
                _rate.Granted();
                return true;
            }
            var wait = TimeSpan.FromSeconds((due - now) / (double)_time.TimestampFrequency);
            if (windowBound)
            {
                // The reset time is rounded up to whole seconds; a newer answer (a window that has reset) ends the wait early.
                NoteWindowWait(due - now);
            }
            // Woken early by an answer (a newer window), a freed slot or a lower ticket; a rate that rises is seen within MaxSleep.
            await wake.WaitAsync(wait < MaxSleep ? wait : MaxSleep, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void NoteWindowWait(long ticks)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_lastWindowNote != long.MinValue && _time.GetElapsedTime(_lastWindowNote) < NoteInterval)
            {
                return;
            }
            _lastWindowNote = now;
        }
        _observer.Verbose(
            $"Innomaint says no requests remain in its rate-limit window; waiting {ticks / (double)_time.TimestampFrequency:0.##} s for it to "
                + $"reset (said at most every {NoteInterval.TotalSeconds:0} s)."
        );
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>A request let through: when (a timestamp of the run's clock), and how long it waited for its token.</summary>
    internal readonly struct GateLease(RequestGate gate, long slot, long sent, TimeSpan waited) : IDisposable
    {
        public long Sent { get; } = sent;

        /// <summary>Time from asking to being let through: the queue for the rate (turn, slot, token, the server's window).</summary>
        public TimeSpan Waited { get; } = waited;

        public void Dispose() => gate.ReleaseSlot(slot);
    }
}
