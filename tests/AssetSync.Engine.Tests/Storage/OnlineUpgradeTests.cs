using AssetSync.Storage.Migrations;
using AssetSync.Tests.Fixtures;
using Npgsql;

namespace AssetSync.Tests.Storage;

/// <summary>
/// A seed-era database (the Go service's tables, 300,000 log rows, no AssetSync schema) upgraded to the
/// latest schema while IC3 reads it, through a long IC3 query, and through interruptions.
/// </summary>
public sealed class OnlineUpgradeTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string SeedEra = """
        CREATE TABLE ic3_asset_master (asset_id bigserial PRIMARY KEY, cmms_asset_id text, report_seq_no integer);
        CREATE TABLE ic3_sync_log (serialnumber text, sync_type text, status text, error_message text, synced_at timestamptz);
        CREATE TABLE cmms_sync_log (sync_type text, status text, assets_synced integer, duration_ms integer, synced_at timestamptz);
        -- 2,100 assets; the last 100 never synced.
        INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'S-' || lpad(i::text, 5, '0'), i FROM generate_series(1, 2100) i;
        -- 150 nightly runs over 2,000 assets: 300,000 rows, one in seven an error, runs of errors included.
        INSERT INTO ic3_sync_log
        SELECT 'S-' || lpad(a::text, 5, '0'), 'api_sync',
               CASE WHEN (a % 7 = 0 AND d > 140) OR (a * 31 + d * 17) % 7 = 0 THEN 'error' ELSE 'success' END,
               CASE WHEN (a % 7 = 0 AND d > 140) OR (a * 31 + d * 17) % 7 = 0 THEN 'HTTP 503' END,
               timestamptz '2026-01-01 01:00:00+00' + d * interval '1 day' + (a * 37 % 1000) * interval '1 second'
        FROM generate_series(0, 149) d, generate_series(1, 2000) a;
        INSERT INTO cmms_sync_log SELECT 'api_sync', 'complete', 1700, 60000, timestamptz '2026-01-01 02:00:00+00' + d * interval '1 day'
            FROM generate_series(0, 149) d;
        -- Physically last but oldest in time: must not decide anything.
        INSERT INTO ic3_sync_log SELECT 'S-' || lpad(a::text, 5, '0'), 'api_sync', 'error', 'late row, old time', timestamptz '2025-12-01'
            FROM generate_series(1, 2000, 10) a;
        -- The same time as the latest row, physically later: decides (time, then physical order).
        INSERT INTO ic3_sync_log
        SELECT serialnumber, 'api_sync', 'error', 'tie broken by physical order', synced_at FROM (
            SELECT DISTINCT ON (serialnumber) serialnumber, synced_at FROM ic3_sync_log
            WHERE serialnumber IN (SELECT 'S-' || lpad(a::text, 5, '0') FROM generate_series(5, 2000, 50) a)
            ORDER BY serialnumber, synced_at DESC) t;
        -- Not an api_sync row: ignored.
        INSERT INTO ic3_sync_log VALUES ('S-00002', 'manual', 'error', 'not api_sync', '2027-01-01');
        """;

    /// <summary>Each asset's state as the old log says it: latest api_sync row by time, then physical order; errors since the last success.</summary>
    private const string ExpectedFromLog = """
        WITH r AS (
            SELECT serialnumber, status, synced_at,
                   row_number() OVER (PARTITION BY serialnumber ORDER BY synced_at DESC, ctid DESC) AS rn,
                   count(*) FILTER (WHERE status = 'success') OVER (PARTITION BY serialnumber ORDER BY synced_at DESC, ctid DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS successes_since
            FROM ic3_sync_log WHERE sync_type = 'api_sync' AND status IN ('success', 'error'))
        SELECT serialnumber || '|' || max(status) FILTER (WHERE rn = 1) || '|' || max(synced_at) FILTER (WHERE rn = 1)
               || '|' || count(*) FILTER (WHERE successes_since = 0)
               || '|' || COALESCE(min(synced_at) FILTER (WHERE successes_since = 0)::text, '-')
               || '|' || COALESCE(max(synced_at) FILTER (WHERE status = 'success')::text, '-')
        FROM r GROUP BY serialnumber ORDER BY serialnumber
        """;

    private const string ActualState = """
        SELECT serialnumber || '|' || status || '|' || last_attempt_at || '|' || consecutive_failures
               || '|' || COALESCE(failing_since::text, '-') || '|' || COALESCE(last_success_at::text, '-')
        FROM cmms_asset_sync_state ORDER BY serialnumber
        """;

    private static async Task<List<string>> LinesAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var lines = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }
        return lines;
    }

    private static async Task ExecAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static MigrationContext Fast(MigrationContext c, Func<string, CancellationToken, Task>? afterBatch = null) =>
        new()
        {
            DataSource = c.DataSource,
            Time = c.Time,
            Target = c.Target,
            Verbose = c.Verbose,
            // Many small batches, so interruptions land mid-backfill.
            InitialBatchPages = 64,
            BatchTarget = TimeSpan.FromMilliseconds(50),
            AfterBatch = afterBatch,
        };

    private static async Task UpgradeAsync(
        SyncDatabase database,
        Func<string, CancellationToken, Task>? afterBatch = null,
        CancellationToken ct = default
    )
    {
        for (var v = await database.GetSchemaVersionAsync(ct) + 1; v <= SyncDatabase.RequiredSchemaVersion; v++)
        {
            await database.ApplyMigrationAsync(v, c => Fast(c, afterBatch), ct);
        }
    }

    // IC3's reader: each statement (its own transaction) also returns how long the server took over it, from its start (now():
    // before the locks parsing takes, which statement_timestamp() is not in the extended protocol) to its result.
    private static readonly string[] ReaderStatements =
    [
        "SELECT (SELECT count(*) FROM ic3_asset_master), clock_timestamp() - now()",
        "SELECT (SELECT count(*) FROM (SELECT serialnumber FROM ic3_sync_log LIMIT 5) l), clock_timestamp() - now()",
    ];

    [Fact]
    public async Task A_seed_era_database_upgrades_while_IC3_reads_it_through_a_long_query_and_reports_what_the_old_log_said()
    {
        await ExecAsync(db.ConnectionString, SeedEra);
        var expected = await LinesAsync(db.ConnectionString, ExpectedFromLog);
        Assert.Equal(2000, expected.Count);

        // IC3: a reader polling both tables every 100 ms, and a long report holding the log for 3 s.
        using var stop = new CancellationTokenSource();
        var longestWait = TimeSpan.Zero;
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            await using var conn = new NpgsqlConnection(db.ConnectionString);
            await conn.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                // The wait as the server saw it, from receiving each statement to its result (lock waits included): this test's
                // own threads, slowed by a busy machine, are not a reader blocked by the upgrade.
                var waited = TimeSpan.Zero;
                foreach (var sql in ReaderStatements)
                {
                    await using var read = new NpgsqlCommand(sql, conn);
                    await using var row = await read.ExecuteReaderAsync();
                    await row.ReadAsync();
                    waited += row.GetFieldValue<TimeSpan>(1);
                }
                if (waited > longestWait)
                {
                    longestWait = waited;
                }
                reads++;
                await Task.Delay(100);
            }
        });
        var longQuery = Task.Run(() => ExecAsync(db.ConnectionString, "SELECT count(*) FROM ic3_sync_log, pg_sleep(3)"));
        // Started once the server shows it running (a signal from the server, not a guess at how long starting takes).
        while (
            !longQuery.IsCompleted
            && await db.ScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()"
            ) == 0
        )
        {
            await Task.Yield();
        }

        var verbose = new List<string>();
        await using (var database = new SyncDatabase(db.ConnectionString))
        {
            for (var v = 1; v <= SyncDatabase.RequiredSchemaVersion; v++)
            {
                Assert.True(
                    await database.ApplyMigrationAsync(
                        v,
                        c => new MigrationContext
                        {
                            DataSource = c.DataSource,
                            Time = c.Time,
                            Target = c.Target,
                            InitialBatchPages = 64,
                            BatchTarget = TimeSpan.FromMilliseconds(100),
                            Verbose = m =>
                            {
                                lock (verbose)
                                {
                                    verbose.Add(m);
                                }
                            },
                        },
                        default
                    )
                );
            }
        }
        await longQuery;
        await stop.CancelAsync();
        await reader;

        Assert.True(reads > 5, $"{reads} reads");
        Assert.True(longestWait < TimeSpan.FromSeconds(1), $"a reader waited {longestWait.TotalMilliseconds:0} ms");
        // The long query made a DDL step give up its place in the lock queue and try again.
        Assert.Contains(verbose, m => m.Contains("locked by a long query", StringComparison.Ordinal));

        Assert.Equal(expected, await LinesAsync(db.ConnectionString, ActualState));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE id IS NULL"));
        Assert.Equal(
            "NO",
            await db.ScalarAsync<string>(
                "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'ic3_sync_log' AND column_name = 'id'"
            )
        );
        // The seed's columns are untouched.
        Assert.Equal(300_000L + 200 + 40 + 1, await db.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_index WHERE NOT indisvalid"));
        // The deferral and the default of a new row work on the upgraded table.
        await db.ExecAsync("INSERT INTO ic3_sync_log (serialnumber, sync_type, status) VALUES ('S-00001', 'api_sync', 'success')");
        Assert.True(await db.ScalarAsync<long>("SELECT max(id) FROM ic3_sync_log") > 300_000);
    }

    [Fact]
    public async Task An_upgrade_interrupted_twice_and_left_with_an_invalid_index_resumes_and_ends_as_an_uninterrupted_one()
    {
        var reference = new DatabaseFixture();
        await reference.InitializeAsync();
        try
        {
            await ExecAsync(reference.ConnectionString, SeedEra);
            await using (var database = new SyncDatabase(reference.ConnectionString))
            {
                await UpgradeAsync(database);
            }

            var interrupted = new DatabaseFixture();
            await interrupted.InitializeAsync();
            try
            {
                await ExecAsync(interrupted.ConnectionString, SeedEra);
                await using var database = new SyncDatabase(interrupted.ConnectionString);

                // 1. Ctrl+C in the third batch of the id backfill.
                using (var cts = new CancellationTokenSource())
                {
                    var batches = 0;
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                        UpgradeAsync(
                            database,
                            async (step, ct) =>
                            {
                                if (step.Contains("ic3_sync_log-id-backfill", StringComparison.Ordinal) && ++batches == 3)
                                {
                                    await cts.CancelAsync();
                                }
                            },
                            cts.Token
                        )
                    );
                }
                Assert.True(
                    await interrupted.ScalarAsync<long>("SELECT cursor_page FROM assetsync_schema_step WHERE step LIKE '%ic3_sync_log-id-backfill'")
                        > 0
                );
                Assert.True(await interrupted.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE id IS NULL") > 0);
                Assert.Equal(0, await database.GetSchemaVersionAsync());

                // 2. What an interrupted CREATE INDEX CONCURRENTLY leaves behind: an INVALID index of the step's name.
                await interrupted.ExecAsync(
                    "CREATE UNIQUE INDEX ic3_sync_log_id_key ON ic3_sync_log (id); UPDATE pg_index SET indisvalid = false WHERE indexrelid = "
                        + "'ic3_sync_log_id_key'::regclass"
                );

                // 3. The connection lost in the second batch of the state backfill.
                var stateBatches = 0;
                await Assert.ThrowsAsync<SchemaUpgradeException>(() => UpgradeAsync(database, async (step, ct) =>
                    {
                        if (step == "2.03-state-latest" && ++stateBatches == 2)
                        {
                            await interrupted.ExecAsync(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'AssetSync' AND datname = "
                                    + "current_database() AND pid <> pg_backend_pid()"
                            );
                        }
                    }));
                Assert.Equal(1, await database.GetSchemaVersionAsync());

                // 4. Run again: it resumes and finishes.
                await UpgradeAsync(database);
                Assert.Equal(SyncDatabase.RequiredSchemaVersion, await database.GetSchemaVersionAsync());
                Assert.Equal(await LinesAsync(reference.ConnectionString, ActualState), await LinesAsync(interrupted.ConnectionString, ActualState));
                Assert.Equal(2000, (await LinesAsync(interrupted.ConnectionString, ActualState)).Count);
                Assert.True(
                    await interrupted.ScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ic3_sync_log_id_key'::regclass")
                );
                Assert.Equal(0L, await interrupted.ScalarAsync<long>("SELECT count(*) FROM ic3_sync_log WHERE id IS NULL"));
                Assert.True(await interrupted.ScalarAsync<bool>("SELECT to_regclass('assetsync_state_backfill') IS NULL"));
            }
            finally
            {
                await interrupted.DisposeAsync();
            }
        }
        finally
        {
            await reference.DisposeAsync();
        }
    }

    [Fact]
    public async Task WhatIf_costs_come_from_the_database_and_name_every_step()
    {
        var empty = new DatabaseFixture();
        await empty.InitializeAsync();
        await using var fresh = new SyncDatabase(empty.ConnectionString);
        var plan = await fresh.GetPendingMigrationsAsync();
        await empty.DisposeAsync();
        var steps = plan.SelectMany(m => m.Steps).ToList();
        Assert.Equal(SyncDatabase.AllMigrations.SelectMany(m => m.Steps).Select(s => s.Name), steps.Select(s => s.Name));
        Assert.Contains(steps, s => s.Kind == SchemaStepKind.Backfill);
        Assert.Contains(steps, s => s.Kind == SchemaStepKind.Index);
    }
}
