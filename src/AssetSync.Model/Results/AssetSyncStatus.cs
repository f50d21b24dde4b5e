namespace AssetSync;

/// <summary>How one asset ended in a run.</summary>
public enum AssetSyncStatus
{
    /// <summary>Fetched and written: the master row, its PM schedules and a 'success' log row.</summary>
    Succeeded,

    /// <summary>Not written; an 'error' log row says why.</summary>
    Failed,

    /// <summary>Innomaint's data had not changed (a 304, or the same body): nothing was rewritten, and a 'success' log row marked unchanged was
    /// written. A kind of success.</summary>
    Unchanged,
}
