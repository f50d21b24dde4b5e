using Npgsql;

namespace AssetSync.Storage.Migrations;

/// <summary>
/// Plans and applies schema versions step by step. One upgrade at a time per database (a session advisory
/// lock); steps already recorded as done are skipped, so an upgrade interrupted anywhere resumes where it stopped.
/// A failing step is never retried as if transient: it stops the upgrade with <see cref="SchemaUpgradeException"/>.
/// </summary>
internal sealed class MigrationRunner(MigrationContext ctx)
{
    /// <summary>The installed version (0: none).</summary>
    public async Task<int> GetVersionAsync(CancellationToken ct)
    {
        await using var conn = await ctx.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        return await GetVersionAsync(conn, ct).ConfigureAwait(false);
    }

    /// <summary>The installed version on <paramref name="conn"/> (0: no AssetSync schema).</summary>
    internal static async Task<int> GetVersionAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using (var exists = new NpgsqlCommand(MigrationSql.SchemaVersionTableExists, conn) { CommandTimeout = 0 })
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                return 0;
            }
        }
        await using var cmd = new NpgsqlCommand(MigrationSql.SchemaVersion, conn) { CommandTimeout = 0 };
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The versions not yet applied, each with its steps described for this database (rows, estimate, done).</summary>
    public async Task<IReadOnlyList<SchemaMigration>> PlanAsync(CancellationToken ct)
    {
        // Migrations go around the retry policy: each step waits for its locks with its own lock_timeout and retries, and
        // a step that fails is resumed by running Initialize-CmmsSyncSchema again (the step bookkeeping says where).
        await using var conn = await ctx.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        var version = await GetVersionAsync(conn, ct).ConfigureAwait(false);
        var done = await StepsDoneAsync(conn, ct).ConfigureAwait(false);
        var result = new List<SchemaMigration>();
        foreach (var (v, description, steps) in SchemaPlan.Versions)
        {
            if (v <= version)
            {
                continue;
            }
            var described = new List<SchemaStep>();
            foreach (var step in steps)
            {
                long? rows = null;
                if (step.CostTable is { } table)
                {
                    await using var est = new NpgsqlCommand(MigrationSql.EstimateRows, conn) { CommandTimeout = 0 };
                    est.Parameters.Add(new NpgsqlParameter { Value = table });
                    rows = await est.ExecuteScalarAsync(ct).ConfigureAwait(false) is long n ? n : 0;
                }
                described.Add(step.Describe(rows, done.Contains(step.Name)));
            }
            result.Add(
                new SchemaMigration(
                    v,
                    description,
                    string.Join("\n\n", steps.Select(s => $"-- {s.Name}: {s.Description}\n{s.Sql.Trim()}")),
                    described
                )
            );
        }
        return result;
    }

    private static async Task<HashSet<string>> StepsDoneAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        await using (var exists = new NpgsqlCommand(MigrationSql.StepsTableExists, conn) { CommandTimeout = 0 })
        {
            if (!(bool)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                return done;
            }
        }
        await using var cmd = new NpgsqlCommand(MigrationSql.StepsDone, conn) { CommandTimeout = 0 };
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            done.Add(reader.GetString(0));
        }
        return done;
    }

    /// <summary>Applies <paramref name="version"/>'s remaining steps. False when it was applied already (by another session, say).</summary>
    public async Task<bool> ApplyAsync(int version, CancellationToken ct)
    {
        var (_, description, steps) = SchemaPlan.Versions.Single(v => v.Version == version);
        // Held on a connection of its own across every step's transactions; released when it closes, even if we die.
        await using var lockConn = await ctx.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await ExecAsync(lockConn, MigrationSql.SchemaLock, ct, MigrationSql.SchemaLockKey).ConfigureAwait(false);
        await ExecAsync(lockConn, MigrationSql.CreateBookkeeping, ct).ConfigureAwait(false);
        await using (var applied = new NpgsqlCommand(MigrationSql.VersionApplied, lockConn) { CommandTimeout = 0 })
        {
            applied.Parameters.Add(new NpgsqlParameter { Value = version });
            if ((bool)(await applied.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
            {
                return false;
            }
        }
        var done = await StepsDoneAsync(lockConn, ct).ConfigureAwait(false);
        foreach (var step in steps)
        {
            if (done.Contains(step.Name))
            {
                ctx.Verbose($"Step {step.Name} was done already; skipped.");
                continue;
            }
            var started = ctx.Time.GetTimestamp();
            ctx.Verbose($"Step {step.Name}: {step.Description}.");
            try
            {
                await step.RunAsync(ctx, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (SchemaUpgradeException)
            {
                throw;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                throw new SchemaUpgradeException(step.Name, StoreConnections.Describe(ex), ex) { Target = ctx.Target };
            }
            ctx.Verbose($"Step {step.Name} done in {ctx.Time.GetElapsedTime(started).TotalSeconds:0.0} s.");
        }
        await ExecAsync(lockConn, MigrationSql.RecordVersion, ct, version, description).ConfigureAwait(false);
        await ExecAsync(lockConn, MigrationSql.SchemaUnlock, ct, MigrationSql.SchemaLockKey).ConfigureAwait(false);
        // Tables a version filled have no statistics until autovacuum comes round: the status and report queries would be
        // planned blind in between (measured: 0.56-0.73 s on 18 M rows, against 0.23-0.3 s once analysed). ANALYZE takes a
        // lock that blocks no reader or writer, and samples: seconds even on years of history.
        var analyzeStarted = ctx.Time.GetTimestamp();
        await ExecAsync(lockConn, MigrationSql.AnalyzeFilled, ct).ConfigureAwait(false);
        ctx.Verbose($"Tables the upgrade filled analysed in {ctx.Time.GetElapsedTime(analyzeStarted).TotalSeconds:0.0} s.");
        return true;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        foreach (var a in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        }
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
