namespace AssetSync;

/// <summary>Another run holds this database's run lock.</summary>
public sealed class SyncRunLockedException(long? runId, string? host, string? user, DateTimeOffset? startedAt) : AssetSyncException(
    runId is null
        ? "Another AssetSync run holds this database's run lock. Wait for it to finish, or use -Wait."
        : $"Another AssetSync run is in progress: run {runId}, started {startedAt:u} by {user ?? "?"} on {host ?? "?"}. Wait for it to finish, or use -Wait.")
{
    public long? RunId { get; } = runId;

    public string? Host { get; } = host;

    public string? User { get; } = user;

    public DateTimeOffset? StartedAt { get; } = startedAt;
}
