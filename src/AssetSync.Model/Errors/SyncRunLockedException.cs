namespace AssetSync;

/// <summary>
/// Another run holds this database's run lock: at once (no -Wait), or still after -Wait's timeout,
/// in which case <see cref="Waited"/> says how long this one waited.
/// </summary>
public sealed class SyncRunLockedException(RunInProgress holder, TimeSpan? waited = null) : AssetSyncException(Describe(holder, waited))
{
    public SyncRunLockedException(long? runId, string? host, string? user, DateTimeOffset? startedAt)
        : this(new RunInProgress(runId, host, user, startedAt)) { }

    /// <summary>The run that holds the lock.</summary>
    public RunInProgress Holder { get; } = holder;

    public long? RunId => Holder.RunId;

    public string? Host => Holder.Host;

    public string? User => Holder.User;

    public DateTimeOffset? StartedAt => Holder.StartedAt;

    /// <summary>How long this run waited before giving up; null when it did not wait.</summary>
    public TimeSpan? Waited { get; } = waited;

    private static string Describe(RunInProgress holder, TimeSpan? waited) =>
        waited is { } w ? $"Waited {FormatWait(w)} for {holder} to finish; it is still running, so this run did not start."
        : holder.RunId is null ? "Another AssetSync run holds this database's run lock, so this run did not start."
        : $"Another AssetSync run is in progress ({holder}), so this run did not start.";

    internal static string FormatWait(TimeSpan w) => w.TotalSeconds < 120 ? $"{w.TotalSeconds:0} s" : $"{w.TotalMinutes:0.#} min";
}
