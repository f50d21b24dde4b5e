using System.Diagnostics;
using System.Threading.Channels;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AssetSync;

/// <summary>
/// Runs one sync: select assets → fetch each from Innomaint (retries, rate budget, timeout) →
/// write it (master row, PM schedules and log row in one transaction) → report it.
/// One engine can run many syncs, one after another.
/// </summary>
public sealed class SyncEngine : IAsyncDisposable
{
    private const string HttpClientName = "Innomaint";

    private readonly SyncOptions _options;
    private readonly TimeProvider _time;
    private readonly ServiceProvider _services;
    private readonly InnomaintClient _client;

    /// <summary>Creates an engine; validates <paramref name="options"/> first.</summary>
    public SyncEngine(SyncOptions options) : this(options, TimeProvider.System, null)
    {
    }

    /// <summary>For tests: a fake clock and, optionally, a fake primary HTTP handler.</summary>
    internal SyncEngine(SyncOptions options, TimeProvider time, Func<HttpMessageHandler>? primaryHandler)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _time = time;

        var o = _options;
        var services = new ServiceCollection();
        services.AddHttpClient(HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => primaryHandler?.Invoke() ?? CreateHandler(o))
            .RemoveAllLoggers()
            .ConfigureHttpClient(c => c.Timeout = System.Threading.Timeout.InfiniteTimeSpan);
        _services = services.BuildServiceProvider();
        var http = _services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        _client = new InnomaintClient(http, SyncOptions.ValidateBaseUrl(o.BaseUrl), new AssetPathTemplate(o.AssetPath), o.ApiToken, o.MaxResponseBytes, time);
    }

    /// <summary>Wait for another run's lock instead of failing at once.</summary>
    public bool WaitForLock { get; init; }

    /// <summary>How long <see cref="WaitForLock"/> waits.</summary>
    public TimeSpan LockWaitTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The URL that would be requested for a serial number (for -WhatIf and -Debug).</summary>
    public Uri GetAssetUri(string serialNumber) => _client.BuildUri(serialNumber);

    private static SocketsHttpHandler CreateHandler(SyncOptions o)
    {
        var handler = new SocketsHttpHandler
        {
            // Never follow a redirect: the Authorization header would travel with it.
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = Math.Max(o.ThrottleLimit, 2),
            ConnectTimeout = o.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        };
        if (o.SkipCertificateCheck)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        return handler;
    }

    /// <summary>
    /// Runs a sync. Each asset is reported to <paramref name="observer"/> once its log row is committed.
    /// Returns the summary of a complete or cancelled run. Throws a <see cref="SyncRunFailedException"/>
    /// (credentials refused, Innomaint unreachable, database lost) carrying the failed run's summary,
    /// <see cref="SchemaMissingException"/>, <see cref="SyncRunLockedException"/>, or
    /// <see cref="DatabaseUnavailableException"/> when the run could not start.
    /// </summary>
    public async Task<SyncRunSummary> RunAsync(AssetSelection selection, SyncObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        observer ??= SyncObserver.None;
        await using var store = new SyncStore(_options.ConnectionString, _options.DatabaseMaxRetryCount, _options.DatabaseRetryInterval, _time, observer.Warning);

        RunLock runLock;
        long runId;
        DateTimeOffset startedAt;
        long? total;
        var skipped = 0;
        try
        {
            await store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            runLock = await store.AcquireRunLockAsync(WaitForLock, LockWaitTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw DatabaseErrors.Unavailable(store.Target, ex);
        }

        await using (runLock)
        {
            try
            {
                total = await store.CountAsync(selection, cancellationToken).ConfigureAwait(false);
                (runId, startedAt) = await store.StartRunAsync(selection, Environment.MachineName, Environment.UserName, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw DatabaseErrors.Unavailable(store.Target, ex);
            }

            observer.Debug($"Run {runId} started: {selection}, {_options}.");
            var serials = SyncDatabase.Select(store, selection, s =>
            {
                Interlocked.Increment(ref skipped);
                observer.Warning($"Asset '{s}' is not in ic3_asset_master (no row has it as cmms_asset_id); skipped.");
            }, cancellationToken);
            if (selection.Mode == "serials")
            {
                // Known only after the lookup; the count is refined as skips are found.
                total = null;
            }
            observer.RunStarted(runId, selection.Mode, total);

            var run = new RunState(runId, store, observer, new CircuitGuard(_options.CircuitBreakerThreshold));
            var started = _time.GetTimestamp();
            using var fetcher = new ResilientFetcher(_client, _options, _time, observer);
            using var runCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            runLock.Watch(_time, observer.Warning, lost =>
            {
                run.SetFatal(lost);
                runCts.Cancel();
            });
            await ExecuteAsync(run, serials, fetcher, runCts).ConfigureAwait(false);

            var status = run.Fatal is not null ? "failed" : cancellationToken.IsCancellationRequested ? "cancelled" : "complete";
            var elapsed = _time.GetElapsedTime(started);
            DateTimeOffset finishedAt;
            try
            {
                // The run row is closed even when the caller cancelled: it must not stay 'running'.
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                finishedAt = await store.FinishRunAsync(runId, status, run.Succeeded, run.Failed, skipped, (long)elapsed.TotalMilliseconds,
                    run.Fatal?.Message, closing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
            {
                if (run.Fatal is null)
                {
                    run.SetFatal(new DatabaseUnavailableException(
                        $"The run's results are in ic3_sync_log, but its row in cmms_sync_log could not be completed: {SyncStore.Describe(ex)}. The next run reports it as interrupted.", ex, store.Target));
                    status = "failed";
                }
                finishedAt = _time.GetUtcNow();
            }

            var summary = new SyncRunSummary
            {
                RunId = runId,
                Mode = selection.Mode,
                Total = run.Succeeded + run.Failed,
                Succeeded = run.Succeeded,
                Failed = run.Failed,
                Skipped = skipped,
                Status = status,
                StartedAt = startedAt,
                FinishedAt = finishedAt,
                Duration = elapsed,
                Error = run.Fatal?.Message,
                Host = Environment.MachineName,
                User = Environment.UserName,
            };
            observer.Debug($"Run {runId} {status}: {summary}.");
            if (run.Fatal is not null)
            {
                run.Fatal.Summary = summary;
                throw run.Fatal;
            }
            return summary;
        }
    }

    private async Task ExecuteAsync(RunState run, IAsyncEnumerable<string> serials, ResilientFetcher fetcher, CancellationTokenSource runCts)
    {
        var token = runCts.Token;
        // Assets in progress may exceed requests in flight: an asset waiting out a backoff holds no request slot.
        var workers = Math.Min(_options.ThrottleLimit * 4, 256);
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(workers * 2) { SingleWriter = true });

        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var serial in serials.WithCancellation(token).ConfigureAwait(false))
                {
                    await queue.Writer.WriteAsync(serial, token).ConfigureAwait(false);
                }
                queue.Writer.TryComplete();
            }
            catch (OperationCanceledException)
            {
                queue.Writer.TryComplete();
            }
            catch (NpgsqlException ex)
            {
                run.SetFatal(DatabaseErrors.Unavailable(run.Store.Target, ex));
                queue.Writer.TryComplete();
                runCts.Cancel();
            }
        }, CancellationToken.None);

        var tasks = new Task[workers + 1];
        tasks[0] = producer;
        for (var i = 1; i <= workers; i++)
        {
            tasks[i] = Task.Run(() => WorkAsync(run, queue.Reader, fetcher, runCts), CancellationToken.None);
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task WorkAsync(RunState run, ChannelReader<string> queue, ResilientFetcher fetcher, CancellationTokenSource runCts)
    {
        var token = runCts.Token;
        try
        {
            await foreach (var serial in queue.ReadAllAsync(token).ConfigureAwait(false))
            {
                var started = _time.GetTimestamp();
                var (outcome, attempts) = await fetcher.FetchAsync(serial, token).ConfigureAwait(false);

                if (outcome.Kind == FailureKind.Credentials)
                {
                    // Not the asset's fault: record nothing for it and stop everything.
                    run.SetFatal(new CredentialsRefusedException(outcome.HttpStatus ?? 401, serial));
                    runCts.Cancel();
                    return;
                }

                var result = await ApplyAsync(run, serial, outcome, attempts, started, token).ConfigureAwait(false);
                run.Record(result);
                run.Observer.AssetCompleted(result);

                if (run.Circuit.Record(outcome.Kind, out var inRow))
                {
                    run.SetFatal(new InnomaintUnreachableException(inRow, outcome.Message ?? "unknown") { BaseUrl = _options.BaseUrl });
                    runCts.Cancel();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled by the caller or by a fatal error: the asset in hand was not decided and gets no row.
        }
        catch (NpgsqlException ex)
        {
            run.SetFatal(DatabaseErrors.Unavailable(run.Store.Target, ex));
            runCts.Cancel();
        }
    }

    private async Task<AssetSyncResult> ApplyAsync(RunState run, string serial, FetchOutcome outcome, int attempts, long started, CancellationToken token)
    {
        var kind = outcome.Kind;
        var message = outcome.Message;
        if (outcome.Asset is { } asset)
        {
            try
            {
                await run.Store.ApplySuccessAsync(run.RunId, asset, serial, attempts, outcome.HttpStatus,
                    (long)_time.GetElapsedTime(started).TotalMilliseconds, token).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (!SyncStore.IsTransient(ex))
            {
                // Nothing of the asset was written (one implicit transaction); say why in its log row.
                kind = FailureKind.Database;
                message = "Writing the asset to the database failed: " + SyncStore.Describe(ex);
            }
        }

        var duration = _time.GetElapsedTime(started);
        if (kind is { } failure)
        {
            await run.Store.ApplyFailureAsync(run.RunId, serial, failure, message!, attempts, outcome.HttpStatus, (long)duration.TotalMilliseconds, token).ConfigureAwait(false);
        }
        return new AssetSyncResult
        {
            SerialNumber = serial,
            Status = kind is null ? AssetSyncStatus.Succeeded : AssetSyncStatus.Failed,
            Attempts = attempts,
            HttpStatus = outcome.HttpStatus,
            ErrorKind = kind?.ToContractName(),
            Error = message,
            Duration = duration,
            RunId = run.RunId,
        };
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync().ConfigureAwait(false);

    /// <summary>What the workers of one run share.</summary>
    private sealed class RunState(long runId, SyncStore store, SyncObserver observer, CircuitGuard circuit)
    {
        private int _succeeded;
        private int _failed;
        private SyncRunFailedException? _fatal;

        public long RunId { get; } = runId;

        public SyncStore Store { get; } = store;

        public SyncObserver Observer { get; } = observer;

        /// <summary>One guard for the whole run: every worker's outcomes count in the same row.</summary>
        public CircuitGuard Circuit { get; } = circuit;

        public int Succeeded => Volatile.Read(ref _succeeded);

        public int Failed => Volatile.Read(ref _failed);

        public SyncRunFailedException? Fatal => Volatile.Read(ref _fatal);

        /// <summary>The first fatal error wins; later ones are consequences of the stop.</summary>
        public void SetFatal(SyncRunFailedException ex) => Interlocked.CompareExchange(ref _fatal, ex, null);

        public void Record(AssetSyncResult result)
        {
            if (result.Status == AssetSyncStatus.Succeeded)
            {
                Interlocked.Increment(ref _succeeded);
            }
            else
            {
                Interlocked.Increment(ref _failed);
            }
        }
    }
}
