using Npgsql;

namespace AssetSync.Tests.Fixtures;

/// <summary>
/// A database of its own for one test class, in the real PostgreSQL that build.ps1 starts
/// (ASSETSYNC_TEST_CONNECTION_STRING). Created with AssetSync's schema, dropped afterwards.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private string _admin = "";

    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; } = "t_" + Guid.NewGuid().ToString("N")[..16];

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("ASSETSYNC_TEST_CONNECTION_STRING")
        ?? throw new InvalidOperationException(
            "ASSETSYNC_TEST_CONNECTION_STRING is not set: run the tests with 'dotnet pwsh ./build.ps1 -Task Test', which starts a throwaway "
                + "PostgreSQL."
        );

    public async Task InitializeAsync()
    {
        _admin = AdminConnectionString;
        await using (var conn = new NpgsqlConnection(_admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = DatabaseName, Pooling = true }.ConnectionString;
    }

    public async Task ApplySchemaAsync()
    {
        await using var db = new SyncDatabase(ConnectionString);
        foreach (var m in await db.GetPendingMigrationsAsync())
        {
            await db.ApplyMigrationAsync(m);
        }
    }

    /// <summary>Empties AssetSync's tables, for tests in one class that need a clean slate.</summary>
    public Task ResetAsync() =>
        ExecAsync(
            "TRUNCATE ic3_asset_master, ic3_asset_pm_schedule, ic3_sync_log, cmms_sync_log, cmms_asset_sync_state, cmms_rate_state, "
                + "cmms_change_model RESTART IDENTITY"
        );

    /// <summary>Fills ic3_asset_master the way IC3 would: one row per serial, in report order.</summary>
    public async Task SeedAssetsAsync(IEnumerable<string> serials)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT s, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(s, ord)",
            conn
        );
        cmd.Parameters.Add(new NpgsqlParameter { Value = serials.ToArray() });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task ExecAsync(string sql, params object[] values)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        var result = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<object?[]>> RowsAsync(string sql, params object[] values)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var v in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        var rows = new List<object?[]>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(_admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
