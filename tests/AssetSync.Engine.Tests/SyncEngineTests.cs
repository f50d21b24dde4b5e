using System.Diagnostics;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests;

/// <summary>Whole runs against the simulator on 127.0.0.1 and a real PostgreSQL database.</summary>
public sealed class SyncEngineTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db)
{
    [Fact]
    public async Task A_batch_run_enriches_assets_logs_each_once_and_totals_the_run()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 30));
        await Sim.ScriptAsync("INF-000002", "404");
        await Sim.ScriptAsync("INF-000003", "500", "503");
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var collector = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), collector);

        Assert.Equal(RunStatus.Complete, summary.Status);
        Assert.Equal(30, summary.Total);
        Assert.Equal(29, summary.Succeeded);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(30, collector.Results.Count);
        var notFound = collector.Results.Single(r => r.SerialNumber == "INF-000002");
        Assert.Equal(("not_found", 404, 1), (notFound.ErrorKind, notFound.HttpStatus, notFound.Attempts));
        Assert.Equal(3, collector.Results.Single(r => r.SerialNumber == "INF-000003").Attempts);

        var run = (
            await Db.RowsAsync(
                "SELECT status, assets_synced, failed, total, mode, host, os_user, finished_at FROM cmms_sync_log WHERE id = $1",
                summary.RunId
            )
        ).Single();
        Assert.Equal(new object?[] { "complete", 29, 1, 30, "batch" }, run[..5]);
        Assert.NotNull(run[7]);
        Assert.Equal(30L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));
        Assert.Equal(30L, await Db.ScalarAsync<long>("SELECT count(DISTINCT serialnumber) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));

        // The enriched columns equal the simulator's body, schedules included.
        var expected = Simulator.AssetGenerator.Body("INF-000005", Sim.Options.Seed);
        var row = (
            await Db.RowsAsync(
                "SELECT make, model, location_room, cmms_status, cmms_payload::text, cmms_synced_at FROM ic3_asset_master WHERE cmms_asset_id = "
                    + "'INF-000005'"
            )
        ).Single();
        Assert.Equal((string?)expected["make"], row[0]);
        Assert.Equal((string?)expected["model"], row[1]);
        Assert.Equal((string?)expected["location"]!["room"], row[2]);
        Assert.Equal((string?)expected["status"], row[3]);
        Assert.NotNull(row[5]);
        Assert.Equal(
            expected["pm_schedules"]!.AsArray().Count,
            await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_pm_schedule WHERE cmms_asset_id = 'INF-000005'")
        );
        Assert.Null(
            await Db.ScalarAsync<string?>("SELECT coalesce(make, 'none') FROM ic3_asset_master WHERE cmms_asset_id = 'INF-000002'") is "none"
                ? null
                : "written"
        );

        var status = await new SyncDatabase(Db.ConnectionString).GetStatusAsync();
        Assert.Equal((30L, 29L, 1L, 0L), (status.TotalAssets, status.SyncedAssets, status.FailedAssets, status.NeverSynced));
    }

    [Fact]
    public async Task Schedules_are_replaced_as_a_set()
    {
        await Db.SeedAssetsAsync(["INF-000010"]);
        await Db.ExecAsync("INSERT INTO ic3_asset_pm_schedule (cmms_asset_id, schedule_id, task) VALUES ('INF-000010', 'GONE-1', 'old')");
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));

        await engine.RunAsync(AssetSelection.Serials(["INF-000010"]));

        var ids = (await Db.RowsAsync("SELECT schedule_id FROM ic3_asset_pm_schedule WHERE cmms_asset_id = 'INF-000010' ORDER BY 1"))
            .Select(r => (string)r[0]!)
            .ToList();
        var expected = Simulator.AssetGenerator.Body("INF-000010", Sim.Options.Seed)["pm_schedules"]!
            .AsArray()
            .Select(s => (string)s!["schedule_id"]!)
            .Order()
            .ToList();
        Assert.Equal(expected, ids);
        Assert.DoesNotContain("GONE-1", ids);
    }

    [Fact]
    public async Task Retry_failed_syncs_exactly_the_failed_set_and_the_partition_holds()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 20));
        foreach (var s in new[] { "INF-000004", "INF-000008", "INF-000015" })
        {
            await Sim.ScriptAsync(s, "500", "500", "500", "500");
        }
        await Sim.ScriptAsync("INF-000009", "404", "404");
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var first = await engine.RunAsync(AssetSelection.Batch(0));
        Assert.Equal(4, first.Failed);

        await using var database = new SyncDatabase(Db.ConnectionString);
        // The 404 is deferred for a day: retry-failed leaves it out unless asked for it.
        Assert.Equal(["INF-000004", "INF-000008", "INF-000015"], await database.PreviewAsync(AssetSelection.RetryFailed()).ToListAsync());
        Assert.Equal(
            ["INF-000004", "INF-000008", "INF-000009", "INF-000015"],
            await database.PreviewAsync(AssetSelection.RetryFailed(includeDeferred: true)).ToListAsync()
        );
        await Sim.ResetStatsAsync();

        var collector = new RecordingObserver();
        var retry = await engine.RunAsync(AssetSelection.RetryFailed(includeDeferred: true), collector);

        Assert.Equal("retry_failed", retry.Mode);
        Assert.Equal(["INF-000004", "INF-000008", "INF-000009", "INF-000015"], collector.Results.Select(r => r.SerialNumber).Order());
        Assert.Equal(3, retry.Succeeded);
        Assert.Equal(1, retry.Failed);
        var status = await database.GetStatusAsync();
        Assert.Equal((20L, 19L, 1L, 0L), (status.TotalAssets, status.SyncedAssets, status.FailedAssets, status.NeverSynced));
        Assert.Equal(status.TotalAssets, status.SyncedAssets + status.FailedAssets + status.NeverSynced);
    }

    [Fact]
    public async Task Hostile_serials_reach_the_server_as_one_segment_and_are_stored_verbatim()
    {
        string[] hostile =
        [
            "a/b",
            "..",
            "../../Sim/heal",
            "x?y=1#z",
            "100%",
            "with space",
            "o'neil\"s",
            "Zürich-Ω",
            "'; DROP TABLE ic3_sync_log; --",
            "tab\there",
            new string('K', 10_000),
        ];
        await Db.SeedAssetsAsync(hostile);
        // Every one of them is a 404 on a fresh database, which the asset-path check would (rightly) call a wrong path.
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.AssetPathSuspectThreshold = 0));
        var collector = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), collector);

        // The simulator knows none of them, so each must come back 404: proof the segment arrived whole.
        Assert.Equal(hostile.Length, summary.Failed);
        Assert.All(collector.Results, r => Assert.Equal("not_found", r.ErrorKind));
        var stats = await Sim.StatsAsync();
        foreach (var s in hostile)
        {
            Assert.True(stats.GetProperty("perSerial").TryGetProperty(s, out _), $"the server never saw '{s[..Math.Min(20, s.Length)]}'");
        }
        var logged = (await Db.RowsAsync("SELECT serialnumber FROM ic3_sync_log WHERE run_id = $1", summary.RunId))
            .Select(r => (string)r[0]!)
            .Order(StringComparer.Ordinal);
        Assert.Equal(hostile.Order(StringComparer.Ordinal), logged);
    }

    [Fact]
    public async Task Refused_credentials_stop_the_run_and_mark_no_asset_failed()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 50));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ApiToken = "wrong-token-xyz"));

        var ex = await Assert.ThrowsAsync<CredentialsRefusedException>(() => engine.RunAsync(AssetSelection.Batch(0)));

        Assert.Equal(401, ex.HttpStatus);
        Assert.DoesNotContain("wrong-token-xyz", ex.ToString());
        Assert.Equal(RunStatus.Failed, ex.Summary!.Status);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE status = 'error'"));
        Assert.Equal("failed", await Db.ScalarAsync<string>("SELECT status FROM cmms_sync_log WHERE id = $1", ex.Summary.RunId));
    }

    [Fact]
    public async Task A_closed_port_ends_the_run_as_unreachable_before_any_answer_and_marks_no_asset()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 200));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.BaseUrl = "http://127.0.0.1:1";
                o.MaximumRetryCount = 1;
                o.CircuitBreakerThreshold = 5;
                o.ThrottleLimit = 1;
            }));

        var ex = await Assert.ThrowsAsync<InnomaintUnreachableException>(() => engine.RunAsync(AssetSelection.Batch(0)));

        Assert.Contains("could not be reached at http://127.0.0.1:1", ex.Message);
        Assert.Equal(AssetSync.Resilience.ServiceHealth.UnreachableAttempts, ex.ConsecutiveFailures);
        Assert.Equal("http://127.0.0.1:1", ex.BaseUrl);
        Assert.Equal(0, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", ex.Summary!.RunId));
        Assert.Equal((0, 0, RunStatus.Failed), (ex.Summary.Failed, ex.Summary.Succeeded, ex.Summary.Status));
    }

    [Fact]
    public async Task Cancellation_during_slow_requests_records_a_cancelled_run_without_waiting_for_them()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 100));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.ThrottleLimit = 2;
                o.Timeout = TimeSpan.FromMinutes(10);
            }));
        for (var i = 5; i <= 100; i++)
        {
            await Sim.ScriptAsync(Simulator.AssetGenerator.SerialFor(i), "timeout");
        }
        var collector = new RecordingObserver();
        using var cts = new CancellationTokenSource();

        var run = engine.RunAsync(AssetSelection.Batch(0), collector, cts.Token);
        await collector.FirstResult.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await WaitForInFlightAsync(2);
        cts.Cancel();
        // The hanging requests would take 10 minutes: a run that ends at all was ended by the cancellation.
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(RunStatus.Cancelled, summary.Status);
        // Only the healthy first four can have been decided; the hanging ones get no row.
        Assert.InRange(summary.Succeeded, 1, 4);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(
            (long)summary.Succeeded,
            await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND status = 'success'", summary.RunId)
        );
        Assert.Equal((long)summary.Succeeded, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));
        Assert.Equal(
            ("cancelled", summary.Succeeded),
            (
                await Db.ScalarAsync<string>("SELECT status FROM cmms_sync_log WHERE id = $1", summary.RunId),
                await Db.ScalarAsync<int>("SELECT assets_synced FROM cmms_sync_log WHERE id = $1", summary.RunId)
            )
        );
        // The selected assets never decided are NotReached, in the summary and the row: the counts add up on a cancelled run too.
        Assert.Equal(100 - summary.Succeeded, summary.NotReached);
        Assert.Equal(100, summary.Total);
        Assert.Equal(
            (100 - summary.Succeeded, 100),
            (
                await Db.ScalarAsync<int>("SELECT not_reached FROM cmms_sync_log WHERE id = $1", summary.RunId),
                await Db.ScalarAsync<int>("SELECT total FROM cmms_sync_log WHERE id = $1", summary.RunId)
            )
        );
        Assert.Null(summary.StoppedBy);
    }

    [Fact]
    public async Task Cancelled_before_the_start_writes_no_run()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 5));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.RunAsync(AssetSelection.Batch(0), null, cts.Token));

        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log"));
        Assert.Equal(0, await Sim.RequestsForAsync("INF-000001"));
    }

    [Fact]
    public async Task Cancellation_during_a_backoff_wait_is_prompt_and_the_waiting_asset_gets_no_row()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 5));
        await Sim.ScriptAsync("INF-000003", "503", "503", "503", "503");
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RetryInterval = TimeSpan.FromMinutes(10)));
        var watcher = new RecordingObserver(reachedAt: 4);
        using var cts = new CancellationTokenSource();

        var run = engine.RunAsync(AssetSelection.Batch(0), watcher, cts.Token);
        await watcher.Retrying.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await watcher.Reached.Task.WaitAsync(TimeSpan.FromSeconds(20));
        cts.Cancel();
        // The backoff is 10 minutes: a run that ends at all was woken by the cancellation, not by the wait's end.
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((RunStatus.Cancelled, 4, 0), (summary.Status, summary.Succeeded, summary.Failed));
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE serialnumber = 'INF-000003'"));
        Assert.Equal(1, await Sim.RequestsForAsync("INF-000003"));
    }

    [Fact]
    public async Task Cancellation_during_a_rate_limit_wait_is_prompt()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 10));
        // One request in 1,000 s: after the first, every request waits for the budget far longer than the test runs.
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.RequestsPerSecond = 0.001));
        var collector = new RecordingObserver();
        using var cts = new CancellationTokenSource();

        var run = engine.RunAsync(AssetSelection.Batch(0), collector, cts.Token);
        await collector.FirstResult.Task.WaitAsync(TimeSpan.FromSeconds(20));
        cts.Cancel();
        var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((RunStatus.Cancelled, 1), (summary.Status, summary.Succeeded));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", summary.RunId));
    }

    [Fact]
    public async Task A_database_failure_in_the_middle_of_an_asset_leaves_it_untouched()
    {
        // An asset whose body has PM schedules, so the failing statement comes after the master update.
        var serial = TestSerials.Range(21, 100).First(s => Simulator.AssetGenerator.Body(s, Sim.Options.Seed)["pm_schedules"]!.AsArray().Count > 0);
        await Db.SeedAssetsAsync([serial, "INF-000200"]);
        await Db.ExecAsync("UPDATE ic3_asset_master SET make = 'before' WHERE cmms_asset_id = $1", serial);
        // The master row is written first in the batch; the schedule insert then fails for this one asset.
        await Db.ExecAsync(
            """
            CREATE OR REPLACE FUNCTION fail_pm() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.cmms_asset_id LIKE 'INF-0000%' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER fail_pm BEFORE INSERT ON ic3_asset_pm_schedule FOR EACH ROW EXECUTE FUNCTION fail_pm();
            """
        );
        try
        {
            await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
            var collector = new RecordingObserver();

            var summary = await engine.RunAsync(AssetSelection.Serials([serial, "INF-000200"]), collector);

            var failed = collector.Results.Single(r => r.SerialNumber == serial);
            Assert.Equal("database", failed.ErrorKind);
            Assert.Contains("disk on fire", failed.Error);
            Assert.Equal("before", await Db.ScalarAsync<string>("SELECT make FROM ic3_asset_master WHERE cmms_asset_id = $1", serial));
            Assert.Equal(
                0L,
                await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_master WHERE cmms_asset_id = $1 AND cmms_payload IS NOT NULL", serial)
            );
            Assert.Equal(
                "error",
                await Db.ScalarAsync<string>("SELECT status FROM ic3_sync_log WHERE run_id = $1 AND serialnumber = $2", summary.RunId, serial)
            );
            Assert.Equal(AssetSyncStatus.Succeeded, collector.Results.Single(r => r.SerialNumber == "INF-000200").Outcome);
        }
        finally
        {
            await Db.ExecAsync("DROP TRIGGER fail_pm ON ic3_asset_pm_schedule");
        }
    }

    [Fact]
    public async Task Serials_not_in_the_register_are_skipped_with_a_warning()
    {
        await Db.SeedAssetsAsync(["INF-000031"]);
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var collector = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Serials(["INF-000031", "NOT-THERE"]), collector);

        Assert.Equal((1, 1, "serials"), (summary.Succeeded, summary.Skipped, summary.Mode));
        Assert.Contains(collector.Warnings, w => w.Contains("NOT-THERE"));
        Assert.Equal(0, await Sim.RequestsForAsync("NOT-THERE"));
    }

    [Fact]
    public async Task A_second_run_is_refused_while_one_holds_the_lock()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 40));
        for (var i = 1; i <= 40; i++)
        {
            await Sim.ScriptAsync(Simulator.AssetGenerator.SerialFor(i), "timeout");
        }
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.Timeout = TimeSpan.FromSeconds(30)));
        await using var second = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        using var cts = new CancellationTokenSource();
        var first = engine.RunAsync(AssetSelection.Batch(0), null, cts.Token);
        await Eventually.UntilAsync(
            () => Db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log WHERE status = 'running'"),
            n => n > 0,
            "the first run's row"
        );

        var ex = await Assert.ThrowsAsync<SyncRunLockedException>(() => second.RunAsync(AssetSelection.Batch(0)));

        Assert.Equal(Environment.MachineName, ex.Host);
        Assert.Contains("in progress", ex.Message);
        cts.Cancel();
        Assert.Equal(RunStatus.Cancelled, (await first).Status);
    }

    /// <summary>Waits until the simulator holds <paramref name="count"/> requests open (a signal from the server, not a sleep).</summary>
    private async Task WaitForInFlightAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await Sim.StatsAsync()).GetProperty("inFlight").GetInt32() < count)
        {
            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}
