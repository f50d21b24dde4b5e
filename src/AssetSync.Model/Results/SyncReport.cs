namespace AssetSync;

/// <summary>What Export-CmmsSyncReport shows: the state, the latest runs, and the failures worth a look.</summary>
public sealed class SyncReport
{
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>host:port/database the report describes.</summary>
    public required string Database { get; init; }

    public required SyncStatus Status { get; init; }

    /// <summary>Current failures per error kind, largest first.</summary>
    public required IReadOnlyList<KeyValuePair<string, long>> FailuresByKind { get; init; }

    /// <summary>The assets failing for longest, oldest first.</summary>
    public required IReadOnlyList<SyncFailure> OldestFailing { get; init; }

    /// <summary>Assets never synced, in sync order (at most the report's limit; Status.NeverSynced has the count).</summary>
    public required IReadOnlyList<string> NeverSynced { get; init; }

    /// <summary>How long ago the register's assets last synced, in buckets from "under 1 day" to "never".</summary>
    public IReadOnlyList<KeyValuePair<string, long>> SyncAgeHistogram { get; init; } = [];

    /// <summary>
    /// The verified assets by estimated change rate, as a mean time between changes, from "more than hourly" to "not observed
    /// yet" (empty before a batch run has fitted the change model).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> ChangeRateHistogram { get; init; } = [];

    /// <summary>The synced assets whose last success is oldest, oldest first (at most the report's limit).</summary>
    public IReadOnlyList<StaleAsset> Stalest { get; init; } = [];
}
