using AssetSync.Storage;
using AssetSync.Innomaint;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AssetSync.Resilience;

/// <summary>
/// Fetches one asset with the run's resilience rules: Polly retries (only the kinds the contract
/// marks transient; exponential backoff; Retry-After honoured up to a cap), and for every attempt a
/// slot among ThrottleLimit, a token from the shared rate budget, then the per-attempt timeout.
/// Slot and token are taken per attempt and released before a backoff wait, so an asset waiting
/// to retry never holds up the others.
/// </summary>
internal sealed class ResilientFetcher : IDisposable
{
    private static readonly ResiliencePropertyKey<AttemptState> StateKey = new("AssetSync.Attempt");

    private readonly InnomaintClient _client;
    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly RateBudget? _budget;
    private readonly SemaphoreSlim _slots;
    private readonly SyncObserver _observer;
    private readonly ResiliencePipeline<FetchOutcome> _retry;
    private readonly ResiliencePipeline _attemptTimeout;

    public ResilientFetcher(InnomaintClient client, SyncOptions options, TimeProvider time, SyncObserver observer)
    {
        _client = client;
        _options = options;
        _time = time;
        _observer = observer;
        _slots = new SemaphoreSlim(options.ThrottleLimit, options.ThrottleLimit);
        _budget = double.IsPositiveInfinity(options.RequestsPerSecond) ? null : new RateBudget(options.RequestsPerSecond, time);

        var builder = new ResiliencePipelineBuilder<FetchOutcome> { TimeProvider = time };
        if (options.MaximumRetryCount > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<FetchOutcome>
            {
                MaxRetryAttempts = options.MaximumRetryCount,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { IsRetryable: true } result && FitsBudget(args.Context, args.AttemptNumber, result)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(RetryDelay(args.AttemptNumber, args.Outcome.Result?.RetryAfter)),
                OnRetry = args =>
                {
                    var outcome = args.Outcome.Result!;
                    var state = args.Context.Properties.GetValue(StateKey, null!);
                    _observer.RetryScheduled(new RetryNotice(state.SerialNumber, state.Attempts, options.MaximumRetryCount + 1,
                        args.RetryDelay, outcome.Kind!.Value.ToContractName(), outcome.HttpStatus, outcome.Message ?? ""));
                    return default;
                },
            });
        }
        _retry = builder.Build();
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(options.Timeout).Build();
    }

    /// <summary>Time between requests that the rate budget enforces; null when unlimited.</summary>
    public TimeSpan? RateInterval => _budget?.Interval;

    /// <summary>
    /// The final outcome, the number of requests sent, when the first one was sent (a timestamp of the
    /// run's clock; 0 when none was) and the time spent queueing for the rate budget. Throws only when cancelled.
    /// </summary>
    public Task<FetchResult> FetchAsync(string serialNumber, CancellationToken cancellationToken) =>
        FetchAsync(new SelectedAsset(serialNumber), null, cancellationToken);

    /// <summary>
    /// As above, conditional when <paramref name="asset"/> has validators. With a <paramref name="deadline"/> (a timestamp
    /// of the run's clock), no first request is sent unless one attempt can end before it, and no retry is scheduled
    /// unless its backoff and one attempt can: the asset then ends as its last attempt left it (or not started).
    /// </summary>
    public async Task<FetchResult> FetchAsync(SelectedAsset asset, long? deadline, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var state = new AttemptState(asset.SerialNumber) { Known = asset.HasValidators && !_options.Force ? asset : null, Deadline = deadline };
        context.Properties.Set(StateKey, state);
        try
        {
            var outcome = await _retry.ExecuteAsync(
                static (ctx, self) => self.AttemptAsync(ctx),
                context, this).ConfigureAwait(false);
            return new FetchResult(outcome, state.Attempts, state.FirstSent, state.Waited) { NotStarted = state.NotStarted };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<FetchOutcome> AttemptAsync(ResilienceContext context)
    {
        var state = context.Properties.GetValue(StateKey, null!);
        var token = context.CancellationToken;
        // Under a time budget, the first attempt may start only while one attempt still fits: waits for a slot or
        // for the rate budget end at that moment instead of taking a request the budget cannot hold.
        // The waits end at the deadline itself: the same moment for every waiter, so they are served in the order they
        // came (the stalest asset first); whether one more attempt fits is decided once the slot and the token are in hand.
        using var lastStart = state.Deadline is { } deadline && state.Attempts == 0
            ? new CancellationTokenSource(TimeLeft(deadline), _time)
            : null;
        using var linked = lastStart is null ? null : CancellationTokenSource.CreateLinkedTokenSource(token, lastStart.Token);
        var waitToken = linked?.Token ?? token;
        try
        {
            await _slots.WaitAsync(waitToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lastStart?.IsCancellationRequested == true && !token.IsCancellationRequested)
        {
            state.NotStarted = true;
            return NotStartedOutcome;
        }
        try
        {
            if (_budget is not null)
            {
                var started = _time.GetTimestamp();
                try
                {
                    using var lease = await _budget.AcquireAsync(1, waitToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (lastStart?.IsCancellationRequested == true && !token.IsCancellationRequested)
                {
                    state.NotStarted = true;
                    return NotStartedOutcome;
                }
                var waited = _time.GetElapsedTime(started);
                state.Waited += waited;
                if (waited > TimeSpan.FromMilliseconds(1))
                {
                    _observer.RateLimitWaited(state.SerialNumber, waited);
                }
            }
            if (lastStart?.IsCancellationRequested == true || (state.Deadline is { } end && state.Attempts == 0 && TimeLeft(end) < ExpectedAttempt))
            {
                // The time budget cannot hold one more attempt: leave the asset for the next run, untouched.
                state.NotStarted = true;
                return NotStartedOutcome;
            }
            state.Attempts++;
            Interlocked.Increment(ref _requests);
            var sent = _time.GetTimestamp();
            if (state.FirstSent == 0)
            {
                state.FirstSent = sent;
            }
            try
            {
                using var measure = new AttemptTimer(this, sent);
                var answer = await _attemptTimeout.ExecuteAsync(
                    static (s, ct) => new ValueTask<FetchOutcome>(s.Client.FetchOnceAsync(s.State.SerialNumber, s.State.Known, ct)),
                    (Client: _client, State: state), token).ConfigureAwait(false);
                if (answer.HttpStatus == 429)
                {
                    Interlocked.Increment(ref _throttled);
                }
                return answer;
            }
            catch (TimeoutRejectedException)
            {
                return TimedOut();
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // A handler that throws something else as the attempt timeout fires (a disposed stream)
                // is still a timeout; any other exception is this asset's failure, never the run's.
                if (_time.GetElapsedTime(sent) >= _options.Timeout)
                {
                    return TimedOut();
                }
                var (kind, message) = InnomaintClient.Classify(ex);
                return FetchOutcome.Failure(kind, message);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private static readonly FetchOutcome NotStartedOutcome = FetchOutcome.Failure(FailureKind.Timeout, "Not started: the run's time budget could not hold one more attempt.");

    private long _requests;
    private long _throttled;

    /// <summary>Requests sent so far, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>429 answers so far.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    private long _expectedTicks;

    /// <summary>
    /// What an attempt takes now: a moving average of recent attempts (timeouts included), never more than the attempt
    /// timeout. The time budget plans with it: an asset that starts while one typical attempt still fits is expected to
    /// finish inside the budget, and even a worst one ends at most one attempt timeout after it.
    /// </summary>
    internal TimeSpan ExpectedAttempt
    {
        get
        {
            var ticks = Interlocked.Read(ref _expectedTicks);
            // Before any answer: assume the worst, a whole attempt timeout.
            return ticks == 0 ? _options.Timeout : TimeSpan.FromTicks(Math.Min(ticks, _options.Timeout.Ticks));
        }
    }

    private void RecordAttempt(TimeSpan took)
    {
        // An exponentially weighted average (1/5 weight to the newest): follows a slowing API within a few attempts.
        long seen, next;
        do
        {
            seen = Interlocked.Read(ref _expectedTicks);
            next = seen == 0 ? took.Ticks : seen + ((took.Ticks - seen) / 5);
        }
        while (Interlocked.CompareExchange(ref _expectedTicks, next, seen) != seen);
    }

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
        var needed = RetryDelay(attemptNumber, outcome.RetryAfter) + ExpectedAttempt;
        return _time.GetTimestamp() + (long)(needed.TotalSeconds * _time.TimestampFrequency) <= deadline;
    }

    private FetchOutcome TimedOut() => FetchOutcome.Failure(FailureKind.Timeout,
        $"Innomaint gave no complete answer within {_options.Timeout.TotalSeconds:0.###} s.");

    /// <summary>Backoff for retry number <paramref name="attemptNumber"/> (0-based), at least the server's Retry-After.</summary>
    internal TimeSpan RetryDelay(int attemptNumber, TimeSpan? retryAfter)
    {
        var backoff = _options.RetryInterval * Math.Pow(2, attemptNumber);
        if (_options.UseJitter)
        {
            backoff *= 0.75 + (Random.Shared.NextDouble() * 0.5);
        }
        if (retryAfter is { } asked)
        {
            var capped = asked > _options.MaxRetryAfter ? _options.MaxRetryAfter : asked;
            if (capped > backoff)
            {
                return capped;
            }
        }
        return backoff;
    }

    public void Dispose()
    {
        _slots.Dispose();
        _budget?.Dispose();
    }

    private sealed class AttemptState(string serialNumber)
    {
        public string SerialNumber { get; } = serialNumber;

        public int Attempts { get; set; }

        public long FirstSent { get; set; }

        public TimeSpan Waited { get; set; }

        /// <summary>Validators for a conditional request; null for a plain one (none stored, or -Force).</summary>
        public SelectedAsset? Known { get; init; }

        public long? Deadline { get; init; }

        public bool NotStarted { get; set; }
    }
}

/// <summary>What one asset's fetch came to: outcome, requests sent, when the first was sent, time queued for the rate budget.</summary>
internal readonly record struct FetchResult(FetchOutcome Outcome, int Attempts, long FirstSent, TimeSpan Waited)
{
    /// <summary>The time budget ran out before the first request: the asset is left for the next run.</summary>
    public bool NotStarted { get; init; }
}
