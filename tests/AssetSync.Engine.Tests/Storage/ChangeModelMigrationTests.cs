using AssetSync.Storage;
using AssetSync.Storage.Migrations;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>Schema 3 (the change model) on a version-2 database that holds state rows: additive, no rewrite, resumable.</summary>
public sealed class ChangeModelMigrationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private MigrationRunner Runner() => MigrationRunners.Runner(db.ConnectionString);

    [Fact]
    public async Task Schema_3_adds_the_change_observations_to_state_rows_already_there_without_touching_them()
    {
        var runner = Runner();
        Assert.True(await runner.ApplyAsync(1, CancellationToken.None));
        Assert.True(await runner.ApplyAsync(2, CancellationToken.None));
        await db.ExecAsync(
            "INSERT INTO cmms_asset_sync_state (serialnumber, status, last_success_at, etag) VALUES ('INF-000001', 'success', now() - interval '3 "
                + "days', '\"v1\"')"
        );
        var before = await db.ScalarAsync<string>("SELECT xmin::text FROM cmms_asset_sync_state");

        Assert.True(await runner.ApplyAsync(3, CancellationToken.None));
        Assert.False(await runner.ApplyAsync(3, CancellationToken.None));

        // Constant defaults: the row is not rewritten (same xmin), and reads as "no observations yet".
        Assert.Equal(before, await db.ScalarAsync<string>("SELECT xmin::text FROM cmms_asset_sync_state"));
        Assert.Equal(
            "0|0|0|\"v1\"",
            await db.ScalarAsync<string>(
                "SELECT change_count || '|' || change_exposure || '|' || change_observations || '|' || etag FROM cmms_asset_sync_state"
            )
        );
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cmms_change_model"));
        Assert.All(SchemaPlan.Versions.Single(v => v.Version == 3).Steps, s => Assert.Equal(SchemaStepKind.Ddl, s.Kind));
    }
}
