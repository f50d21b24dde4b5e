namespace AssetSync;

/// <summary>
/// The register's sync state. SyncedAssets, FailedAssets and NeverSynced partition TotalAssets:
/// each asset counts once, by its current state (its latest api_sync log row).
/// </summary>
public sealed class SyncStatus
{
    /// <summary>Rows of ic3_asset_master with a cmms_asset_id.</summary>
    public required long TotalAssets { get; init; }

    public required long SyncedAssets { get; init; }

    public required long FailedAssets { get; init; }

    public required long NeverSynced { get; init; }

    /// <summary>Register rows whose cmms_asset_id is NULL, empty or only whitespace: not part of TotalAssets, never requested.</summary>
    public long UnlinkedAssets { get; init; }

    /// <summary>When the latest run finished.</summary>
    public DateTimeOffset? LastSyncAt { get; init; }

    /// <summary>The latest runs, newest first.</summary>
    public required IReadOnlyList<SyncRunSummary> LastRuns { get; init; }
}
