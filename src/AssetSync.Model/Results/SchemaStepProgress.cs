namespace AssetSync;

/// <summary>Progress of one schema step while it runs, and once more when it ends (<see cref="Completed"/>).</summary>
public sealed class SchemaStepProgress
{
    public required SchemaStep Step { get; init; }

    /// <summary>Rows done so far (backfills; an estimate from the pages walked).</summary>
    public long RowsDone { get; init; }

    /// <summary>Rows in all (backfills); null when the step has no rows to count.</summary>
    public long? RowsTotal { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Time left, from the rate so far; null when unknown.</summary>
    public TimeSpan? Remaining { get; init; }

    public bool Completed { get; init; }

    /// <summary>Set while the step waits for a lock a long query holds: what it waits for.</summary>
    public string? WaitingFor { get; init; }
}
