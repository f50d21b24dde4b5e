using AssetSync.Diagnostics;
using AssetSync.Domain;
using AssetSync.Innomaint;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AssetSync.Resilience;

/// <summary>
/// Fetches one asset with the run's resilience rules: Polly retries (only the kinds the contract
/// marks transient; exponential backoff; Retry-After honoured up to a cap), and for every attempt its
/// way through the <see cref="RequestGate"/> (turn, slot, rate, the server's window), then the per-attempt
/// timeout. The gate is passed per attempt and its slot released before a backoff wait, so an asset
/// waiting to retry never holds up the others. A wait after a 429 is jittered (see <see cref="Jitter"/>).
/// </summary>
internal sealed class ResilientFetcher
{
    private static readonly ResiliencePropertyKey<AttemptState> StateKey = new("AssetSync.Attempt");

    private readonly InnomaintClient _client;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly RequestGate _gate;
    private readonly SyncObserver _observer;
    private readonly ResiliencePipeline<FetchOutcome> _retry;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly Func<double> _random;

    /// <summary>With an adaptive rate, requests in flight may grow to this many times -ThrottleLimit (at most <see cref="MaxInFlight"/>).</summary>
    internal const int InFlightGrowth = 16;

    /// <summary>The most requests in flight an adaptive rate may grow to.</summary>
    internal const int MaxInFlight = 256;

