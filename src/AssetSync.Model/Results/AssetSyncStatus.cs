namespace AssetSync;

/// <summary>How one asset ended in a run.</summary>
public enum AssetSyncStatus
{
    /// <summary>Fetched and written: the master row, its PM schedules and a 'success' log row.</summary>
    Succeeded,
    /// <summary>Not written; an 'error' log row says why.</summary>
    Failed,
}
