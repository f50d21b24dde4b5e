namespace AssetSync;

/// <summary>
/// One step of a schema migration, as -WhatIf and -Verbose show it: what it does, how many rows it
/// touches and about how long it takes on this database. Steps record their completion, so an upgrade
/// interrupted anywhere resumes at the first step not done.
/// </summary>
public sealed class SchemaStep
{
    internal SchemaStep(int version, string name, SchemaStepKind kind, string description)
    {
        Version = version;
        Name = name;
        Kind = kind;
        Description = description;
    }

    /// <summary>The schema version this step belongs to.</summary>
    public int Version { get; }

    /// <summary>A stable name such as "2.3-state-backfill", recorded in assetsync_schema_step when done.</summary>
    public string Name { get; }

    public SchemaStepKind Kind { get; }

    public string Description { get; }

    /// <summary>Rows the step reads or writes on this database (an estimate from the planner's statistics); null when none.</summary>
    public long? Rows { get; init; }

    /// <summary>About how long the step takes here, from the row estimate; zero for brief DDL.</summary>
    public TimeSpan EstimatedDuration { get; init; }

    /// <summary>True when the database records this step as done already (a resumed upgrade skips it).</summary>
    public bool Done { get; init; }

    public override string ToString()
    {
        var cost = Rows is { } rows ? $" ({rows:N0} rows, {Format(EstimatedDuration)})" : "";
        return $"{Name}: {Description}{cost}{(Done ? " [done]" : "")}";
    }

    /// <summary>An estimate as words: "under 1 s", "about 40 s", "about 2.5 min".</summary>
    public static string Format(TimeSpan t) =>
        t.TotalSeconds < 1 ? "under 1 s"
        : t.TotalSeconds < 120 ? $"about {t.TotalSeconds:0} s"
        : $"about {t.TotalMinutes:0.#} min";
}
