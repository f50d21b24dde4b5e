using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

public class SchemaTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Schema_on_seed_era_tables_keeps_their_data_and_is_idempotent()
    {
        // The seed's three tables as IC3 has them, with data, before AssetSync ever ran.
        await db.ExecAsync(
            """
            CREATE TABLE ic3_asset_master (asset_id integer PRIMARY KEY, cmms_asset_id text, report_seq_no integer, asset_label text);
            CREATE TABLE ic3_sync_log (serialnumber text, sync_type text, status text, error_message text, synced_at timestamptz);
            CREATE TABLE cmms_sync_log (sync_type text, status text, assets_synced integer, duration_ms integer, synced_at timestamptz);
            INSERT INTO ic3_asset_master VALUES (1, 'OLD-1', 1, 'keep me'), (2, 'OLD-2', 2, 'me too'), (3, NULL, 3, 'not in cmms');
            INSERT INTO ic3_sync_log VALUES ('OLD-1', 'api_sync', 'success', NULL, '2025-01-01'), ('OLD-2', 'api_sync', 'error',
                'status 500', '2025-01-01');
            INSERT INTO cmms_sync_log VALUES ('api_sync', 'complete', 1, 1234, '2025-01-01');
            """
        );

        await using var database = new SyncDatabase(db.ConnectionString);
        Assert.Equal(0, await database.GetSchemaVersionAsync());
        await Assert.ThrowsAsync<SchemaMissingException>(() => database.GetStatusAsync());

        var pending = await database.GetPendingMigrationsAsync();
        Assert.NotEmpty(pending);
        foreach (var m in pending)
        {
            Assert.True(await database.ApplyMigrationAsync(m));
        }
        // Twice: nothing left to do, and applying again is refused harmlessly.
        Assert.Empty(await database.GetPendingMigrationsAsync());
        Assert.False(await database.ApplyMigrationAsync(SyncDatabase.AllMigrations[0]));
        Assert.Equal(SyncDatabase.RequiredSchemaVersion, await database.GetSchemaVersionAsync());

        Assert.Equal("keep me", await db.ScalarAsync<string>("SELECT asset_label FROM ic3_asset_master WHERE asset_id = 1"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE id IS NOT NULL"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM cmms_sync_log WHERE id IS NOT NULL"));

        var status = await database.GetStatusAsync();
        Assert.Equal(2, status.TotalAssets);
        Assert.Equal(1, status.SyncedAssets);
        Assert.Equal(1, status.FailedAssets);
        Assert.Equal(0, status.NeverSynced);
        Assert.Equal(RunStatus.Complete, Assert.Single(status.LastRuns).Status);

        var failure = Assert.Single(await database.GetFailuresAsync().ToListAsync());
        Assert.Equal("OLD-2", failure.SerialNumber);
        Assert.Equal("status 500", failure.Error);
    }
}
