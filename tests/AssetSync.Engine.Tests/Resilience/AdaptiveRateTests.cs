using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Resilience;

/// <summary>
/// The adaptive rate through the whole loop, against the simulator's quota: learned, stored with the run row, started from;
/// a stated quota used whole; a number kept as a ceiling. Alone (exclusive collection), as rates are counted at the server.
/// Rates here are asserted as bounds the quota sets, never as timings: the figures are the benchmark's (Invoke-RateBenchmark).
/// </summary>
[Collection(ExclusiveTestGroup.Name)]
public sealed class AdaptiveRateTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static int Count429(System.Text.Json.JsonElement stats) =>
        stats.GetProperty("perStatus").TryGetProperty("429", out var n) ? n.GetInt32() : 0;

    [Fact]
    public async Task Auto_probes_a_hidden_quota_stores_what_it_learned_with_the_run_row_and_the_next_run_starts_there()
    {
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.RateLimit = 30;
            o.LatencyMs = 10;
            o.Assets = 200;
        });
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 200));
        // Nothing stored: start from 20/s, so the quota is reached within a second and probed beyond.
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
            {
                o.AdaptiveRate = true;
                o.RequestsPerSecond = 20;
                o.Force = true;
            }));
        await sim.ResetStatsAsync();
        var first = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), first);

        var stats = await sim.StatsAsync();
        Assert.Equal(200, summary.Succeeded);
        Assert.Equal(stats.GetProperty("requests").GetInt32(), summary.Requests);
        Assert.Equal(Count429(stats), summary.Throttled);
        Assert.True(summary.Throttled > 0, "the quota was never probed");
        Assert.Equal((RateChangeReason.Start, 20.0), (first.Changes[0].Reason, first.Changes[0].RequestsPerSecond));
        Assert.Contains(first.Changes, c => c.Reason == RateChangeReason.Throttled);
        Assert.Equal("probe", summary.LearnedRateSource);
        // A rate of R is sent at R / Headroom (the gate spaces grants 1.01/R apart): a learned 30.08 sends 29.8/s, within the
        // quota of 30, and is a true finding (seen under stress-ng, where the probe crept that close before a 429).
        Assert.InRange(summary.LearnedRequestsPerSecond!.Value, 10, 30 * AssetSync.Resilience.RequestGate.Headroom);
        // Stored in the same statement as the run row was closed: one transaction, one now().
        Assert.Equal(
            summary.LearnedRequestsPerSecond.Value,
            await db.ScalarAsync<double>("SELECT requests_per_second FROM cmms_rate_state WHERE base_url = $1", sim.BaseUrl)
        );
        Assert.True(
            await db.ScalarAsync<bool>(
                "SELECT r.learned_at = l.finished_at FROM cmms_rate_state r, cmms_sync_log l WHERE l.id = $1 AND r.base_url = $2",
                summary.RunId,
                sim.BaseUrl
            )
        );
        Assert.Equal(summary.Requests, await db.ScalarAsync<int>("SELECT requests FROM cmms_sync_log WHERE id = $1", summary.RunId));
        Assert.Equal(summary.Throttled, await db.ScalarAsync<int>("SELECT throttled FROM cmms_sync_log WHERE id = $1", summary.RunId));

        var next = new RecordingObserver();
        await engine.RunAsync(AssetSelection.Batch(20), next);
        Assert.Equal(RateChangeReason.Start, next.Changes[0].Reason);
        Assert.Equal(summary.LearnedRequestsPerSecond.Value, next.Changes[0].RequestsPerSecond, 3);
        Assert.Contains("learned for this base URL", next.Changes[0].Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ietf", "RateLimit-Policy")]
    [InlineData("x", "X-RateLimit-Limit")]
    public async Task A_stated_quota_is_used_whole_by_auto_and_stored_as_stated(string style, string header)
    {
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.RateLimit = 25;
            o.RateLimitHeaders = style;
            o.LatencyMs = 10;
            o.Assets = 60;
        });
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 60));
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
            {
                o.AdaptiveRate = true;
                o.Force = true;
            }));
        await sim.ResetStatsAsync();
        var recorder = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), recorder);

        Assert.Equal(60, summary.Succeeded);
        Assert.InRange(summary.Throttled, 0, 1);
        var stated = Assert.Single(recorder.Changes, c => c.Reason == RateChangeReason.Stated);
        Assert.Equal(25, stated.RequestsPerSecond);
        Assert.Contains(header, stated.Detail, StringComparison.Ordinal);
        Assert.Equal((25.0, "headers"), (summary.LearnedRequestsPerSecond!.Value, summary.LearnedRateSource!));
        Assert.Equal("headers", await db.ScalarAsync<string>("SELECT source FROM cmms_rate_state WHERE base_url = $1", sim.BaseUrl));
    }

    [Fact]
    public async Task A_number_stays_a_ceiling_above_a_stated_quota_and_a_lower_stated_quota_lowers_it()
    {
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.RateLimit = 30;
            o.RateLimitHeaders = "ietf";
            o.LatencyMs = 5;
            o.Assets = 40;
        });
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 24));
        await using (var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
                {
                    o.RequestsPerSecond = 8;
                    o.Force = true;
                })))
        {
            await sim.ResetStatsAsync();
            var summary = await engine.RunAsync(AssetSelection.Batch(0));
            Assert.Equal(24, summary.Succeeded);
            var (paced, shortest) = ServerPace.Check(await sim.StatsAsync(), 8);
            Assert.True(paced, $"9 requests arrived within {shortest:0.000} s");
        }
        await sim.ConfigureAsync(new { RateLimit = 6 });
        await using (var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
                {
                    o.RequestsPerSecond = 50;
                    o.Force = true;
                })))
        {
            await sim.ResetStatsAsync();
            var recorder = new RecordingObserver();
            var summary = await engine.RunAsync(AssetSelection.Batch(18), recorder);
            Assert.Equal(18, summary.Succeeded);
            Assert.Contains(recorder.Changes, c => c.Reason == RateChangeReason.Stated && c.RequestsPerSecond == 6);
            // The first answers come before the quota is known (one request, then the stated 6/s); at most one window's worth more.
            Assert.InRange((await sim.StatsAsync()).GetProperty("maxPerSecond").GetInt32(), 1, 7);
        }
    }

    [Fact]
    public async Task Malformed_rate_limit_headers_are_ignored_with_one_verbose_line_each()
    {
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.RateLimitHeaders = "malformed";
            o.Assets = 30;
        });
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 30));
        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o => o.AdaptiveRate = true));
        var recorder = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), recorder);

        Assert.Equal(30, summary.Succeeded);
        Assert.Single(recorder.VerboseLines, v =>
            v.Contains("malformed rate-limit header", StringComparison.Ordinal) && v.Contains("RateLimit-Policy", StringComparison.Ordinal)
        );
        Assert.Single(recorder.VerboseLines, v =>
            v.Contains("malformed rate-limit header", StringComparison.Ordinal) && v.Contains("X-RateLimit-Remaining", StringComparison.Ordinal)
        );
        Assert.DoesNotContain(recorder.Changes, c => c.Reason == RateChangeReason.Stated);
    }
}
