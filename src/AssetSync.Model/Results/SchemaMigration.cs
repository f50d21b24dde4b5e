namespace AssetSync;

/// <summary>One numbered, additive version of AssetSync's database schema, made of resumable steps.</summary>
public sealed class SchemaMigration
{
    internal SchemaMigration(int version, string description, string sql, IReadOnlyList<SchemaStep> steps)
    {
        Version = version;
        Description = description;
        Sql = sql;
        Steps = steps;
    }

    public int Version { get; }

    public string Description { get; }

    /// <summary>The statements of every step, for review.</summary>
    public string Sql { get; }

    /// <summary>The steps, with their cost on the database they were planned for.</summary>
    public IReadOnlyList<SchemaStep> Steps { get; }

    /// <summary>Rows the version's backfills and index builds touch, in all.</summary>
    public long Rows => Steps.Sum(s => s.Done ? 0 : s.Rows ?? 0);

    /// <summary>About how long the version takes here.</summary>
    public TimeSpan EstimatedDuration => TimeSpan.FromTicks(Steps.Where(s => !s.Done).Sum(s => s.EstimatedDuration.Ticks));

    public override string ToString() => $"{Version:000}: {Description}";
}
