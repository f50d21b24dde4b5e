using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Simulator;
using AssetSync.Storage;
using BenchmarkDotNet.Attributes;
using Npgsql;

namespace AssetSync.Benchmarks;

/// <summary>
/// Writing one asset: the engine's group write with a group of one (one NpgsqlBatch, one round trip, one implicit transaction)
/// against the obvious alternative, an explicit transaction with one command per statement
/// (re-created here only, for comparison). Needs ASSETSYNC_BENCH_CONNECTION_STRING (build.ps1 sets it).
/// </summary>
[MemoryDiagnoser]
public class SqlBatchBenchmarks : IDisposable
{
    private SyncStore _store = null!;
    private NpgsqlDataSource _dataSource = null!;
    private AssetDetail _asset = null!;
    private long _runId;

    // The per-asset statements of the alternative, re-created here only, for comparison.
    private const string EnrichMaster = """
        UPDATE ic3_asset_master SET
            asset_code = $2, asset_name = $3, category = $4, make = $5, model = $6, department = $7,
            location_site = $8, location_building = $9, location_floor = $10, location_room = $11,
            cmms_status = $12, criticality = $13, install_date = $14, warranty_expiry = $15,
            cmms_last_modified = $16, cmms_payload = $17, cmms_synced_at = now()
        WHERE cmms_asset_id = $1
        """;

    private const string DeleteSchedules = "DELETE FROM ic3_asset_pm_schedule WHERE cmms_asset_id = $1";

    [GlobalSetup]
    public void Setup()
    {
        var cs = Environment.GetEnvironmentVariable("ASSETSYNC_BENCH_CONNECTION_STRING")
            ?? throw new InvalidOperationException("Set ASSETSYNC_BENCH_CONNECTION_STRING (./build.ps1 -Task Bench does).");
        _store = new SyncStore(cs, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        _dataSource = NpgsqlDataSource.Create(cs);
        var database = new SyncDatabase(cs);
        foreach (var m in database.GetPendingMigrationsAsync().GetAwaiter().GetResult())
        {
            database.ApplyMigrationAsync(m).GetAwaiter().GetResult();
        }
        database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        using (var cmd = _dataSource.CreateCommand("INSERT INTO ic3_asset_master (cmms_asset_id) VALUES ('INF-000123')"))
        {
            cmd.ExecuteNonQuery();
        }
        var body = System.Text.Encoding.UTF8.GetBytes(AssetGenerator.Body("INF-000123", 1).ToJsonString());
        _asset = AssetDetailParser.TryParse(body, "INF-000123", out _)!;
        // Each benchmark runs in a process of its own: start the run ids where no earlier process has been.
        _runId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
    }

    [Benchmark(Baseline = true)]
    public Task OneBatch() =>
        _store.States.ApplyChangedAsync(++_runId, [new ChangedAsset("INF-000123", _asset, 1, 200, 5, default)], default).AsTask();

    [Benchmark]
    public async Task OneCommandPerStatement()
    {
        await using var conn = await _dataSource.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var master = new NpgsqlCommand(EnrichMaster, conn, tx))
        {
            master.Parameters.Add(new NpgsqlParameter { Value = "INF-000123" });
            for (var i = 0; i < 15; i++)
            {
                master.Parameters.Add(
                    new NpgsqlParameter
                    {
                        Value = DBNull.Value,
                        NpgsqlDbType =
                            i is 12 or 13 ? NpgsqlTypes.NpgsqlDbType.Date
                            : i == 14 ? NpgsqlTypes.NpgsqlDbType.TimestampTz
                            : NpgsqlTypes.NpgsqlDbType.Text,
                    }
                );
            }
            master.Parameters.Add(new NpgsqlParameter { Value = _asset.RawPayload, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
            await master.ExecuteNonQueryAsync();
        }
        await using (var delete = new NpgsqlCommand(DeleteSchedules, conn, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = "INF-000123" });
            await delete.ExecuteNonQueryAsync();
        }
        foreach (var s in _asset.PmSchedules)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO ic3_asset_pm_schedule (cmms_asset_id, schedule_id, task, frequency_days, next_due) VALUES ($1, $2, $3, $4, $5)",
                conn,
                tx
            );
            insert.Parameters.Add(new NpgsqlParameter { Value = "INF-000123" });
            insert.Parameters.Add(new NpgsqlParameter { Value = s.ScheduleId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)s.Task ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(
                new NpgsqlParameter { Value = (object?)s.FrequencyDays ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer }
            );
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)s.NextDue ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
            await insert.ExecuteNonQueryAsync();
        }
        await using (
            var log = new NpgsqlCommand(
                "INSERT INTO ic3_sync_log (serialnumber, sync_type, status, synced_at, run_id, attempts, http_status, duration_ms) VALUES ($1, "
                    + "'api_sync', 'success', now(), $2, 1, 200, 5)",
                conn,
                tx
            )
        )
        {
            log.Parameters.Add(new NpgsqlParameter { Value = "INF-000123" });
            log.Parameters.Add(new NpgsqlParameter { Value = ++_runId });
            await log.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }
}
