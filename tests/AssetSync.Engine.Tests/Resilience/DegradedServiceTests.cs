using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Resilience;

/// <summary>
/// A degraded Innomaint through the whole loop: assets' trouble is not the service's. Known failures lead a run and it
/// completes; a streak is checked against an asset that synced before; one asset's 429s leave the adaptive rate alone;
/// a service that stalls mid-run ends it as unreachable with no more connections and no asset marked for it.
/// </summary>
public sealed class DegradedServiceTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db, o => o.LatencyMs = 5)
{
    [Fact]
    public async Task A_run_led_by_assets_that_fail_every_night_completes_and_serves_every_healthy_asset()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 150));
        foreach (var serial in TestSerials.Range(1, 30))
        {
            await Sim.ScriptForeverAsync(serial, "503");
        }
        // The first night, with the breaker off, makes them known failures (the register is new: nothing to ask about).
        await using (var first = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.CircuitBreakerThreshold = 0)))
        {
            var night1 = await first.RunAsync(AssetSelection.Batch(0));
            Assert.Equal((120, 30), (night1.Succeeded, night1.Failed));
        }

        // One request at a time: the simulator sees the assets in the order they were taken.
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.ThrottleLimit = 1;
                o.Force = true;
            }));
        await Sim.ResetStatsAsync();
        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        Assert.Equal((RunStatus.Complete, 120, 30), (summary.Status, summary.Succeeded, summary.Failed));
        var order = (await Sim.StatsAsync()).GetProperty("firstArrivals").EnumerateArray().Select(e => e.GetString()!).ToList();
        var failing = TestSerials.Range(1, 30).ToHashSet();
        // Stalest first would put all 30 never-synced ones ahead; interleaved, one in ten of the first goes to them.
        Assert.Equal(5, order.Take(50).Count(failing.Contains));
        Assert.All(order.Take(9), s => Assert.DoesNotContain(s, failing));
        Assert.Equal("INF-000001", order[9]);
        Assert.Equal("INF-000002", order[19]);
    }

    [Fact]
    public async Task A_streak_of_outage_failures_is_checked_against_an_asset_that_synced_before_and_written_when_it_answers()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 60));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.CircuitBreakerThreshold = 5;
                o.ThrottleLimit = 2;
            }));
        await engine.RunAsync(AssetSelection.Serials(["INF-000060"]));
        foreach (var serial in TestSerials.Range(1, 20))
        {
            await Sim.ScriptForeverAsync(serial, "502");
        }
        var recorder = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), recorder);

        Assert.Equal((RunStatus.Complete, 40, 20), (summary.Status, summary.Succeeded, summary.Failed));
        Assert.Contains(recorder.VerboseLines, l => l.Contains("still answers, so those failures are the assets' own", StringComparison.Ordinal));
        Assert.Equal(
            20L,
            await Db.ScalarAsync<long>(
                "SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND status = 'error' AND error_kind = 'transient'",
                summary.RunId
            )
        );
    }

    [Fact]
    public async Task One_asset_s_429s_are_retried_after_its_Retry_After_and_leave_the_adaptive_rate_alone()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 80));
        await Sim.ScriptAsync("INF-000010", "429", "429", "429");
        await Sim.ScriptAsync("INF-000012", "429");
        await Sim.ConfigureAsync(new { RetryAfterSeconds = 0 });
        try
        {
            await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
                {
                    o.AdaptiveRate = true;
                    o.RequestsPerSecond = 20;
                }));
            var recorder = new RecordingObserver();

            var summary = await engine.RunAsync(AssetSelection.Batch(0), recorder);

            Assert.Equal((80, 0, 4), (summary.Succeeded, summary.Failed, summary.Throttled));
            Assert.DoesNotContain(recorder.Changes, c => c.Reason == RateChangeReason.Throttled);
        }
        finally
        {
            await Sim.ConfigureAsync(new { RetryAfterSeconds = 1 });
        }
    }

    [Fact]
    public async Task When_the_service_stalls_mid_run_no_more_connections_are_opened_and_the_run_ends_unreachable_with_no_asset_marked_for_it()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 400));
        await Sim.ConfigureAsync(new { LatencyMs = 50 });
        var stalled = 0;
        Task? stall = null;
        var recorder = new RecordingObserver(
            (r, _) =>
            {
                if (r.Results.Count >= 40 && Interlocked.Exchange(ref stalled, 1) == 0)
                {
                    // From here on the simulator counts the most requests in flight at once.
                    stall = Task.Run(async () =>
                    {
                        await Sim.ResetStatsAsync();
                        await Sim.ConfigureAsync(new { Stall = true });
                    });
                }
            }
        );
        try
        {
            await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
                {
                    o.RequestsPerSecond = 40;
                    o.ThrottleLimit = 4;
                    o.Timeout = TimeSpan.FromSeconds(1);
                    o.MaximumRetryCount = 1;
                    o.CircuitBreakerThreshold = 4;
                }));

            var ex = await Assert.ThrowsAsync<InnomaintUnreachableException>(() => engine.RunAsync(AssetSelection.Batch(0), recorder));
            await stall!;

            Assert.Contains("appears to be unreachable", ex.Message, StringComparison.Ordinal);
            var stats = await Sim.StatsAsync();
            // Healthy, four were in flight; stalled, never more than max(8, 2 x 4).
            Assert.InRange(stats.GetProperty("maxInFlight").GetInt32(), 1, 8);
            // The assets the stall interrupted are undecided: no row says they timed out.
            Assert.Equal(
                0L,
                await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND status = 'error'", ex.Summary!.RunId)
            );
            Assert.Equal(0, ex.Summary.Failed);
            Assert.True(ex.Summary.Succeeded >= 40);
        }
        finally
        {
            await Sim.ConfigureAsync(new { Stall = false, LatencyMs = 5 });
        }
    }
}