    /// <summary>The fetcher of one run; <paramref name="random"/> (uniform in [0, 1), for the jitter after a 429) is fixed by tests.</summary>
    public ResilientFetcher(
        InnomaintClient client,
        SyncOptions options,
        TimeProvider time,
        SyncObserver observer,
        RateController rate,
        ServiceHealth? health = null,
        Func<double>? random = null
    )
    {
        _client = client;
        _random = random ?? Random.Shared.NextDouble;
        _options = options;
        _time = time;
        _observer = observer;
        Rate = rate;
        Health = health ?? new ServiceHealth(time, options.Timeout);
        _gate = new RequestGate(rate, options.ThrottleLimit, InFlightLimitBound(options), time, Health, observer);

        var builder = new ResiliencePipelineBuilder<FetchOutcome> { TimeProvider = time };
        if (options.MaximumRetryCount > 0)
        {
            builder.AddRetry(
                new RetryStrategyOptions<FetchOutcome>
                {
                    MaxRetryAttempts = options.MaximumRetryCount,
                    ShouldHandle = args =>
                        ValueTask.FromResult(
                            args.Outcome.Result is { IsRetryable: true } result && FitsBudget(args.Context, args.AttemptNumber, result)
                        ),
                    DelayGenerator = args =>
                        ValueTask.FromResult<TimeSpan?>(
                            args.Outcome.Result is { HttpStatus: 429 } throttled
                                ? Jittered(RetryDelay(args.AttemptNumber, throttled.RetryAfter))
                                : RetryDelay(args.AttemptNumber, args.Outcome.Result?.RetryAfter)
                        ),
                    OnRetry = args =>
                    {
                        var outcome = args.Outcome.Result!;
                        var state = args.Context.Properties.GetValue(StateKey, null!);
                        AssetSyncTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("error.kind", outcome.Kind!.Value.ToContractName()));
                        _observer.RetryScheduled(
                            new RetryNotice(
                                state.SerialNumber,
                                state.Attempts,
                                options.MaximumRetryCount + 1,
                                args.RetryDelay,
                                outcome.Kind!.Value.ToContractName(),
                                outcome.HttpStatus,
                                outcome.Message ?? ""
                            )
                        );
                        return default;
                    },
                }
            );
        }
        _retry = builder.Build();
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(options.Timeout)
            .Build();
    }

    /// <summary>The run's rate.</summary>
    public RateController Rate { get; }

    /// <summary>What every attempt said of the service's health.</summary>
    public ServiceHealth Health { get; }

    /// <summary>
    /// Connections the HTTP handler may open to Innomaint: every request the gate may let be in flight, overdue ones included
    /// (a hanging request keeps its connection until its timeout).
    /// </summary>
    public static int ConnectionLimit(SyncOptions options) => Math.Max(InFlightLimitBound(options) * RequestGate.OverdueCap, 2);

    /// <summary>The most requests in flight the run may reach: -ThrottleLimit, or with an adaptive rate up to 16x it (at most 256).</summary>
    public static int InFlightLimitBound(SyncOptions options) =>
        options.AdaptiveRate ? Math.Max(options.ThrottleLimit, Math.Min(options.ThrottleLimit * InFlightGrowth, MaxInFlight)) : options.ThrottleLimit;

    /// <summary>
    /// The asset's one complete record (<see cref="DecidedAsset"/>): its final outcome, the requests it took, its time from its
    /// first request and its time queued for the rate. Goes before every asset of the run (ticket 0). Throws only when cancelled.
    /// </summary>
    public Task<DecidedAsset> FetchAsync(string serialNumber, CancellationToken cancellationToken) =>
        FetchAsync(new SelectedAsset(serialNumber), 0, null, cancellationToken);

    /// <summary>
    /// As above, conditional when <paramref name="asset"/> has validators; its requests take their turn by
    /// <paramref name="ticket"/> (its place in the selection, from 1). With a <paramref name="deadline"/> (a timestamp
    /// of the run's clock), no first request is sent unless one attempt can end before it, and no retry is scheduled
    /// unless its backoff and one attempt can: the asset then ends as its last attempt left it (or not started).
    /// </summary>
    public async Task<DecidedAsset> FetchAsync(SelectedAsset asset, long ticket, long? deadline, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var state = new AttemptState(asset.SerialNumber)
        {
            Known = asset.HasValidators && !_options.Force ? asset : null,
            Deadline = deadline,
            Ticket = ticket,
        };
        context.Properties.Set(StateKey, state);
        try
        {
            var outcome = await _retry.ExecuteAsync(static (ctx, self) => self.AttemptAsync(ctx), context, this).ConfigureAwait(false);
            // The asset's own time runs from its first request; its queueing for the rate is Waited.
            var duration = state.FirstSent != 0 ? _time.GetElapsedTime(state.FirstSent) : TimeSpan.Zero;
            return new DecidedAsset(asset.SerialNumber, outcome, state.Attempts, duration, state.Waited);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// One attempt of the asset. A 429 that is not shown to be the asset's own (see <see cref="IsQuota"/>) says nothing of the
    /// asset: it is no attempt, and the asset goes back in line after the window, as often as the run needs (up to
    /// <see cref="MaxQuotaRequeues"/>, a guard against a service that never lets anything through), taking its turn at the gate
    /// again like any request. Under a time budget that cannot hold another try, the asset is left for the next run, never
    /// failed for it.
    /// </summary>
    private async ValueTask<FetchOutcome> AttemptAsync(ResilienceContext context)
    {
        var state = context.Properties.GetValue(StateKey, null!);
        var token = context.CancellationToken;
        for (var requeues = 0; ; requeues++)
        {
            var (answer, quota) = await RequestOnceAsync(state, token).ConfigureAwait(false);
            if (!quota || requeues >= MaxQuotaRequeues || token.IsCancellationRequested)
            {
                if (!quota || answer.HttpStatus != 429)
                {
                    state.LastAnswer = answer;
                }
                return answer;
            }
            state.Attempts--;
            Interlocked.Increment(ref _quotaRequeues);
            var wait = QuotaWait(answer.RetryAfter);
            if (
                state.Deadline is { } deadline
                && _time.GetTimestamp() + (long)((wait + ExpectedAttempt).TotalSeconds * _time.TimestampFrequency) > deadline
            )
            {
                // The budget cannot hold another try: the asset keeps what its own attempts said, or is left untouched.
                if (state.LastAnswer is { } last)
                {
                    return last;
                }
                state.NotStarted = true;
                return FetchOutcome.Unsent;
            }
            _observer.Debug(
                $"'{TextSafety.Inert(state.SerialNumber, 80)}': the quota's 429 (the window is full), not counted as an attempt; back in line in "
                    + $"{wait.TotalSeconds:0.###} s."
            );
            await Task.Delay(wait, _time, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a 429 is no attempt of the asset. A spent window in the headers never is one. Otherwise nothing in one answer
    /// tells the quota's 429 from the asset's own (at the quota's edge, the quota's come mostly alone), so what follows
    /// decides: the asset goes back in line, and its 429 costs an attempt only when it persists after the service has let
    /// others through since its last one, more often than the quota would pick it with a chance of <see cref="QuotaChance"/>
    /// (the share of 429s now, to that power) or than <see cref="MaxQuotaHits"/>. When nothing got through in between (every
    /// answer a 429: a full window, or only busy records left at the end of a run) it is the quota's, at most
    /// <see cref="MaxQuotaHits"/> times in a row. Once an asset's 429 has counted, every later one does: it retries as the
    /// contract says, and never loops.
    /// </summary>
    /// <param name="cause">What the rate made of the answer.</param>
    /// <param name="state">The asset's attempts so far; its marks are moved on here.</param>
    /// <param name="othersThrough">Others got through since this asset's last 429 (false before its first).</param>
    private bool IsQuota(ThrottleCause cause, AttemptState state, bool othersThrough)
    {
        switch (cause)
        {
            case ThrottleCause.None:
                return false;
            case ThrottleCause.SpentWindow:
                return true;
            default:
                if (state.OwnThrottle)
                {
                    return false;
                }
                var first = state.PassedAtLastHit is null;
                state.PassedAtLastHit = _gate.PassedAnswers;
                if (first)
                {
                    return true;
                }
                if (othersThrough)
                {
                    state.PersistedHits++;
                    if (state.PersistedHits <= MaxQuotaHits && Math.Pow(Rate.ThrottledShare, state.PersistedHits) >= QuotaChance)
                    {
                        return true;
                    }
                }
                else if (++state.IdleHits <= MaxQuotaHits)
                {
                    return true;
                }
                state.OwnThrottle = true;
                return false;
        }
    }

    /// <summary>Below this chance, an asset met by "the quota" again and again is answering 429 of its own.</summary>
    internal const double QuotaChance = 1e-6;

    /// <summary>
    /// The most times one asset is put back in line for 429s that persist while others get through, and again for 429s while
    /// nothing does (busy records left alone at the end of a run make every recent answer a 429, which looks like a full
    /// window): this bounds what a busy record costs before its 429s count.
    /// </summary>
    internal const int MaxQuotaHits = 6;

    /// <summary>A quota 429 is waited out for its Retry-After (capped), and at least the base backoff, jittered.</summary>
    private TimeSpan QuotaWait(TimeSpan? retryAfter) => Jittered(RetryDelay(0, retryAfter));

    /// <summary>
    /// The most added to a wait after a 429, drawn uniformly: a retry exactly Retry-After later lands at the same place of the
    /// next window, full again when the first was (issue 38: 18 of 47 assets met a second 429 that way). One second spreads
    /// retries over a whole window of the usual length; a shorter wait is spread over its own length.
    /// </summary>
    internal static readonly TimeSpan Jitter = TimeSpan.FromSeconds(1);

    private TimeSpan Jittered(TimeSpan wait) => wait + ((wait < Jitter ? wait : Jitter) * _random());

    /// <summary>The longer of <paramref name="wait"/> and the server's Retry-After, capped by -MaxRetryAfterSec.</summary>
    private TimeSpan Longer(TimeSpan wait, TimeSpan? retryAfter)
    {
        if (retryAfter is not { } asked)
        {
            return wait;
        }
        var capped = asked > _options.MaxRetryAfter ? _options.MaxRetryAfter : asked;
        return capped > wait ? capped : wait;
    }

    /// <summary>Quota 429s one asset may be put back in line for before they count as its attempts after all.</summary>
    internal const int MaxQuotaRequeues = 1000;

    private long _quotaRequeues;

    /// <summary>Quota 429s that were not counted as attempts: their assets went back in line.</summary>
    public long QuotaRequeues => Interlocked.Read(ref _quotaRequeues);

    /// <summary>One request through the gate: its answer, and whether it was the quota's 429.</summary>
    private async ValueTask<(FetchOutcome Answer, bool Quota)> RequestOnceAsync(AttemptState state, CancellationToken token)
    {
        // Under a time budget, the first attempt may start only while one attempt still fits: the wait at the gate ends at
        // that moment instead of taking a request the budget cannot hold. It ends at the deadline itself: the same moment
        // for every waiter, and the gate serves them by ticket (the stalest asset first); whether one more attempt fits is
        // decided once through the gate.
        using var lastStart = state.Deadline is { } deadline && state.Attempts == 0 ? new CancellationTokenSource(TimeLeft(deadline), _time) : null;
        using var linked = lastStart is null ? null : CancellationTokenSource.CreateLinkedTokenSource(token, lastStart.Token);
        var waitToken = linked?.Token ?? token;
        RequestGate.GateLease lease;
        try
        {
            lease = await _gate.EnterAsync(state.Ticket, waitToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lastStart?.IsCancellationRequested == true && !token.IsCancellationRequested)
        {
            state.NotStarted = true;
            return (FetchOutcome.Unsent, false);
        }
        using (lease)
        {
            state.Waited += lease.Waited;
            if (lease.Waited > TimeSpan.FromMilliseconds(1))
            {
                _observer.RateLimitWaited(state.SerialNumber, lease.Waited);
            }
            if (lastStart?.IsCancellationRequested == true || (state.Deadline is { } end && state.Attempts == 0 && TimeLeft(end) < ExpectedAttempt))
            {
                // The time budget cannot hold one more attempt: leave the asset for the next run, untouched.
                state.NotStarted = true;
                return (FetchOutcome.Unsent, false);
            }
            state.Attempts++;
            Interlocked.Increment(ref _requests);
            var sent = lease.Sent;
            if (state.FirstSent == 0)
            {
                state.FirstSent = sent;
            }
            FetchOutcome answer;
            try
            {
                using var measure = new AttemptTimer(this, sent);
                answer = await _attemptTimeout
                    .ExecuteAsync(
                        static (s, ct) => new ValueTask<FetchOutcome>(s.Client.FetchOnceAsync(s.State.SerialNumber, s.State.Known, ct)),
                        (Client: _client, State: state),
                        token
                    )
                    .ConfigureAwait(false);
            }
            catch (TimeoutRejectedException)
            {
                answer = TimedOut();
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // A handler that throws something else as the attempt timeout fires (a disposed stream)
                // is still a timeout; any other exception is this asset's failure, never the run's.
                if (_time.GetElapsedTime(sent) >= _options.Timeout)
                {
                    answer = TimedOut();
                }
                else
                {
                    var (kind, message) = InnomaintClient.Classify(ex);
                    answer = FetchOutcome.Failure(kind, message);
                }
            }
            if (answer.HttpStatus == 429)
            {
                Interlocked.Increment(ref _throttled);
            }
            var took = _time.GetElapsedTime(sent);
            if (ServiceHealth.IsAnswer(answer))
            {
                Health.Answered(took);
            }
            else
            {
                Health.NoAnswer(answer);
            }
            AssetSyncTelemetry.RequestAnswered(answer.HttpStatus, took);
            // A 429 again after others got through since this asset's last one: as far as anyone can tell, a busy record's.
            var othersThrough = state.PassedAtLastHit is { } before && _gate.PassedAnswers > before;
            var again = answer.HttpStatus == 429 && (state.OwnThrottle || othersThrough);
            var cause = _gate.Answered(lease, answer.HttpStatus, answer.RateLimit, state.SerialNumber, again);
            return (answer, IsQuota(cause, state, othersThrough));
        }
    }

    private long _requests;
    private long _throttled;

    /// <summary>Requests sent so far, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>429 answers so far.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    private readonly MovingAverage _attempts = new();

    /// <summary>
    /// What an attempt takes now: a moving average of recent attempts (timeouts included), never more than the attempt
    /// timeout. The time budget plans with it: an asset that starts while one typical attempt still fits is expected to
    /// finish inside the budget, and even a worst one ends at most one attempt timeout after it.
    /// </summary>
    internal TimeSpan ExpectedAttempt => MeasuredAttempt ?? _options.Timeout;

    /// <summary>The moving average of recent attempts (at most the attempt timeout); null before the first answer.</summary>
    internal TimeSpan? MeasuredAttempt => _attempts.Value is { } v ? (v < _options.Timeout ? v : _options.Timeout) : null;

    private void RecordAttempt(TimeSpan took) => _attempts.Add(took);

    private readonly struct AttemptTimer(ResilientFetcher fetcher, long sent) : IDisposable
    {
        public void Dispose() => fetcher.RecordAttempt(fetcher._time.GetElapsedTime(sent));
    }

    /// <summary>Time left until <paramref name="deadline"/> (zero once it has passed).</summary>
    private TimeSpan TimeLeft(long deadline)
    {
        var left = TimeSpan.FromSeconds((deadline - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>A retry is worth scheduling only if its backoff and one more usual attempt end inside the time budget.</summary>
    private bool FitsBudget(ResilienceContext context, int attemptNumber, FetchOutcome outcome)
    {
        var state = context.Properties.GetValue(StateKey, null!);
        if (state.NotStarted)
        {
            return false;
        }
        if (state.Deadline is not { } deadline)
        {
            return true;
        }
        // A 429's retry may be jittered by up to Jitter more.
        var needed = RetryDelay(attemptNumber, outcome.RetryAfter) + (outcome.HttpStatus == 429 ? Jitter : TimeSpan.Zero) + ExpectedAttempt;
        return _time.GetTimestamp() + (long)(needed.TotalSeconds * _time.TimestampFrequency) <= deadline;
    }

    private FetchOutcome TimedOut() =>
        FetchOutcome.Failure(SyncErrorKind.Timeout, $"Innomaint gave no complete answer within {_options.Timeout.TotalSeconds:0.###} s.");

    /// <summary>Backoff for retry number <paramref name="attemptNumber"/> (0-based), at least the server's Retry-After.</summary>
    internal TimeSpan RetryDelay(int attemptNumber, TimeSpan? retryAfter) => Longer(_options.RetryInterval * Math.Pow(2, attemptNumber), retryAfter);

    private sealed class AttemptState(string serialNumber)
    {
        public string SerialNumber { get; } = serialNumber;

        public int Attempts { get; set; }

        public long FirstSent { get; set; }

        public TimeSpan Waited { get; set; }

        /// <summary>Validators for a conditional request; null for a plain one (none stored, or -Force).</summary>
        public SelectedAsset? Known { get; init; }

        public long? Deadline { get; init; }

        /// <summary>The asset's place in the selection: its requests take their turn at the gate by it.</summary>
        public long Ticket { get; init; }

        public bool NotStarted { get; set; }

        /// <summary>The service's <see cref="RequestGate.PassedAnswers"/> at this asset's last 429; null before its first.</summary>
        public long? PassedAtLastHit { get; set; }

        /// <summary>429s of this asset met again after others got through (see <see cref="IsQuota"/>).</summary>
        public int PersistedHits { get; set; }

        /// <summary>429s of this asset met again while nothing got through.</summary>
        public int IdleHits { get; set; }

        /// <summary>The evidence said this asset's 429s are its own: each one is an attempt.</summary>
        public bool OwnThrottle { get; set; }

        /// <summary>The last answer that was the asset's own (not the quota's 429), if any.</summary>
        public FetchOutcome? LastAnswer { get; set; }
    }
}
