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
/// <para>Only the order of a run is here: start, the producer and the workers, each asset's fetch, verdict and write, the
/// close. The rules live beside it: what each decided asset comes to (<see cref="AssetVerdicts"/>), the questions about an
/// asset that synced before (<see cref="KnownAssetQuestions"/>), the writes (<see cref="OutcomeWriter"/>), the budget
/// (<see cref="RunBudget"/>), the counts (<see cref="RunCounters"/>) and the summary (<see cref="RunSummaryBuilder"/>).</para>
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
    private readonly ServiceHealth _health;
    private readonly AssetVerdicts _verdicts;
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
        _health = new ServiceHealth(time, options.Timeout);
        // Nothing answered and the connections fail: no asset is to blame, and none is marked.
        // Through a proxy, that is the proxy's fault (ProxyRefused); direct, Innomaint's (InnomaintUnreachable).
        _health.Unreachable += (attempts, cause) => Stop(client.Route.Unreachable(attempts, cause));
        _budget = new RunBudget(time, options.MaxDuration);
        // Named serial numbers are the operator's own choice: their 404s are answers, not a sign of a wrong path.
        _verdicts = new AssetVerdicts(
            selection.Mode == SelectionMode.Serials ? 0 : options.AssetPathSuspectThreshold,
            options.CircuitBreakerThreshold,
            _health
        );
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
            acquisition = await _store
                .Runs.AcquireLockAsync(_options.IfRunning, _options.LockWaitTimeout, _time, _observer, cancellationToken)
                .ConfigureAwait(false);
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
                var model =
                    _selection.Mode == SelectionMode.Batch ? await _store.ChangeModel.ReadAsync(cancellationToken).ConfigureAwait(false) : null;
                _selected = await _store
                    .Selection.SelectAsync(
                        _selection,
                        model,
                        s =>
                        {
                            _counts.Skip();
                            _observer.Warning($"Asset '{TextSafety.Inert(s)}' is not in ic3_asset_master (no row has it as cmms_asset_id); skipped.");
                        },
                        cancellationToken
                    )
                    .ConfigureAwait(false);
                total = _selected.Count;
                if (_options.AdaptiveRate)
                {
                    _stored = await _store.Runs.GetLearnedRateAsync(_client.BaseUrl, cancellationToken).ConfigureAwait(false);
                }
                var skipped = _counts.Skipped;
                (_runId, startedAt) = await _store
                    .Runs.StartAsync(_selection, _selected.Count + skipped, skipped, Environment.MachineName, Environment.UserName, cancellationToken)
                    .ConfigureAwait(false);
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
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || runCts.IsCancellationRequested) { }
            finally
            {
                // Held outcomes join the one writer's queue before it is flushed: every decided asset goes the same way.
                await ReleaseHeldAsync().ConfigureAwait(false);
                await FlushWritesAsync().ConfigureAwait(false);
                await progressStop.CancelAsync().ConfigureAwait(false);
                await progress.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                // The watcher stops before the row is closed: a loss it reported later would describe a closed run.
                await runLock.StopWatchingAsync().ConfigureAwait(false);
            }

            return await CloseAsync(startedAt, _time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SyncRunSummary> CloseAsync(DateTimeOffset startedAt, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var status =
            Fatal is not null ? RunStatus.Failed
            : cancellationToken.IsCancellationRequested ? RunStatus.Cancelled
            : RunStatus.Complete;
        var report = new RunSummaryBuilder(_selection, _counts, _budget, _observer, _options);
        var figures = report.Figures(
            status,
            _selected.Count,
            elapsed,
            _fetcher?.Requests ?? 0,
            _fetcher?.Throttled ?? 0,
            _client.BaseUrl,
            _fetcher?.Rate.Learned()
        );
        report.Tell(figures);
        DateTimeOffset finishedAt;
        try
        {
            // The run row is closed even when the caller cancelled: it must not stay 'running'.
            using var closing = new CancellationTokenSource(SyncDefaults.CloseTimeout);
            finishedAt = await _store
                .Runs.FinishAsync(
                    _runId,
                    status,
                    _counts.Succeeded,
                    _counts.Failed,
                    _counts.Skipped,
                    (long)elapsed.TotalMilliseconds,
                    Fatal?.Message,
                    figures,
                    closing.Token
                )
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            if (Fatal is null)
            {
                SetFatal(
                    new DatabaseUnavailableException(
                        $"The run's results are in ic3_sync_log, but its row in cmms_sync_log could not be completed: "
                            + $"{StoreConnections.Describe(ex)}. The next run reports it as interrupted.",
                        ex,
                        _store.Target
                    )
                );
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
        int lastOk = -1,
            lastFailed = -1;
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

        var producer = Task.Run(
            async () =>
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
                catch (OperationCanceledException) when (token.IsCancellationRequested) { }
                catch (NpgsqlException ex)
                {
                    // The next chunk of the selection could not be read: the database is gone for good (retries are spent).
                    Stop(DatabaseErrors.Unavailable(_store.Target, ex));
                }
                finally
                {
                    queue.Writer.TryComplete();
                }
            },
            CancellationToken.None
        );

        var consumers = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(queue.Reader, fetcher, runCts), CancellationToken.None));
        await Task.WhenAll([producer, .. consumers]).ConfigureAwait(false);
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
        var decided = await fetcher.FetchAsync(selected, ticket, _budget.Deadline, token).ConfigureAwait(false);
        var outcome = decided.Outcome;
        activity?.SetTag("assetsync.attempts", decided.Attempts);
        activity?.SetTag("error.kind", outcome.Kind?.ToContractName());
        if (decided.NotStarted)
        {
            // The time budget cannot hold another attempt: stop taking assets; those in flight finish.
            _budget.MarkSpent();
            return;
        }
        var verdict = _verdicts.Decide(decided, selected.KnownToFail(outcome.Kind));
        await WriteDecidedAsync(verdict.Write, token).ConfigureAwait(false);
        verdict = verdict.Then switch
        {
            AssetVerdict.Next.CheckPath => _verdicts.AfterPathCheck(
                await KnownAsset(fetcher).PathStillWorksAsync(token).ConfigureAwait(false),
                _client.BuildUri(serial).AbsoluteUri
            ),
            AssetVerdict.Next.CheckService => _verdicts.AfterServiceCheck(
                await KnownAsset(fetcher).ServiceAnswersAsync(_verdicts.BreakerThreshold, token).ConfigureAwait(false),
                outcome,
                _options.BaseUrl
            ),
            _ => verdict with { Write = [] },
        };
        await WriteDecidedAsync(verdict.Write, token).ConfigureAwait(false);
        if (verdict.StopReason is { } reason)
        {
            Stop(reason);
        }
    }

    private KnownAssetQuestions KnownAsset(ResilientFetcher fetcher) => new(_store.Selection, fetcher, _observer);

    /// <summary>
    /// Outcomes still held when the run ends were decided: 404s held while the path was on probation (unless the path proved
    /// wrong) and the failures of an unfinished breaker streak (unless the service proved down) are written now.
    /// </summary>
    private async Task ReleaseHeldAsync()
    {
        var held = _verdicts.Release(Fatal);
        if (held.Count == 0)
        {
            return;
        }
        try
        {
            using var closing = new CancellationTokenSource(SyncDefaults.CloseTimeout);
            await WriteDecidedAsync(held, closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            SetFatal(
                new DatabaseUnavailableException(
                    $"{held.Count} decided asset(s) could not be written: {StoreConnections.Describe(ex)}.",
                    ex,
                    _store.Target
                )
            );
        }
    }

    /// <summary>Hands decided assets (this one, and any a verdict released) to the outcome writer, in order.</summary>
    private Task WriteDecidedAsync(IReadOnlyList<DecidedAsset> decided, CancellationToken token) =>
        decided.Count == 0 ? Task.CompletedTask : _writer!.WriteAsync(decided, token);

    /// <summary>Writes the decided assets still queued, on every path: they were decided, so they get their rows.</summary>
    private async Task FlushWritesAsync()
    {
        if (_writer is not null && await _writer.FlushAsync().ConfigureAwait(false) is { } failed)
        {
            SetFatal(failed);
        }
    }
}
