namespace AssetSync;

/// <summary>
/// The register's sync state. SyncedAssets, FailedAssets and NeverSynced partition TotalAssets:
/// each asset counts once, by its current state (its row in cmms_asset_sync_state).
/// </summary>
public sealed class SyncStatus
{
    /// <summary>Rows of ic3_asset_master with a cmms_asset_id.</summary>
    public required long TotalAssets { get; init; }

    public required long SyncedAssets { get; init; }

    public required long FailedAssets { get; init; }

    /// <summary>Assets never attempted: no state row yet (not the same as never succeeded, which failing assets may be too).</summary>
    public required long NeverSynced { get; init; }

    /// <summary>Register rows whose cmms_asset_id is NULL, empty or only whitespace: not part of TotalAssets, never requested.</summary>
    public long UnlinkedAssets { get; init; }

    /// <summary>Of <see cref="FailedAssets"/>, those deferred now (not_found, client_error), skipped by runs until due.</summary>
    public long DeferredAssets { get; init; }

    /// <summary>The least recent last success among synced assets.</summary>
    public DateTimeOffset? OldestSuccessAt { get; init; }

    /// <summary>How long ago synced assets last succeeded: the median.</summary>
    public TimeSpan? SyncAgeMedian { get; init; }

    /// <summary>How long ago synced assets last succeeded: the 95th percentile.</summary>
    public TimeSpan? SyncAge95 { get; init; }

    /// <summary>How long ago the stalest synced asset last succeeded (the 100th percentile).</summary>
    public TimeSpan? SyncAgeMax { get; init; }

    /// <summary>The synced assets' ages added up (with <see cref="SyncedAssets"/>, the mean; the metrics' summary needs it).</summary>
    public TimeSpan? SyncAgeSum { get; init; }

    /// <summary>
    /// Assets that should have fresh data and have not: last succeeded longer ago than <see cref="StaleAfter"/>, or never
    /// succeeded and failing for longer than that, or never attempted while AssetSync has run for longer than that.
    /// Deferred assets are never stale (they are <see cref="DeferredAssets"/>).
    /// </summary>
    public long StaleAssets { get; init; }

    /// <summary>The threshold behind <see cref="StaleAssets"/> (Get-CmmsSyncStatus -StaleAfter; default 7 days).</summary>
    public TimeSpan StaleAfter { get; init; }

    /// <summary>
    /// The expected number of verified assets whose copy in IC3 no longer matches Innomaint: the sum, over assets with a
    /// successful sync, of the probability that Innomaint changed them since, from each one's posterior under the register's
    /// change model (not its mean rate, which overstates the chance). Null
    /// before a batch run has fitted the register's change model (no observations yet).
    /// </summary>
    public double? EstimatedOutdatedAssets { get; init; }

    /// <summary>The 90 % interval around <see cref="EstimatedOutdatedAssets"/>: its lower end (null without a change model).</summary>
    public double? EstimatedOutdatedAssetsLow { get; init; }

    /// <summary>The 90 % interval around <see cref="EstimatedOutdatedAssets"/>: its upper end (null without a change model).</summary>
    public double? EstimatedOutdatedAssetsHigh { get; init; }

    /// <summary>
    /// <see cref="EstimatedOutdatedAssets"/> by the register's criticality (ic3_asset_master.criticality; null: none given), most
    /// synced assets first: how fresh the critical devices are. Empty without a change model.
    /// </summary>
    public IReadOnlyList<OutdatedEstimate> EstimatedOutdatedByCriticality { get; init; } = [];

    /// <summary>
    /// True when the latest batch run found Innomaint stamping last_modified on every read (each answer's last_modified its
    /// own Date): such a last_modified is not used to learn change rates.
    /// </summary>
    public bool LastModifiedStampedOnRead { get; init; }

    /// <summary>When the latest run finished.</summary>
    public DateTimeOffset? LastSyncAt { get; init; }

    /// <summary>When the latest run that ended complete finished: the one an alert on "no sync for N hours" wants.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>The latest runs, newest first.</summary>
    public required IReadOnlyList<SyncRunSummary> LastRuns { get; init; }
}
