using AssetSync.Simulator;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Reliability;

/// <summary>Two scheduled jobs at once: the advisory lock lets one work; the other fails at once or waits.</summary>
public sealed class OverlappingRunTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db, o => o.LatencyMs = 20)
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Db.SeedAssetsAsync(TestSerials.Range(1, 30));
    }

    private Task<long> WaitForRunningRowAsync() =>
        Eventually.UntilAsync(
            () => Db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log WHERE status = 'running'"),
            n => n > 0,
            "the first run's row"
        );

    [Fact]
    public async Task With_wait_the_second_run_starts_after_the_first_and_no_asset_is_synced_by_both_at_once()
    {
        await using var first = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RequestsPerSecond = 20));
        await using var second = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.IfRunning = IfRunningAction.Wait;
                o.LockWaitTimeout = TimeSpan.FromSeconds(30);
            }));

        var one = first.RunAsync(AssetSelection.Batch(0));
        await WaitForRunningRowAsync();
        var two = second.RunAsync(AssetSelection.Batch(0));
        var (a, b) = (await one, await two);

        Assert.Equal((30, 30), (a.Succeeded, b.Succeeded));
        Assert.True(b.StartedAt >= a.FinishedAt, $"second started {b.StartedAt:O}, first finished {a.FinishedAt:O}");
        // Every log row of the first run is older than every log row of the second.
        Assert.True(
            await Db.ScalarAsync<bool>(
                "SELECT (SELECT max(synced_at) FROM ic3_sync_log WHERE run_id = $1) <= (SELECT min(synced_at) FROM ic3_sync_log WHERE run_id = $2)",
                a.RunId,
                b.RunId
            )
        );
    }

    [Fact]
    public async Task Skip_returns_a_skipped_summary_not_an_exception_and_writes_nothing()
    {
        await using var first = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RequestsPerSecond = 5));
        await using var standby = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.IfRunning = IfRunningAction.Skip));
        using var cts = new CancellationTokenSource();

        var one = first.RunAsync(AssetSelection.Batch(0), null, cts.Token);
        await WaitForRunningRowAsync();
        var seen = new RecordingObserver();
        var skipped = await standby.RunAsync(AssetSelection.Batch(0), seen);
        cts.Cancel();
        await one;

        Assert.Equal(RunStatus.Skipped, skipped.Status);
        Assert.Equal((0L, 0), (skipped.RunId, skipped.Succeeded));
        Assert.Contains(seen.Warnings, w => w.StartsWith("Skipped (-IfRunning Skip):", StringComparison.Ordinal));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log"));
    }

    [Fact]
    public async Task A_wait_that_times_out_fails_naming_the_running_run()
    {
        await using var first = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RequestsPerSecond = 5));
        await using var second = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.IfRunning = IfRunningAction.Wait;
                o.LockWaitTimeout = TimeSpan.FromMilliseconds(700);
            }));
        using var cts = new CancellationTokenSource();

        var one = first.RunAsync(AssetSelection.Batch(0), null, cts.Token);
        await WaitForRunningRowAsync();
        var waits = new RecordingObserver();
        var ex = await Assert.ThrowsAsync<SyncRunLockedException>(() => second.RunAsync(AssetSelection.Batch(0), waits));
        cts.Cancel();
        var a = await one;

        Assert.Equal(a.RunId, ex.RunId);
        Assert.Equal(Environment.UserName, ex.User);
        Assert.NotNull(ex.StartedAt);
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log"));
        // It says that it waited, and how long, instead of advising -Wait.
        Assert.NotNull(ex.Waited);
        Assert.InRange(ex.Waited!.Value.TotalMilliseconds, 700, 5000);
        Assert.StartsWith("Waited ", ex.Message);
        Assert.Contains($"run {a.RunId}", ex.Message);
        Assert.DoesNotContain("-Wait", ex.Message);
        // The observer saw the wait as it went (progress), then its end.
        Assert.True(waits.Waits.Count >= 2, $"{waits.Waits.Count} progress ticks");
        Assert.All(waits.Waits.SkipLast(1), t => Assert.False(t.Done));
        Assert.True(waits.Waits[^1].Done);
        Assert.Equal(a.RunId, waits.Waits[0].Holder.RunId);
        Assert.Equal(TimeSpan.FromMilliseconds(700), waits.Waits[0].Timeout);
        Assert.True(waits.Waits.Zip(waits.Waits.Skip(1)).All(p => p.First.Waited <= p.Second.Waited), "waited only grows");
    }

    [Fact]
    public async Task Without_wait_the_refusal_advises_wait_and_says_nothing_of_waiting()
    {
        await using var first = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RequestsPerSecond = 5));
        await using var second = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        using var cts = new CancellationTokenSource();

        var one = first.RunAsync(AssetSelection.Batch(0), null, cts.Token);
        await WaitForRunningRowAsync();
        var waits = new RecordingObserver();
        var ex = await Assert.ThrowsAsync<SyncRunLockedException>(() => second.RunAsync(AssetSelection.Batch(0), waits));
        cts.Cancel();
        await one;

        Assert.Null(ex.Waited);
        Assert.Empty(waits.Waits);
        Assert.Contains("in progress", ex.Message);
    }
}
