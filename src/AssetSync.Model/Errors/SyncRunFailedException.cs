namespace AssetSync;

/// <summary>A run stopped as failed. <see cref="Summary"/> holds what was decided before it stopped.</summary>
public abstract class SyncRunFailedException : AssetSyncException
{
    protected SyncRunFailedException(string message, Exception? inner = null)
        : base(message, inner) { }

    /// <summary>The run as recorded, with status <c>failed</c>; null when the failure came before the run row was written.</summary>
    public SyncRunSummary? Summary { get; internal set; }
}
