using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Resilience;

/// <summary>
/// The quota as the server counts it. Runs alone (exclusive collection): under a CPU shared with
/// other test classes, scheduling delay between the rate budget and the socket can bring two
/// requests closer together at the server than they left.
/// </summary>
[Collection(ExclusiveTestGroup.Name)]
public sealed class RateLimitAtServerTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task The_rate_budget_holds_at_the_server_and_latency_does_not_eat_it()
    {
        await using var sim = await SimulatorServer.StartAsync(o => o.LatencyMs = 300);
        await db.ApplySchemaAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 16));
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
            {
                o.RequestsPerSecond = 5;
                o.ThrottleLimit = 4;
            }));
        await sim.ResetStatsAsync();

        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        var stats = await sim.StatsAsync();
        Assert.Equal(16, summary.Succeeded);
        var (paced, shortest) = ServerPace.Check(stats, 5);
        Assert.True(paced, $"6 requests arrived within {shortest:0.000} s");
        // Faster than the seed's sequential loop, 1 / (0.3 s + 0.2 s) = 2 per second, so latency is not
        // eating the budget; the exact ratio to the quota is measured in the benchmark, not in a timed test.
        Assert.InRange(stats.GetProperty("averagePerSecond").GetDouble(), 2.5, 5.01);
    }
}
