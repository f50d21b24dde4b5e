using AssetSync.Domain;
using AssetSync.Storage;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Storage;

/// <summary>The one log-plus-state template, for every outcome, against a real PostgreSQL: the deferral rule as the contract words it.</summary>
public sealed class AssetStateStoreTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>, IAsyncLifetime, IAsyncDisposable
{
    private SyncStore _store = null!;
    private long _runId;

    public async Task InitializeAsync()
    {
        await db.ApplySchemaAsync();
        await db.ResetAsync();
        await db.SeedAssetsAsync(TestSerials.Range(1, 3));
        _store = new SyncStore(db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        (_runId, _) = await _store.Runs.StartAsync(AssetSelection.Batch(0), 3, 0, "test", "test", CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => _store.DisposeAsync();

    /// <summary>A new run each time: one log row per asset per run.</summary>
    private async Task<long> NextRunAsync() =>
        (await _store.Runs.StartAsync(AssetSelection.Batch(0), 3, 0, "test", "test", CancellationToken.None)).RunId;

    private async Task<double?> DeferredDaysAsync(string serial) =>
        (
            await db.RowsAsync(
                "SELECT (extract(epoch FROM next_attempt_at - last_attempt_at) / 86400)::float8 FROM cmms_asset_sync_state WHERE serialnumber = $1",
                serial
            )
        ).Single()[0] as double?;

    /// <summary>Records one failure as a run's writer does; true when written now.</summary>
    private async Task<bool> FailAsync(long run, string serial, SyncErrorKind kind, string message, int attempts, int? httpStatus) =>
        await _store.States.RecordAsync(run, [OutcomeRow.Failure(serial, kind, message, attempts, httpStatus, 5)], CancellationToken.None) == 1;

    [Fact]
    public async Task A_deferring_kind_waits_1_2_4_days_by_failures_in_a_row_at_most_the_cap_as_DeferralSchedule_says()
    {
        var serial = TestSerials.Range(1, 1).Single();
        for (var n = 1; n <= 7; n++)
        {
            var run = n == 1 ? _runId : await NextRunAsync();
            Assert.True(await FailAsync(run, serial, SyncErrorKind.NotFound, "404", 1, 404));
            Assert.Equal(Oracles.DeferralDays(n), await DeferredDaysAsync(serial));
            Assert.Equal(n, await db.ScalarAsync<int>("SELECT consecutive_failures FROM cmms_asset_sync_state WHERE serialnumber = $1", serial));
        }
        Assert.Equal(DeferralSchedule.MaxDays, Oracles.DeferralDays(7));
    }

    [Theory]
    [InlineData(SyncErrorKind.NotFound, true)]
    [InlineData(SyncErrorKind.ClientError, true)]
    [InlineData(SyncErrorKind.Transient, false)]
    [InlineData(SyncErrorKind.Timeout, false)]
    [InlineData(SyncErrorKind.Database, false)]
    public async Task Only_the_kinds_the_error_kind_type_says_defer_are_deferred(SyncErrorKind kind, bool defers)
    {
        var serial = TestSerials.Range(2, 1).Single();
        await FailAsync(_runId, serial, kind, "failed", 4, null);

        Assert.Equal(defers, kind.Defers());
        Assert.Equal(defers, await DeferredDaysAsync(serial) is not null);
        Assert.Equal(
            kind.ToContractName(),
            await db.ScalarAsync<string>("SELECT error_kind FROM ic3_sync_log WHERE run_id = $1 AND serialnumber = $2", _runId, serial)
        );
    }

    [Fact]
    public async Task A_success_after_failures_clears_them_keeps_its_validators_and_a_failure_after_it_keeps_them_too()
    {
        var serial = TestSerials.Range(3, 1).Single();
        await FailAsync(_runId, serial, SyncErrorKind.NotFound, "404", 1, 404);
        var second = await NextRunAsync();
        var written = await _store.States.RecordAsync(
            second,
            [OutcomeRow.Success(serial, 1, 304, 5, new FetchValidators("\"v1\"", null, [1, 2, 3]), unchanged: true)],
            CancellationToken.None
        );

        Assert.Equal(1, written);
        var row = (
            await db.RowsAsync(
                "SELECT status, consecutive_failures, error_kind, next_attempt_at IS NULL, failing_since IS NULL, etag, last_success_at IS NOT "
                    + "NULL, last_changed_at IS NULL FROM cmms_asset_sync_state WHERE serialnumber = $1",
                serial
            )
        ).Single();
        Assert.Equal(new object?[] { "success", 0, null, true, true, "\"v1\"", true, true }, row);

        var third = await NextRunAsync();
        await FailAsync(third, serial, SyncErrorKind.Transient, "503", 4, 503);
        Assert.Equal(
            new object?[] { "error", "\"v1\"", true, 503 },
            (
                await db.RowsAsync(
                    "SELECT status, etag, last_success_at IS NOT NULL, http_status FROM cmms_asset_sync_state WHERE serialnumber = $1",
                    serial
                )
            ).Single()
        );
    }

    [Fact]
    public async Task A_replayed_outcome_writes_nothing_twice()
    {
        var serial = TestSerials.Range(1, 1).Single();
        Assert.True(await FailAsync(_runId, serial, SyncErrorKind.Timeout, "slow", 4, null));
        Assert.False(await FailAsync(_runId, serial, SyncErrorKind.Timeout, "slow", 4, null));

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE run_id = $1", _runId));
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT consecutive_failures FROM cmms_asset_sync_state WHERE serialnumber = $1", serial));
    }
}
