using AssetSync.Storage;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>Log retention on its own, against a real PostgreSQL: old history goes, each asset's deciding row and recent rows stay.</summary>
public sealed class LogRetentionTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        // Runs 1..3 for two assets: runs 1 and 2 forty days ago, run 3 today. INF-000002's state still points at run 1
        // (its deciding row: an old failure, never retried since).
        await db.ExecAsync(
            """
            INSERT INTO ic3_sync_log (serialnumber, sync_type, status, synced_at, run_id)
            SELECT s, 'api_sync', 'success', CASE WHEN r < 3 THEN now() - interval '40 days' ELSE now() END, r
            FROM unnest(ARRAY['INF-000001', 'INF-000002']) s, generate_series(1, 3) r
            WHERE NOT (s = 'INF-000002' AND r > 1)
            """
        );
        await db.ExecAsync(
            """
            INSERT INTO cmms_asset_sync_state (serialnumber, status, consecutive_failures, last_run_id)
            VALUES ('INF-000001', 'success', 0, 3), ('INF-000002', 'error', 1, 1)
            """
        );
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private LogRetention Retention() =>
        new SyncStore(db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System).Retention(TimeProvider.System);

    [Fact]
    public async Task Counts_then_removes_only_old_rows_that_decide_nothing_reporting_its_pages()
    {
        var olderThan = DateTimeOffset.UtcNow.AddDays(-30);
        var retention = Retention();

        Assert.Equal(2L, await retention.CountAsync(olderThan, CancellationToken.None));
        var reports = new List<(long Removed, long PagesDone, long Pages)>();
        var removed = await retention.RemoveAsync(olderThan, new SynchronousProgress<(long, long, long)>(reports.Add), CancellationToken.None);

        Assert.Equal(2L, removed);
        Assert.Equal(
            [
                ["INF-000001", 3L],
                ["INF-000002", 1L],
            ],
            (await db.RowsAsync("SELECT serialnumber, run_id FROM ic3_sync_log ORDER BY serialnumber, run_id")).Select(r => r.ToArray())
        );
        Assert.NotEmpty(reports);
        Assert.Equal(2L, reports[^1].Removed);
        Assert.Equal(reports[^1].Pages, reports[^1].PagesDone);
        Assert.Equal(0L, await retention.CountAsync(olderThan, CancellationToken.None));
    }

    [Fact]
    public async Task A_cutoff_older_than_every_row_removes_nothing()
    {
        var retention = Retention();
        Assert.Equal(0L, await retention.RemoveAsync(DateTimeOffset.UtcNow.AddDays(-365), null, CancellationToken.None));
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log"));
    }

    /// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
