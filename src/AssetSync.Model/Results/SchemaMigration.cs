namespace AssetSync;

/// <summary>One numbered, additive step of AssetSync's database schema.</summary>
public sealed class SchemaMigration
{
    internal SchemaMigration(int version, string description, string sql)
    {
        Version = version;
        Description = description;
        Sql = sql;
    }

    public int Version { get; }

    public string Description { get; }

    /// <summary>The statements, for -WhatIf and review.</summary>
    public string Sql { get; }

    public override string ToString() => $"{Version:000}: {Description}";
}
