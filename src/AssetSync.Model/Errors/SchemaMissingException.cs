namespace AssetSync;

/// <summary>The database lacks AssetSync's tables or holds an older schema version.</summary>
public sealed class SchemaMissingException(int currentVersion, int requiredVersion)
    : AssetSyncException(
        currentVersion == 0
            ? "The database has no AssetSync schema. Run Initialize-CmmsSyncSchema first; it creates the tables and keeps existing data."
            : $"The database's AssetSync schema is version {currentVersion}; this module needs version {requiredVersion}. Run "
                + $"Initialize-CmmsSyncSchema to upgrade it; existing data is kept."
    )
{
    public int CurrentVersion { get; } = currentVersion;

    public int RequiredVersion { get; } = requiredVersion;

    /// <summary>host:port/database lacking the schema.</summary>
    public string? Target { get; init; }
}
