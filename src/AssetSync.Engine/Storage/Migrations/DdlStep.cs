using Npgsql;

namespace AssetSync.Storage.Migrations;

/// <summary>
/// Brief DDL in one transaction, under a short lock_timeout. When a long query holds the table, the
/// statement gives up its place in the lock queue (so IC3's readers are not stuck behind it) and is
/// tried again after a pause, up to <see cref="MigrationContext.LockWaitLimit"/>.
/// </summary>
internal sealed class DdlStep(int version, string name, string description, string sql)
    : MigrationStep(version, name, SchemaStepKind.Ddl, description)
{
    public override string Sql { get; } = sql;

    public override async Task RunAsync(MigrationContext ctx, CancellationToken ct)
    {
        var started = ctx.Time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await ctx.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (var set = new NpgsqlCommand("SELECT set_config('lock_timeout', $1, true)", conn, tx) { CommandTimeout = 0 })
                {
                    set.Parameters.Add(new NpgsqlParameter { Value = $"{(int)ctx.LockTimeout.TotalMilliseconds}ms" });
                    await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                // Our own constant DDL; no user or API value is in it.
                await using (var cmd = new NpgsqlCommand(Sql, conn, tx) { CommandTimeout = 0 })
                {
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await MarkDoneAsync(conn, tx, Name, Version, started, ctx.Time, ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                Report(ctx, started, completed: true);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                var waited = ctx.Time.GetElapsedTime(started);
                if (waited >= ctx.LockWaitLimit)
                {
                    throw new SchemaUpgradeException(
                        Name,
                        $"its table stayed locked by other sessions for {waited.TotalSeconds:0} s ({attempt} tries); find the long query in "
                            + $"pg_stat_activity",
                        ex
                    )
                    {
                        Target = ctx.Target,
                    };
                }
                ctx.Verbose($"Step {Name}: a table is locked by a long query; trying again in {delay.TotalSeconds:0.##} s (try {attempt}).");
                Report(ctx, started, completed: false, waitingFor: "a table lock held by another session");
                await Task.Delay(delay, ctx.Time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
