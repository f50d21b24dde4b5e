using Npgsql;

namespace AssetSync.Storage.Migrations;

/// <summary>
/// One resumable step of a schema version. A step records its completion in assetsync_schema_step
/// (in the same transaction as its work, where it has one), so a rerun skips it.
/// </summary>
internal abstract class MigrationStep(int version, string name, SchemaStepKind kind, string description)
{
    public int Version { get; } = version;

    public string Name { get; } = name;

    public SchemaStepKind Kind { get; } = kind;

    public string Description { get; } = description;

    /// <summary>The statements, for -WhatIf and review.</summary>
    public abstract string Sql { get; }

    /// <summary>The table a backfill or index build reads, for its row estimate; null for brief DDL.</summary>
    public virtual string? CostTable => null;

    /// <summary>Seconds per million rows of <see cref="CostTable"/>, measured on the 2-core reference machine (see docs/performance.md).</summary>
    public virtual double SecondsPerMillionRows => 0;

    public abstract Task RunAsync(MigrationContext ctx, CancellationToken ct);

    public SchemaStep Describe(long? rows, bool done) =>
        new(Version, Name, Kind, Description)
        {
            Rows = rows,
            EstimatedDuration = rows is { } r ? TimeSpan.FromSeconds(r / 1e6 * SecondsPerMillionRows) : TimeSpan.Zero,
            Done = done,
        };

    protected static async Task MarkDoneAsync(
        NpgsqlConnection conn,
        NpgsqlTransaction? tx,
        string name,
        int version,
        long startedTimestamp,
        TimeProvider time,
        CancellationToken ct
    )
    {
        await using var cmd = new NpgsqlCommand(MigrationSql.MarkStepDone, conn, tx) { CommandTimeout = 0 };
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = version });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (long)time.GetElapsedTime(startedTimestamp).TotalMilliseconds });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    protected void Report(MigrationContext ctx, long started, bool completed, long done = 0, long? total = null, string? waitingFor = null)
    {
        var elapsed = ctx.Time.GetElapsedTime(started);
        TimeSpan? remaining = total is { } t && done > 0 && done < t ? elapsed * ((double)(t - done) / done) : null;
        ctx.Progress?.Report(
            new SchemaStepProgress
            {
                Step = Describe(total, completed),
                RowsDone = done,
                RowsTotal = total,
                Elapsed = elapsed,
                Remaining = remaining,
                Completed = completed,
                WaitingFor = waitingFor,
            }
        );
    }

    public override string ToString() => Name;
}
