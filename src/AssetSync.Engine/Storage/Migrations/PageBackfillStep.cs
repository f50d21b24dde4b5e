using Npgsql;

namespace AssetSync.Storage.Migrations;

/// <summary>
/// Walks a table by physical page ranges (a TID range scan: sequential reads, no index needed) and runs
/// <see cref="Sql"/> on each range in its own short transaction, committing the page cursor with it.
/// A rerun continues after the last committed batch, and each batch's work happens exactly once.
/// Batches are sized from the time the last one took, towards <see cref="MigrationContext.BatchTarget"/>.
/// </summary>
/// <remarks>The batch SQL takes $1 (first page) and $2 (page after the last) and returns the rows it touched.</remarks>
internal sealed class PageBackfillStep(
    int version,
    string name,
    string description,
    string table,
    string batchSql,
    double secondsPerMillionRows,
    double batchTargetFactor = 1
) : MigrationStep(version, name, SchemaStepKind.Backfill, description)
{
    public override string Sql { get; } = batchSql;

    public override string? CostTable => table;

    public override double SecondsPerMillionRows => secondsPerMillionRows;

    public override async Task RunAsync(MigrationContext ctx, CancellationToken ct)
    {
        var started = ctx.Time.GetTimestamp();
        await using var conn = await ctx.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

        // The walk's end is fixed when the step first starts: pages appended later hold rows this step
        // wrote itself (new row versions) or rows a later step catches up with.
        long cursor,
            target,
            rowsDone;
        await using (var begin = new NpgsqlCommand(MigrationSql.BeginPageStep, conn) { CommandTimeout = 0 })
        {
            begin.Parameters.Add(new NpgsqlParameter { Value = Name });
            begin.Parameters.Add(new NpgsqlParameter { Value = Version });
            begin.Parameters.Add(new NpgsqlParameter { Value = table });
            await using var reader = await begin.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            (cursor, target, rowsDone) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        double rowsPerPage;
        await using (var stats = new NpgsqlCommand(MigrationSql.RowsPerPage, conn) { CommandTimeout = 0 })
        {
            stats.Parameters.Add(new NpgsqlParameter { Value = table });
            rowsPerPage = Convert.ToDouble(
                await stats.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0.0,
                System.Globalization.CultureInfo.InvariantCulture
            );
        }
        var totalRows = (long)(target * rowsPerPage);
        if (cursor > 0)
        {
            ctx.Verbose($"Step {Name}: resuming at page {cursor:N0} of {target:N0}.");
        }

        long chunk = ctx.InitialBatchPages;
        while (cursor < target)
        {
            var to = Math.Min(target, cursor + chunk);
            var batchStarted = ctx.Time.GetTimestamp();
            await using (var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false))
            {
                // Sorts of a million rows stay in memory for this transaction only.
                await using (var mem = new NpgsqlCommand("SELECT set_config('work_mem', '256MB', true)", conn, tx) { CommandTimeout = 0 })
                {
                    await mem.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                long touched;
                await using (var batch = new NpgsqlCommand(Sql, conn, tx) { CommandTimeout = 0 })
                {
                    batch.Parameters.Add(new NpgsqlParameter { Value = cursor });
                    batch.Parameters.Add(new NpgsqlParameter { Value = to });
                    touched = await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await using (var advance = new NpgsqlCommand(MigrationSql.AdvancePageStep, conn, tx) { CommandTimeout = 0 })
                {
                    advance.Parameters.Add(new NpgsqlParameter { Value = Name });
                    advance.Parameters.Add(new NpgsqlParameter { Value = to });
                    advance.Parameters.Add(new NpgsqlParameter { Value = Math.Max(0, touched) });
                    await advance.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await tx.CommitAsync(ct).ConfigureAwait(false);
                rowsDone += Math.Max(0, touched);
            }
            cursor = to;
            var took = ctx.Time.GetElapsedTime(batchStarted).TotalSeconds;
            chunk = PageRange.NextChunk(chunk, took, ctx.BatchTarget * batchTargetFactor);
            Report(ctx, started, completed: false, done: (long)(cursor * rowsPerPage), total: totalRows);
            if (ctx.AfterBatch is { } hook)
            {
                await hook(Name, ct).ConfigureAwait(false);
            }
        }
        await MarkDoneAsync(conn, null, Name, Version, started, ctx.Time, ct).ConfigureAwait(false);
        Report(ctx, started, completed: true, done: totalRows, total: totalRows);
    }
}
