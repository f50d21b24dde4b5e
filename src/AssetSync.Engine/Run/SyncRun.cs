using System.Diagnostics;
using System.Threading.Channels;
using AssetSync.Diagnostics;
using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;
using Npgsql;

namespace AssetSync.Run;

/// <summary>
/// One run's lifecycle: the lock and its watcher, the run row, the parallel per-asset steps, and
/// a <c>finally</c> that stops the watcher and then closes the row with true counts, on every path
/// short of a killed process. Each per-asset step returns a result or records a typed fatal error;
/// nothing else escapes it.
/// <para>Over 400 lines on purpose: what is left here is the order of a run (start, the producer and the workers, each
/// asset's path through the probation and the breaker, the close) and reads best whole; its parts that stand alone
/// live beside it (<see cref="RunBudget"/>, <see cref="RunCounters"/>, <see cref="OutcomeWriter"/>, <see cref="RunSummaryBuilder"/>, and
/// <see cref="Resilience.PathProbation{T}"/>, <see cref="Resilience.ServiceBreaker{T}"/>).</para>
/// </summary>
internal sealed class SyncRun
{
    /// <summary>How often a running run's row is brought up to date, so other sessions see live counts.</summary>
    internal static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);


    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly SyncStore _store;
    private readonly SyncObserver _observer;
    private readonly InnomaintClient _client;
    private readonly AssetSelection _selection;
    private readonly ServiceBreaker<DecidedAsset> _breaker;
    private readonly ServiceHealth _health;
    private readonly PathProbation<DecidedAsset> _probation;
    private readonly RunCounters _counts = new();
    private readonly RunBudget _budget;

    private long _runId;
    private SelectionSnapshot _selected = new();

    /// <summary>Assets read from the database for the producer at a time (validators, last error kind): one round trip each.</summary>
    private const int SelectionChunk = 1000;
    private ResilientFetcher? _fetcher;
    private Func<double>? _telemetryRate;
    private LearnedRate? _stored;
    private Activity? _activity;
    private OutcomeWriter? _writer;
    private SyncRunFailedException? _fatal;
    private CancellationTokenSource? _runCts;

    public SyncRun(SyncOptions options, TimeProvider time, SyncStore store, SyncObserver observer, InnomaintClient client, AssetSelection selection)
    {
        _options = options;
        _time = time;
        _store = store;
        _observer = observer;
        _client = client;
        _selection = selection;
        _breaker = new ServiceBreaker<DecidedAsset>(options.CircuitBreakerThreshold);
        _health = new ServiceHealth(time, options.Timeout);
        // Nothing answered and the connections fail: no asset is to blame, and none is marked.
        // Through a proxy, that is the proxy's fault (ProxyRefused); direct, Innomaint's (InnomaintUnreachable).
        _health.Unreachable += (attempts, cause) => Stop(client.Route.Unreachable(attempts, cause));
        // Named serial numbers are the operator's own choice: their 404s are answers, not a sign of a wrong path.
        _budget = new RunBudget(time, options.MaxDuration);
        _probation = new PathProbation<DecidedAsset>(selection.Mode == SelectionMode.Serials ? 0 : options.AssetPathSuspectThreshold);
    }

    private SyncRunFailedException? Fatal => Volatile.Read(ref _fatal);

    /// <summary>The first fatal error wins; later ones are consequences of the stop.</summary>
    private void SetFatal(SyncRunFailedException ex) => Interlocked.CompareExchange(ref _fatal, ex, null);

    /// <summary>Stops the run as failed: records why (the first reason wins) and cancels every wait and request.</summary>
    private void Stop(SyncRunFailedException reason)
    {
        SetFatal(reason);
        try
        {
            _runCts?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run has already ended.
        }
    }

    public async Task<SyncRunSummary> RunAsync(CancellationToken cancellationToken)
    {
        LockAcquisition acquisition;
        try
        {
            await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            acquisition = await _store.Runs.AcquireLockAsync(_options.IfRunning, _options.LockWaitTimeout, _time, _observer, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw DatabaseErrors.Unavailable(_store.Target, ex);
        }
        if (acquisition.Lock is not { } runLock)
        {
            return new RunSummaryBuilder(_selection, _counts, _budget, _observer, _options).Skipped(acquisition.Holder!, _time.GetUtcNow());
        }

        await using (runLock)
        {
            long? total;
            DateTimeOffset startedAt;
            try
            {
                // A batch run orders by the change model the last batch run fitted as it ended (SyncEngine).
                var model = _selection.Mode == SelectionMode.Batch ? await _store.ChangeModel.ReadAsync(cancellationToken).ConfigureAwait(false) : null;
                _selected = await _store.Selection.SelectAsync(_selection, model, s =>
                {
                    _counts.Skip();
                    _observer.Warning($"Asset '{TextSafety.Inert(s)}' is not in ic3_asset_master (no row has it as cmms_asset_id); skipped.");
                }, cancellationToken).ConfigureAwait(false);
                total = _selected.Count;
                if (_options.AdaptiveRate)
                {
                    _stored = await _store.Runs.GetLearnedRateAsync(_client.BaseUrl, cancellationToken).ConfigureAwait(false);
                }
                var skipped = _counts.Skipped;
                (_runId, startedAt) = await _store.Runs.StartAsync(_selection, _selected.Count + skipped, skipped, Environment.MachineName, Environment.UserName, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw DatabaseErrors.Unavailable(_store.Target, ex);
            }

            var started = _time.GetTimestamp();
            _activity = AssetSyncTelemetry.Source.StartActivity("AssetSync.Run");
            _activity?.SetTag("assetsync.run.id", _runId);
            _activity?.SetTag("assetsync.mode", _selection.Mode.Name);
            _budget.Start(started);
            using var runCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _runCts = runCts;
            using var progressStop = new CancellationTokenSource();
            Task progress = Task.CompletedTask;
            try
            {
                _observer.Debug($"Run {_runId} started: {_selection}, {_options}.");
                _observer.Verbose($"Route to Innomaint at {_client.BaseUrl}: {_client.Route.Proxy}.");
                // Serials mode: known only after the lookup, as skips are found.
                _observer.RunStarted(_runId, _selection.Mode, total);
                runLock.Watch(_time, _observer.Warning, Stop);
                progress = KeepRowCurrentAsync(progressStop.Token);
                var rate = new RateController(_time, _options.Rate, _options.RequestsPerSecond, _stored, _observer.RateChanged);
                _telemetryRate = () => rate.Current;
                AssetSyncTelemetry.RunStarted(_telemetryRate);
                var fetcher = new ResilientFetcher(_client, _options, _time, _observer, rate, _health);
                _fetcher = fetcher;
                _writer = new OutcomeWriter(_store, _runId, _time, _counts, _observer, Stop);
                await ExecuteAsync(fetcher, runCts).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Last resort: whatever escaped the steps fails the run, with the cause kept, instead of killing it silently.
                SetFatal(ex as SyncRunFailedException ?? new UnexpectedSyncErrorException("(none)", ex));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || runCts.IsCancellationRequested)
            {
            }
            finally
            {
                await FlushWritesAsync().ConfigureAwait(false);
                await progressStop.CancelAsync().ConfigureAwait(false);
                await progress.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                // The watcher stops before the row is closed: a loss it reported later would describe a closed run.
                await runLock.StopWatchingAsync().ConfigureAwait(false);
            }

            await ReleaseHeldAsync().ConfigureAwait(false);
            return await CloseAsync(startedAt, _time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SyncRunSummary> CloseAsync(DateTimeOffset startedAt, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var status = Fatal is not null ? RunStatus.Failed : cancellationToken.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Complete;
        var report = new RunSummaryBuilder(_selection, _counts, _budget, _observer, _options);
        var figures = report.Figures(status, _selected.Count, elapsed, _fetcher?.Requests ?? 0, _fetcher?.Throttled ?? 0, _client.BaseUrl, _fetcher?.Rate.Learned());
        DateTimeOffset finishedAt;
        try
        {
            // The run row is closed even when the caller cancelled: it must not stay 'running'.
            using var closing = new CancellationTokenSource(SyncDefaults.CloseTimeout);
            finishedAt = await _store.Runs.FinishAsync(_runId, status, _counts.Succeeded, _counts.Failed, _counts.Skipped, (long)elapsed.TotalMilliseconds,
                Fatal?.Message, figures, closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            if (Fatal is null)
            {
                SetFatal(new DatabaseUnavailableException(
                    $"The run's results are in ic3_sync_log, but its row in cmms_sync_log could not be completed: {StoreConnections.Describe(ex)}. The next run reports it as interrupted.", ex, _store.Target));
                status = RunStatus.Failed;
            }
            finishedAt = _time.GetUtcNow();
        }

        var summary = report.Summary(_runId, status, figures, startedAt, finishedAt, elapsed, Fatal?.Message);
        _observer.Debug($"Run {_runId} {status}: {summary}.");
        RunSummaryBuilder.EndTelemetry(_activity, _telemetryRate, status, summary);
        if (Fatal is { } fatal)
        {
            fatal.Summary = summary;
            throw fatal;
        }
        return summary;
    }

    /// <summary>Writes the live counts into the run row every few seconds; a failed update is only late, never fatal.</summary>
    private async Task KeepRowCurrentAsync(CancellationToken stop)
    {
        int lastOk = -1, lastFailed = -1;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProgressInterval, _time, stop).ConfigureAwait(false);
                var (ok, failed) = (_counts.Succeeded, _counts.Failed);
                if (ok == lastOk && failed == lastFailed)
                {
                    continue;
                }
                await _store.Runs.UpdateProgressAsync(_runId, ok, failed, _counts.Skipped, stop).ConfigureAwait(false);
                (lastOk, lastFailed) = (ok, failed);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException)
            {
                // The database is away; the workers decide what that means. Try again next round.
            }
        }
    }

    private async Task ExecuteAsync(ResilientFetcher fetcher, CancellationTokenSource runCts)
    {
        var token = runCts.Token;
        // Assets in progress may exceed requests in flight: an asset waiting out a backoff holds no request slot.
        // Which asset goes first is the gate's business (by ticket), not the workers' race.
        var workers = Math.Min(ResilientFetcher.ConnectionLimit(_options) * 2, 1024);
        var queue = Channel.CreateBounded<(SelectedAsset Asset, long Ticket)>(new BoundedChannelOptions(workers * 2) { SingleWriter = true });

        var producer = Task.Run(async () =>
        {
            // The selection holds each asset once (SelectionStore.SelectAsync); both rows of a doubled id are enriched.
            try
            {
                long ticket = 0;
                foreach (var chunk in _selected.Chunks(SelectionChunk))
                {
                    if (_budget.Spent)
                    {
                        break;
                    }
                    foreach (var asset in await _store.Selection.GetSelectedAsync(chunk, token).ConfigureAwait(false))
                    {
                        if (_budget.Spent)
                        {
                            break;
                        }
                        await queue.Writer.WriteAsync((asset, ++ticket), token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (NpgsqlException ex)
            {
                // The next chunk of the selection could not be read: the database is gone for good (retries are spent).
                Stop(DatabaseErrors.Unavailable(_store.Target, ex));
            }
            finally
            {
                queue.Writer.TryComplete();
            }
        }, CancellationToken.None);

        var tasks = new Task[workers + 1];
        tasks[0] = producer;
        for (var i = 1; i <= workers; i++)
        {
            tasks[i] = Task.Run(() => WorkAsync(queue.Reader, fetcher, runCts), CancellationToken.None);
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task WorkAsync(ChannelReader<(SelectedAsset Asset, long Ticket)> queue, ResilientFetcher fetcher, CancellationTokenSource runCts)
    {
        var token = runCts.Token;
        string? current = null;
        try
        {
            await foreach (var (asset, ticket) in queue.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (_budget.Spent)
                {
                    // The budget is spent: what is still queued is left for the next run (NotReached).
                    continue;
                }
                current = asset.SerialNumber;
                await StepAsync(asset, ticket, fetcher, runCts).ConfigureAwait(false);
                current = null;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled by the caller or by a fatal error: the asset in hand was not decided and gets no row.
        }
        catch (NpgsqlException ex)
        {
            Stop(DatabaseErrors.Unavailable(_store.Target, ex));
        }
        catch (Exception ex)
        {
            // The last resort of a per-asset step: stop the run as failed, cause kept, rather than hang or die.
            Stop(new UnexpectedSyncErrorException(current ?? "(none)", ex));
        }
    }

    /// <summary>One asset: fetch, decide, write, report. Returns normally, or records a fatal error and cancels the run.</summary>
    private async Task StepAsync(SelectedAsset selected, long ticket, ResilientFetcher fetcher, CancellationTokenSource runCts)
    {
        var token = runCts.Token;
        var serial = selected.SerialNumber;
        // A child of the run's activity (set explicitly: workers run on their own async flow).
        using var activity = AssetSyncTelemetry.Source.HasListeners()
            ? AssetSyncTelemetry.Source.StartActivity("AssetSync.Asset", ActivityKind.Internal, _activity?.Context ?? default)
            : null;
        activity?.SetTag("assetsync.serial_number", serial);
        var fetched = await fetcher.FetchAsync(selected, ticket, _budget.Deadline, token).ConfigureAwait(false);
        activity?.SetTag("assetsync.attempts", fetched.Attempts);
        activity?.SetTag("error.kind", fetched.Outcome.Kind?.ToContractName());
        if (fetched.NotStarted)
        {
            // The time budget cannot hold another attempt: stop taking assets; those in flight finish.
            _budget.MarkSpent();
            return;
        }
        var (outcome, attempts) = (fetched.Outcome, fetched.Attempts);
        // The asset's own time runs from its first request; its queueing for the rate budget is Waited.
        var started = fetched.FirstSent != 0 ? fetched.FirstSent : _time.GetTimestamp();

        if (outcome.StopsRun is { } routeFault)
        {
            // The proxy or the certificate check refused: the way out is broken, not the asset. Nothing is written for it.
            Stop(routeFault);
            return;
        }

        if (outcome.Kind == SyncErrorKind.Credentials)
        {
            // Not the asset's fault: record nothing for it and stop everything.
            Stop(new CredentialsRefusedException(outcome.HttpStatus ?? 401, serial));
            return;
        }

        if (outcome.Kind == SyncErrorKind.NotFound)
        {
            var held = new DecidedAsset(serial, outcome, attempts, _time.GetElapsedTime(started), fetched.Waited);
            switch (_probation.Offer(held))
            {
                case PathProbation<DecidedAsset>.Verdict.Held:
                    return;
                case PathProbation<DecidedAsset>.Verdict.Suspect:
                    if (await PathStillWorksAsync(fetcher, token).ConfigureAwait(false))
                    {
                        // Assets Innomaint lacks happened to come first; the path is fine. Write what was held.
                        await WriteHeldAsync(_probation.End(), token).ConfigureAwait(false);
                        return;
                    }
                    Stop(new AssetPathSuspectException(_probation.Threshold, _client.BuildUri(serial).AbsoluteUri));
                    return;
            }
        }
        else
        {
            // The path works (or at least is not all 404): the held answers were real; write them now.
            await WriteHeldAsync(_probation.End(), token).ConfigureAwait(false);
        }

        // An asset known to fail this way says nothing of the service; before any answer, nothing is known to fail.
        var knownToFail = selected.KnownToFail(outcome.Kind) && _health.EverAnswered;
        var offered = new DecidedAsset(serial, outcome, attempts, _time.GetElapsedTime(started), fetched.Waited);
        switch (_breaker.Offer(offered, outcome.Kind, knownToFail, out var release))
        {
            case ServiceBreaker<DecidedAsset>.Verdict.Write:
                await WriteHeldAsync(release, token).ConfigureAwait(false);
                await _writer!.WriteAsync(serial, outcome, attempts, _time.GetElapsedTime(started), fetched.Waited, token).ConfigureAwait(false);
                return;
            case ServiceBreaker<DecidedAsset>.Verdict.Held:
                return;
            default:
                if (await ServiceAnswersAsync(fetcher, token).ConfigureAwait(false))
                {
                    // The service is up: the streak was these assets' own trouble. Write it and go on.
                    await WriteHeldAsync(_breaker.ServiceAnswered(), token).ConfigureAwait(false);
                    return;
                }
                var inRow = _breaker.Trip();
                Stop(new InnomaintUnreachableException(inRow, outcome.Message ?? "unknown") { BaseUrl = _options.BaseUrl });
                return;
        }
    }

    /// <summary>
    /// Before the breaker gives up on the service: does an asset that synced before still get an answer that is not an
    /// outage (a success, a 304, a 404, any 4xx)? With no asset ever synced there is nothing to ask, and the streak decides.
    /// </summary>
    private async Task<bool> ServiceAnswersAsync(ResilientFetcher fetcher, CancellationToken token)
    {
        var outcome = await AskKnownAssetAsync(fetcher, "service check", token).ConfigureAwait(false);
        var answers = outcome is not null && (outcome.Kind is not { } k || !k.SuggestsOutage());
        _observer.Verbose($"{_breaker.Threshold} assets in a row failed as an outage would; " + (answers
            ? "an asset that synced before still answers, so those failures are the assets' own."
            : "no asset that synced before answers either, so the service is taken to be down."));
        return answers;
    }

    /// <summary>
    /// The deciding question once the first answers were all 404: does an asset that synced before still
    /// answer? If so, the path is right. With no asset ever synced, there is nothing to ask, and the path is suspect.
    /// </summary>
    private async Task<bool> PathStillWorksAsync(ResilientFetcher fetcher, CancellationToken token) =>
        await AskKnownAssetAsync(fetcher, "asset path check", token).ConfigureAwait(false) is { } outcome && outcome.Kind != SyncErrorKind.NotFound;

    /// <summary>Asks Innomaint about the asset that synced last (ahead of every other request); null when none ever synced.</summary>
    private async Task<FetchOutcome?> AskKnownAssetAsync(ResilientFetcher fetcher, string why, CancellationToken token)
    {
        var known = await _store.Selection.GetLastSucceededSerialAsync(token).ConfigureAwait(false);
        if (known is null)
        {
            _observer.Debug($"The {why} has no asset to ask about: none has ever synced.");
            return null;
        }
        var outcome = (await fetcher.FetchAsync(known, token).ConfigureAwait(false)).Outcome;
        _observer.Debug($"The {why} asked about '{TextSafety.Inert(known)}', which synced before: {outcome}.");
        return outcome;
    }

    /// <summary>
    /// Outcomes still held when the run ends were decided: 404s held while the path was on probation (unless the path proved
    /// wrong) and the failures of an unfinished breaker streak (unless the service proved down) are written now.
    /// </summary>
    private async Task ReleaseHeldAsync()
    {
        var held = new List<DecidedAsset>();
        if (Fatal is not AssetPathSuspectException)
        {
            held.AddRange(_probation.End());
        }
        if (Fatal is not (InnomaintUnreachableException or ProxyRefusedException))
        {
            held.AddRange(_breaker.End());
        }
        if (held.Count == 0)
        {
            return;
        }
        try
        {
            using var closing = new CancellationTokenSource(SyncDefaults.CloseTimeout);
            await WriteHeldAsync(held, closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            SetFatal(new DatabaseUnavailableException(
                $"{held.Count} decided asset(s) could not be written: {StoreConnections.Describe(ex)}.", ex, _store.Target));
        }
    }

    private Task WriteHeldAsync(IReadOnlyList<DecidedAsset> held, CancellationToken token) => _writer!.WriteAsync(held, token);

    /// <summary>Writes the decided assets still queued, on every path: they were decided, so they get their rows.</summary>
    private async Task FlushWritesAsync()
    {
        if (_writer is not null && await _writer.FlushAsync().ConfigureAwait(false) is { } failed)
        {
            SetFatal(failed);
        }
    }
}
