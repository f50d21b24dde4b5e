using AssetSync.Simulator;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Reliability;

[Collection(ExclusiveTestGroup.Name)]
public sealed class DatabaseFaultTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db, o => o.LatencyMs = 5)
{
    private async Task AssertNoHalfWrittenAssetAsync()
    {
        // Data and log agree for every asset: enriched exactly when its current state is success.
        Assert.Equal(
            0L,
            await Db.ScalarAsync<long>(
                """
                SELECT count(*) FROM ic3_asset_master m
                LEFT JOIN LATERAL (SELECT status FROM ic3_sync_log l WHERE l.serialnumber = m.cmms_asset_id ORDER BY id DESC LIMIT 1) cur ON true
                WHERE (m.cmms_payload IS NOT NULL) <> (cur.status IS NOT DISTINCT FROM 'success')
                """
            )
        );
        Assert.Equal(
            0L,
            await Db.ScalarAsync<long>(
                """
                SELECT count(*) FROM ic3_asset_master m
                WHERE m.cmms_payload IS NOT NULL
                  AND jsonb_array_length(COALESCE(m.cmms_payload->'pm_schedules', '[]'::jsonb))
                      <> (SELECT count(*) FROM ic3_asset_pm_schedule p WHERE p.cmms_asset_id = m.cmms_asset_id)
                """
            )
        );
    }

    [Fact]
    public async Task A_restart_mid_run_is_ridden_out_with_nothing_lost_or_half_written()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 400));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.RequestsPerSecond = 80;
                o.DatabaseMaximumRetryCount = 8;
                o.DatabaseRetryInterval = TimeSpan.FromMilliseconds(200);
            }));
        await using var second = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var counter = new RecordingObserver(reachedAt: 60);

        var run = engine.RunAsync(AssetSelection.Batch(0), counter);
        await counter.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await PostgresServer.RestartAsync();
        // The lock died with its connection; the run takes it back and says so, so a second run arriving then is still refused.
        await counter.Warned(w => w.Contains("lock was taken again", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(run.IsCompleted, "the run should still be going");
        await Assert.ThrowsAsync<SyncRunLockedException>(() => second.RunAsync(AssetSelection.Batch(0)));
        var summary = await run;

        Assert.Equal((RunStatus.Complete, 400, 0), (summary.Status, summary.Succeeded, summary.Failed));
        // One outage, at most one warning, with the count of retries every statement made during it; each retry only in
        // -Verbose. Writes go in groups now (a few statements a second): on a busy machine the restart can fall between
        // them, and then nothing needed a retry and nothing is to be warned of. DatabaseOutageMonitorTests covers the folding.
        var retries = counter.VerboseLines.Count(v => v.StartsWith("Database error", StringComparison.Ordinal));
        var outages = counter.Warnings.Where(w => w.Contains("IC3 database", StringComparison.Ordinal)).ToList();
        if (retries == 0)
        {
            Assert.Empty(outages);
        }
        else
        {
            var outage = Assert.Single(outages);
            // One retry reads "1 retry later" (seen on a fresh clone): the noun follows the count.
            Assert.Matches(@"did not answer for \d+(\.\d)? s \(.+\); \d+ retr(y|ies) later it answered again", outage);
            Assert.Contains($"; {retries} {(retries == 1 ? "retry" : "retries")} later", outage);
        }
        Assert.Equal(400L, await Db.ScalarAsync<long>("SELECT count(DISTINCT serialnumber) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));
        Assert.Equal(400L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));
        Assert.Equal(
            ("complete", 400),
            (
                await Db.ScalarAsync<string>("SELECT status FROM cmms_sync_log WHERE id = $1", summary.RunId),
                await Db.ScalarAsync<int>("SELECT assets_synced FROM cmms_sync_log WHERE id = $1", summary.RunId)
            )
        );
        await AssertNoHalfWrittenAssetAsync();
    }

    [Fact]
    public async Task The_database_gone_for_good_fails_the_run_and_keeps_everything_decided_before()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 400));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.RequestsPerSecond = 150;
                o.DatabaseMaximumRetryCount = 2;
                o.DatabaseRetryInterval = TimeSpan.FromMilliseconds(100);
            }));
        var counter = new RecordingObserver(reachedAt: 40);

        var run = engine.RunAsync(AssetSelection.Batch(0), counter);
        await counter.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        DatabaseUnavailableException ex;
        try
        {
            await PostgresServer.StopAsync();
            ex = await Assert.ThrowsAsync<DatabaseUnavailableException>(() => run);
        }
        finally
        {
            await PostgresServer.StartAsync();
        }

        Assert.Contains("could not be reached", ex.Message);
        Assert.Equal(RunStatus.Failed, ex.Summary!.Status);
        Assert.InRange(ex.Summary.Succeeded, 40, 399);
        // Everything decided before the loss is in the log, and nothing else.
        Assert.Equal((long)ex.Summary.Succeeded, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", ex.Summary.RunId));
        await AssertNoHalfWrittenAssetAsync();
        // The run row could not be closed; it reads as interrupted.
        await using var database = new SyncDatabase(Db.ConnectionString);
        Assert.Equal(RunStatus.Interrupted, (await database.GetStatusAsync()).LastRuns[0].Status);
    }
}
