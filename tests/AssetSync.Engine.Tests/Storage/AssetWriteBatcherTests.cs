using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Storage;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>Group-committed writes against a real PostgreSQL: many assets per commit, each whole, a refused row failing only itself.</summary>
public sealed class AssetWriteBatcherTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await db.ApplySchemaAsync();
        await db.ResetAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Serial(int i) => Simulator.AssetGenerator.SerialFor(i);

    private static ChangedAsset Changed(int i, string? name = null) =>
        new(
            Serial(i),
            new AssetDetail
            {
                SerialNumber = Serial(i),
                AssetName = name ?? $"Pump {i}",
                Make = "Acme",
                PmSchedules = [new PmSchedule($"PM-{i}", "inspect", 30, null)],
                RawPayload = $$"""{"serialnumber":"{{Serial(i)}}"}""",
            },
            1,
            200,
            5,
            default
        );

    private async Task<(SyncStore Store, long RunId)> StartAsync(int assets)
    {
        await db.SeedAssetsAsync(Enumerable.Range(1, assets).Select(Serial));
        var store = new SyncStore(db.ConnectionString, new DatabaseRetryOptions(2, TimeSpan.FromMilliseconds(50)), TimeProvider.System);
        var (runId, _) = await store.Runs.StartAsync(AssetSelection.Batch(0), assets, 0, "test", "test", CancellationToken.None);
        return (store, runId);
    }

    [Fact]
    public async Task Many_changed_assets_go_in_few_commits_each_whole_and_each_reported_once_after_its_commit()
    {
        var (store, runId) = await StartAsync(450);
        await using var _ = store;
        var reported = new List<AssetSyncResult>();
        var rowsWhenReported = new List<long>();
        // A connection of its own: what another session sees is what is committed.
        await using var witness = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await witness.OpenAsync();
        var batcher = new AssetWriteBatcher(store, runId, TimeProvider.System, r =>
        {
            lock (reported)
            {
                reported.Add(r);
                using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND serialnumber = $2", witness);
                cmd.Parameters.AddWithValue(runId);
                cmd.Parameters.AddWithValue(r.SerialNumber);
                rowsWhenReported.Add((long)cmd.ExecuteScalar()!);
            }
        });

        for (var i = 1; i <= 450; i++)
        {
            await batcher.AddAsync(Changed(i), CancellationToken.None);
        }
        await batcher.FlushAsync();

        Assert.Equal(450, reported.Select(r => r.SerialNumber).Distinct().Count());
        Assert.Equal(450, reported.Count);
        Assert.All(rowsWhenReported, rows => Assert.Equal(1L, rows)); // each one's log row already committed when it was reported
        // 450 assets in groups of at most 200: three commits at the fewest, far fewer than one each.
        Assert.InRange(batcher.Groups, 3, 45);
        Assert.Equal(450L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND status = 'success'", runId));
        Assert.Equal(450L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_master WHERE make = 'Acme'"));
        Assert.Equal(450L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_pm_schedule"));
        Assert.Equal(
            450L,
            await db.ScalarAsync<long>("SELECT count(*) FROM cmms_asset_sync_state WHERE status = 'success' AND last_run_id = $1", runId)
        );
    }

    [Fact]
    public async Task A_row_the_database_refuses_fails_its_asset_only_and_the_rest_of_its_group_commits()
    {
        var (store, runId) = await StartAsync(42);
        await using var _ = store;
        var reported = new List<AssetSyncResult>();
        var batcher = new AssetWriteBatcher(store, runId, TimeProvider.System, r =>
        {
            lock (reported)
            {
                reported.Add(r);
            }
        });

        // Failures and unchanged assets go through the same writer, into the same groups.
        await batcher.AddAsync(OutcomeRow.Failure(Serial(41), SyncErrorKind.NotFound, "404\u0007", 1, 404, 3), CancellationToken.None);
        await batcher.AddAsync(
            OutcomeRow.Success(Serial(42), 1, 304, 2, new FetchValidators("\"e\"", null, null), unchanged: true, waited: TimeSpan.FromSeconds(2)),
            CancellationToken.None
        );
        for (var i = 1; i <= 40; i++)
        {
            // PostgreSQL text cannot hold NUL: the database refuses this one row, for a reason of its own data.
            await batcher.AddAsync(Changed(i, i == 17 ? "bad\0name" : null), CancellationToken.None);
        }
        await batcher.FlushAsync();

        Assert.Equal(42, reported.Count);
        Assert.Equal(39, reported.Count(r => r.Outcome == AssetSyncStatus.Succeeded));
        var refused = reported.Single(r => r.SerialNumber == "INF-000017");
        Assert.Equal((AssetSyncStatus.Failed, "database"), (refused.Outcome, refused.ErrorKind));
        Assert.StartsWith("Writing the asset to the database failed", refused.Error, StringComparison.Ordinal);
        // Each result is its committed row: the failure's message inert, the unchanged asset's wait kept.
        Assert.Equal(
            ("not_found", "404\\x07"),
            (reported.Single(r => r.SerialNumber == Serial(41)).ErrorKind, reported.Single(r => r.SerialNumber == Serial(41)).Error)
        );
        Assert.Equal(
            (AssetSyncStatus.Unchanged, 2.0),
            (reported.Single(r => r.SerialNumber == Serial(42)).Outcome, reported.Single(r => r.SerialNumber == Serial(42)).Waited)
        );
        Assert.All(reported, r => Assert.Equal(runId, r.RunId));
        // 39 changed, 1 unchanged.
        Assert.Equal(40L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1 AND status = 'success'", runId));
        Assert.Equal(
            "database",
            await db.ScalarAsync<string>("SELECT error_kind FROM ic3_sync_log WHERE run_id = $1 AND serialnumber = 'INF-000017'", runId)
        );
        // Nothing of the refused asset was written: its master row is as the register had it.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_asset_master WHERE cmms_asset_id = 'INF-000017' AND make IS NOT NULL"));
    }

    [Fact]
    public async Task Replaying_a_group_after_its_commit_writes_no_asset_twice()
    {
        var (store, runId) = await StartAsync(5);
        await using var _ = store;
        var group = Enumerable.Range(1, 5).Select(i => Changed(i)).ToList();
        Assert.Equal(5L, await store.States.ApplyChangedAsync(runId, group, CancellationToken.None));
        // As a retry after a connection lost between the commit and its acknowledgement would.
        Assert.Equal(0L, await store.States.ApplyChangedAsync(runId, group, CancellationToken.None));
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", runId));
    }
}
