using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Run;
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
    public SyncEngine(SyncOptions options)
        : this(options, TimeProvider.System, null) { }

    /// <summary>For tests: a fake clock and, optionally, a fake primary HTTP handler.</summary>
    internal SyncEngine(SyncOptions options, TimeProvider time, Func<HttpMessageHandler>? primaryHandler)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _time = time;

        var o = _options;
        // The one check of the options in a run; it returns the route it checked, the CA file read once.
        var route = o.ValidatedRoute();
        var services = new ServiceCollection();
        services
            .AddHttpClient(HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => primaryHandler?.Invoke() ?? route.CreateHandler(ResilientFetcher.ConnectionLimit(o)))
            .RemoveAllLoggers()
            .ConfigureHttpClient(c => c.Timeout = System.Threading.Timeout.InfiniteTimeSpan);
        _services = services.BuildServiceProvider();
        var http = _services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        _client = new InnomaintClient(
            http,
            route.BaseUrl,
            new AssetPathTemplate(o.AssetPath),
            o.ApiToken,
            o.MaxResponseBytes,
            time,
            route,
            o.MaxRetryAfter
        );
    }

    /// <summary>How Innomaint is reached: "via proxy http://proxy:3128 (from -Proxy)", "direct (-NoProxy)" …; never a login.</summary>
    public string Route => _client.Route.Proxy.ToString();

    /// <summary>
    /// True when the API token crosses a network unencrypted (-AllowUnencryptedAuthentication): plain http to another host,
    /// or to any host through a proxy.
    /// </summary>
    public bool SendsTokenInClear => _client.Route.SendsTokenInClear;

    /// <summary>The URL that would be requested for a serial number (for -WhatIf and -Debug).</summary>
    public Uri GetAssetUri(string serialNumber) => _client.BuildUri(serialNumber);

    /// <summary>
    /// Runs a sync. Each asset is reported to <paramref name="observer"/> once its log row is committed.
    /// Returns the summary of a complete or cancelled run, or of a skipped one (-IfRunning Skip: another run holds the lock;
    /// nothing was sent or written). Throws a <see cref="SyncRunFailedException"/>
    /// (credentials refused, Innomaint unreachable, asset path suspect, database lost, an unexpected error)
    /// carrying the failed run's summary, <see cref="SchemaMissingException"/>, <see cref="SyncRunLockedException"/>,
    /// or <see cref="DatabaseUnavailableException"/> when the run could not start. The run row is closed on every path.
    /// </summary>
    public async Task<SyncRunSummary> RunAsync(AssetSelection selection, SyncObserver? observer = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selection);
        observer ??= SyncObserver.None;
        // Connections a run holds: -ThrottleLimit for failure rows and path checks, one for the write groups, one for the
        // progress updates, and the run lock's own.
        await using var store = new SyncStore(
            _options.ConnectionString,
            DatabaseRetryOptions.ForRun(_options),
            _time,
            observer,
            connectionLimit: _options.ThrottleLimit + 2
        );
        var run = new SyncRun(_options, _time, store, observer, _client, selection);
        var summary = await run.RunAsync(cancellationToken).ConfigureAwait(false);
        if (selection.Mode == SelectionMode.Batch && summary.Status == RunStatus.Complete)
        {
            await LearnAsync(store, summary.RunId, observer, cancellationToken).ConfigureAwait(false);
        }
        return summary;
    }

    /// <summary>
    /// Refits the register's change model from every observation so far, this run's included, for the next run's order,
    /// status and reports, and keeps the estimate it gives in the run's row (the report's chart). Best effort: the run is already closed, so a
    /// database error here is a warning, never its failure.
    /// </summary>
    private static async Task LearnAsync(SyncStore store, long runId, SyncObserver observer, CancellationToken cancellationToken)
    {
        try
        {
            var model = await store.ChangeModel.FitAsync(save: true, cancellationToken).ConfigureAwait(false);
            if (model is not null)
            {
                observer.Verbose(
                    $"Change model fitted to {model.ObservedAssets:N0} observed asset(s): a mean of {1 / model.PriorMean / 86400:0.##} day(s) "
                        + $"between changes across the register."
                );
                await store.Status.RecordEstimateAsync(runId, model, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            observer.Warning(
                $"The change model was not refitted after the run ({ex.GetType().Name}); the next batch run orders by the one kept before."
            );
        }
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync().ConfigureAwait(false);
}
