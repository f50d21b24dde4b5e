using System.Net;
using AssetSync.Storage;
using AssetSync.Tests.Fixtures;
using Npgsql;

namespace AssetSync.Tests.Reliability;

/// <summary>
/// One bad answer fails one asset, never the run; every run closes its row with true counts; a wrong
/// asset path is caught before it marks the register failed; the register's odd rows.
/// </summary>
public sealed class RunIntegrityTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db)
{
    [Fact]
    public async Task A_corrupt_compressed_body_fails_only_its_asset_and_the_run_completes()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 30));
        foreach (var (serial, fault) in new[] { ("INF-000005", "badgzip"), ("INF-000011", "badbr"), ("INF-000017", "baddeflate") })
        {
            await Sim.ScriptAsync(serial, fault, fault, fault, fault);
        }
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var collector = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), collector);

        Assert.Equal((RunStatus.Complete, 27, 3), (summary.Status, summary.Succeeded, summary.Failed));
        var failed = collector.Results.Where(r => r.Outcome == AssetSyncStatus.Failed).OrderBy(r => r.SerialNumber).ToList();
        Assert.Equal(["INF-000005", "INF-000011", "INF-000017"], failed.Select(r => r.SerialNumber));
        Assert.All(failed, r => Assert.True(r.ErrorKind == "invalid_response", r.Error));
        Assert.All(failed, r => Assert.Equal(4, r.Attempts));
        var row = (await Db.RowsAsync("SELECT status, assets_synced, failed FROM cmms_sync_log WHERE id = $1", summary.RunId)).Single();
        Assert.Equal(new object?[] { "complete", 27, 3 }, row);
    }

    [Fact]
    public async Task A_wrong_asset_path_stops_the_run_and_marks_no_asset_failed()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 40));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.AssetPath = "/api/v2/asset/{serialnumber}"));
        var collector = new RecordingObserver();

        var ex = await Assert.ThrowsAsync<AssetPathSuspectException>(() => engine.RunAsync(AssetSelection.Batch(0), collector));

        Assert.Equal(10, ex.NotFoundInRow);
        Assert.StartsWith(Sim.BaseUrl + "/api/v2/asset/INF-0000", ex.TriedUrl, StringComparison.Ordinal);
        Assert.Contains(ex.TriedUrl, ex.Message, StringComparison.Ordinal);
        Assert.Empty(collector.Results);
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log"));
        var row = (await Db.RowsAsync("SELECT status, assets_synced, failed FROM cmms_sync_log WHERE id = $1", ex.Summary!.RunId)).Single();
        Assert.Equal(new object?[] { "failed", 0, 0 }, row);
        Assert.Equal(RunStatus.Failed, ex.Summary.Status);
    }

    [Fact]
    public async Task NotFound_answers_before_the_first_success_are_held_then_written_once_the_path_proves_right()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 12));
        foreach (var s in TestSerials.Range(1, 4))
        {
            await Sim.ScriptAsync(s, "404");
        }
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ThrottleLimit = 1));

        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        Assert.Equal((RunStatus.Complete, 8, 4), (summary.Status, summary.Succeeded, summary.Failed));
        var kinds = await Db.RowsAsync("SELECT serialnumber, error_kind FROM ic3_sync_log WHERE status = 'error' ORDER BY serialnumber");
        Assert.Equal(TestSerials.Range(1, 4), kinds.Select(r => (string)r[0]!));
        Assert.All(kinds, r => Assert.Equal("not_found", r[1]));
    }

    [Fact]
    public async Task Many_missing_assets_first_are_recorded_when_an_asset_that_synced_before_still_answers()
    {
        await Db.SeedAssetsAsync(["INF-000001"]);
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ThrottleLimit = 1));
        await engine.RunAsync(AssetSelection.Batch(0));
        await Db.ExecAsync("UPDATE ic3_asset_master SET report_seq_no = 100");
        await Db.SeedAssetsAsync(Enumerable.Range(1, 15).Select(i => $"NEW-{i:00}"));

        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        Assert.Equal((RunStatus.Complete, 1, 15), (summary.Status, summary.Succeeded, summary.Failed));
        Assert.Equal(
            15L,
            await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE error_kind = 'not_found' AND run_id = $1", summary.RunId)
        );
    }

    [Fact]
    public async Task A_run_shorter_than_the_threshold_that_only_finds_404s_still_records_them()
    {
        await Db.SeedAssetsAsync(["NOPE-1", "NOPE-2", "NOPE-3"]);
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));

        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        Assert.Equal((RunStatus.Complete, 0, 3), (summary.Status, summary.Succeeded, summary.Failed));
        Assert.Equal(
            3L,
            await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE error_kind = 'not_found' AND run_id = $1", summary.RunId)
        );
    }

    [Fact]
    public async Task Odd_register_rows_blank_ids_are_unlinked_whitespace_is_named_and_duplicates_are_one_asset()
    {
        await Db.ExecAsync(
            """
            INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) VALUES
              ('INF-000001', 1), (NULL, 2), ('', 3), ('   ', 4), (' INF-000003 ', 5), ('INF-000004', 6), ('INF-000004', 7), ('INF-000005', 8)
            """
        );
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        var collector = new RecordingObserver();

        var summary = await engine.RunAsync(AssetSelection.Batch(0), collector);

        Assert.Equal((RunStatus.Complete, 3, 1), (summary.Status, summary.Succeeded, summary.Failed));
        Assert.Equal(4, collector.Results.Count);
        Assert.Equal(1, collector.Results.Count(r => r.SerialNumber == "INF-000004"));
        var spaced = collector.Results.Single(r => r.SerialNumber == " INF-000003 ");
        Assert.Equal("not_found", spaced.ErrorKind);
        Assert.Contains("leading or trailing whitespace", spaced.Error, StringComparison.Ordinal);

        var stats = await Sim.StatsAsync();
        var perSerial = stats.GetProperty("perSerial").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(1, perSerial["INF-000004"]);
        Assert.False(perSerial.ContainsKey(""));
        Assert.False(perSerial.ContainsKey("   "));
        // Both rows with the duplicated id are enriched.
        Assert.Equal(2L, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_master WHERE cmms_asset_id = 'INF-000004' AND make IS NOT NULL"));

        await using var database = new SyncDatabase(Db.ConnectionString);
        var status = await database.GetStatusAsync();
        Assert.Equal((4L, 3L, 1L, 0L, 3L), (status.TotalAssets, status.SyncedAssets, status.FailedAssets, status.NeverSynced, status.UnlinkedAssets));
    }

    [Fact]
    public void A_whitespace_only_serial_number_is_refused_before_anything_is_sent()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() => AssetSelection.Serials(["INF-000001", "  "]));
        Assert.Equal("SerialNumber", ex.Setting);
    }

    [Fact]
    public async Task A_running_run_shows_live_counts_to_other_sessions()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 200));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ThrottleLimit = 1));
        using var cts = new CancellationTokenSource();
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // One asset hangs (2 s per attempt), holding the only request slot: the run is still going while we look.
        await Sim.ScriptAsync("INF-000070", "timeout", "timeout", "timeout", "timeout");
        await using var database = new SyncDatabase(Db.ConnectionString);
        var run = engine.RunAsync(
            AssetSelection.Batch(0),
            new RecordingObserver
            {
                OnResult = r =>
                {
                    if (r.SerialNumber == "INF-000060")
                    {
                        seen.TrySetResult(r.RunId);
                    }
                },
            },
            cts.Token
        );
        var runId = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The status reads exact counts from the log at once ...
        var live = (await database.GetStatusAsync(1)).LastRuns.Single();
        Assert.Equal((RunStatus.Running, runId), (live.Status, live.RunId));
        Assert.True(live.Succeeded >= 50, $"status showed {live.Succeeded} succeeded");
        // ... and the row itself is brought up to date within a few seconds.
        await Eventually.UntilAsync(
            () => Db.ScalarAsync<int>("SELECT assets_synced FROM cmms_sync_log WHERE id = $1", runId),
            n => n >= 50,
            "the run row to show 50 succeeded",
            TimeSpan.FromSeconds(10)
        );

        cts.Cancel();
        var summary = await run;
        Assert.Equal(RunStatus.Cancelled, summary.Status);
        var row = (await Db.RowsAsync("SELECT status, assets_synced, failed FROM cmms_sync_log WHERE id = $1", runId)).Single();
        Assert.Equal(new object?[] { "cancelled", summary.Succeeded, summary.Failed }, row);
        Assert.Equal((long)summary.Succeeded, await Db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", runId));
    }

    [Fact]
    public async Task An_interrupted_run_has_its_counts_reconciled_from_its_log_rows()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 5));
        // A run whose process died after writing 3 successes and 1 error, its row still 0/0 'running'.
        var orphan = await Db.ScalarAsync<long>(
            """
            INSERT INTO cmms_sync_log (sync_type, status, assets_synced, failed, total, duration_ms, mode, started_at)
            VALUES ('api_sync', 'running', 0, 0, 0, 0, 'batch', now() - interval '1 hour') RETURNING id
            """
        );
        await Db.ExecAsync(
            """
            INSERT INTO ic3_sync_log (serialnumber, sync_type, status, run_id, error_kind)
            VALUES ('INF-000001', 'api_sync', 'success', $1, NULL), ('INF-000002', 'api_sync', 'success', $1, NULL),
                   ('INF-000003', 'api_sync', 'success', $1, NULL), ('INF-000004', 'api_sync', 'error', $1, 'transient')
            """,
            orphan
        );

        await using var database = new SyncDatabase(Db.ConnectionString);
        var seen = (await database.GetStatusAsync(1)).LastRuns.Single();
        Assert.Equal((RunStatus.Interrupted, 3, 1, 4), (seen.Status, seen.Succeeded, seen.Failed, seen.Total));

        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        await engine.RunAsync(AssetSelection.Serials(["INF-000005"]));

        var row = (await Db.RowsAsync("SELECT status, assets_synced, failed, total FROM cmms_sync_log WHERE id = $1", orphan)).Single();
        Assert.Equal(new object?[] { "interrupted", 3, 1, 4 }, row);
    }

    [Fact]
    public async Task An_unexpected_exception_in_a_step_fails_the_run_with_the_cause_and_closes_its_row()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 20));
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ThrottleLimit = 1));
        var boom = new InvalidOperationException("observer bug");
        var collector = new RecordingObserver
        {
            OnResult = r =>
            {
                if (r.SerialNumber == "INF-000003")
                {
                    throw boom;
                }
            },
        };

        var ex = await Assert
            .ThrowsAsync<UnexpectedSyncErrorException>(() => engine.RunAsync(AssetSelection.Batch(0), collector))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Same(boom, ex.InnerException);
        Assert.Equal("INF-000003", ex.SerialNumber);
        var row = (await Db.RowsAsync("SELECT status, error_message FROM cmms_sync_log WHERE id = $1", ex.Summary!.RunId)).Single();
        Assert.Equal("failed", row[0]);
        Assert.Contains("observer bug", (string)row[1]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_that_throws_an_unknown_exception_fails_that_asset_as_network()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 6));
        var handler = new StubHandler(
            (req, _, _) =>
                req.RequestUri!.AbsolutePath.EndsWith("INF-000002", StringComparison.Ordinal)
                    ? throw new NotSupportedException("a handler's own bug")
                    : Task.FromResult(StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(req.RequestUri!.Segments[^1])))
        );
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.MaximumRetryCount = 1), TimeProvider.System, () =>
            handler
        );

        var collector = new RecordingObserver();
        var summary = await engine.RunAsync(AssetSelection.Batch(0), collector);

        Assert.Equal((RunStatus.Complete, 5, 1), (summary.Status, summary.Succeeded, summary.Failed));
        var bad = collector.Results.Single(r => r.Outcome == AssetSyncStatus.Failed);
        Assert.Equal(("INF-000002", "network", 2), (bad.SerialNumber, bad.ErrorKind, bad.Attempts));
        Assert.Contains("NotSupportedException", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Losing_the_run_lock_to_another_session_stops_the_run_as_RunLockLost()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 400));
        await Sim.ConfigureAsync(new { LatencyMs = 20 });
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o => o.ThrottleLimit = 1));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = engine.RunAsync(AssetSelection.Batch(0), new RecordingObserver { OnResult = _ => started.TrySetResult() });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Kill the session holding the lock and take the lock at once, as a second run would.
        await using var thief = new NpgsqlConnection(Db.ConnectionString);
        await thief.OpenAsync();
        await using (
            var cmd = new NpgsqlCommand(
                $"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM "
                    + $"pg_database WHERE datname = current_database()) AND classid = ({RunSql.RunLockKey}::bigint >> 32)::oid AND objid = "
                    + $"({RunSql.RunLockKey}::bigint & 4294967295)::oid",
                thief
            )
        )
        {
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var cmd = new NpgsqlCommand($"SELECT pg_advisory_lock({RunSql.RunLockKey})", thief))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<RunLockLostException>(() => run).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Failed, ex.Summary!.Status);
        Assert.Equal("failed", await Db.ScalarAsync<string>("SELECT status FROM cmms_sync_log WHERE id = $1", ex.Summary.RunId));
        Assert.True(ex.Summary.Succeeded < 400);
    }

    [Fact]
    public void Multiplexing_is_refused_with_a_clear_error()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() => DatabaseSettings.ValidateConnectionString("Host=127.0.0.1;Multiplexing=true"));
        Assert.Contains("Multiplexing", ex.Message, StringComparison.Ordinal);
    }
}
