using AssetSync.Storage;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>
/// The statistics an upgrade froze (a seed-era log and state of one row each) are refreshed once a run outgrows them, and
/// never on a register whose history dwarfs a night: against a real PostgreSQL.
/// </summary>
public sealed class PlannerStatisticsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private const int Assets = 5000;

    public async Task InitializeAsync()
    {
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, Assets));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<long> AnalyzeCountAsync() =>
        db.ScalarAsync<long>("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'cmms_asset_sync_state'");

    /// <summary>Writes every asset's success in groups of 100, as a run's writer does; returns the store's refreshes.</summary>
    private async Task<int> RunAsync()
    {
        await using var store = new SyncStore(db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        var (runId, _) = await store.Runs.StartAsync(AssetSelection.Batch(0), Assets, 0, "test", "test", CancellationToken.None);
        foreach (var group in TestSerials.Range(1, Assets).Chunk(100))
        {
            await store.States.RecordAsync(
                runId,
                group.Select(s => OutcomeRow.Success(s, 1, 200, 5, default, unchanged: true)).ToList(),
                CancellationToken.None
            );
        }
        return store.States.Statistics!.Refreshes;
    }

    [Fact]
    public async Task A_run_that_outgrows_one_row_statistics_refreshes_them_and_a_run_that_adds_a_sliver_does_not()
    {
        // What a seed-era database has after the upgrade's own ANALYZE: one row in each table.
        await db.ExecAsync(
            "INSERT INTO cmms_asset_sync_state (serialnumber, status) VALUES ('SEED-1', 'success'); ANALYZE cmms_asset_sync_state, ic3_sync_log"
        );
        Assert.True(await db.ScalarAsync<float>("SELECT reltuples FROM pg_class WHERE relname = 'cmms_asset_sync_state'") <= 1);
        var before = await AnalyzeCountAsync();

        var refreshes = await RunAsync();

        // 5,000 rows against 1: refreshed at 2,000 written (then they said 2,000), again when the run doubled that (4,000),
        // and not a third time: 1,000 more do not double 4,000.
        Assert.Equal(2, refreshes);
        Assert.Equal(before + 2, await AnalyzeCountAsync());
        Assert.True(
            await db.ScalarAsync<float>("SELECT reltuples FROM pg_class WHERE relname = 'cmms_asset_sync_state'") >= PlannerStatistics.MinimumGrowth
        );

        // Years of history (20,000 more rows in each table, analysed): a night of the same 5,000 assets is a sliver of it.
        await db.ExecAsync(
            """
            INSERT INTO cmms_asset_sync_state (serialnumber, status) SELECT 'OLD-' || i, 'success' FROM generate_series(1, 20000) i;
            INSERT INTO ic3_sync_log (serialnumber, sync_type, status, synced_at) SELECT 'OLD-' || i, 'api_sync', 'success', now() -
                interval '1 year' FROM generate_series(1, 20000) i;
            ANALYZE cmms_asset_sync_state, ic3_sync_log
            """
        );
        var settled = await AnalyzeCountAsync();
        Assert.Equal(0, await RunAsync());
        Assert.Equal(settled, await AnalyzeCountAsync());
    }
}
