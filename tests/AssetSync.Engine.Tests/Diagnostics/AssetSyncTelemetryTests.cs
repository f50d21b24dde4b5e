using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AssetSync.Diagnostics;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Diagnostics;

/// <summary>
/// The instruments, as any .NET listener sees them: the meter and the activity source named AssetSync. Alone (exclusive
/// collection): a listener hears every engine in the process, so no other run may go meanwhile.
/// </summary>
[Collection(ExclusiveTestGroup.Name)]
public sealed class AssetSyncTelemetryTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_listener_hears_assets_requests_retries_durations_the_rate_and_one_activity_per_run_and_per_asset()
    {
        await using var sim = await SimulatorServer.StartAsync(o => o.Assets = 12);
        await sim.ScriptAsync("INF-000003", "500", "500");
        await sim.ScriptAsync("INF-000005", "404");
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 12));

        var longs = new ConcurrentDictionary<string, long>();
        var doubles = new ConcurrentBag<(string Name, double Value)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AssetSyncTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>(
            (instrument, value, tags, _) =>
            {
                var key =
                    instrument.Name
                    + string.Concat(tags.ToArray().Where(t => t.Value is not null).OrderBy(t => t.Key).Select(t => $"|{t.Key}={t.Value}"));
                longs.AddOrUpdate(key, value, (_, n) => n + value);
                longs.AddOrUpdate(instrument.Name, value, (_, n) => n + value);
            }
        );
        meters.SetMeasurementEventCallback<double>((instrument, value, _, _) => doubles.Add((instrument.Name, value)));
        meters.Start();
        var activities = new ConcurrentBag<Activity>();
        using var traces = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AssetSyncTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(traces);

        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o => o.RequestsPerSecond = 200));
        var run = engine.RunAsync(AssetSelection.Batch(0));
        meters.RecordObservableInstruments();
        var summary = await run;

        Assert.Equal((11, 1), (summary.Succeeded, summary.Failed));
        Assert.Equal(11L, longs.GetValueOrDefault("assetsync.assets|outcome=succeeded"));
        Assert.Equal(1L, longs.GetValueOrDefault("assetsync.assets|error.kind=not_found|outcome=failed"));
        Assert.Equal(summary.Requests, longs.GetValueOrDefault("assetsync.requests"));
        Assert.Equal(2L, longs.GetValueOrDefault("assetsync.requests|http.response.status_code=500"));
        Assert.Equal(2L, longs.GetValueOrDefault("assetsync.retries"));
        Assert.Equal(summary.Requests, doubles.Count(d => d.Name == "assetsync.request.duration"));
        Assert.Equal(12, doubles.Count(d => d.Name == "assetsync.asset.duration"));

        var runActivity = Assert.Single(activities, a => a.OperationName == "AssetSync.Run");
        Assert.Equal(summary.RunId, (long)runActivity.GetTagItem("assetsync.run.id")!);
        Assert.Equal("complete", runActivity.GetTagItem("assetsync.status"));
        var assets = activities.Where(a => a.OperationName == "AssetSync.Asset").ToList();
        Assert.Equal(12, assets.Count);
        Assert.All(assets, a => Assert.Equal(runActivity.TraceId, a.TraceId));
    }

    [Fact]
    public async Task The_rate_gauge_reports_the_running_runs_rate()
    {
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.Assets = 6;
            o.LatencyMs = 100;
        });
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 6));
        var rates = new ConcurrentBag<double>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AssetSyncTelemetry.Name && instrument.Name == "assetsync.rate")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<double>((_, value, _, _) => rates.Add(value));
        meters.Start();
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o => o.RequestsPerSecond = 7));

        var run = engine.RunAsync(AssetSelection.Batch(0));
        while (!run.IsCompleted && rates.IsEmpty)
        {
            meters.RecordObservableInstruments();
            await Task.Delay(20);
        }
        await run;
        meters.RecordObservableInstruments();

        Assert.Contains(7.0, rates);
        var after = rates.Count;
        meters.RecordObservableInstruments();
        Assert.Equal(after, rates.Count); // no run, no rate
    }
}
