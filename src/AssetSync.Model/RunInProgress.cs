namespace AssetSync;

/// <summary>The run that holds a database's run lock, as far as its run row tells (any field may be unknown).</summary>
public sealed record RunInProgress(long? RunId, string? Host, string? User, DateTimeOffset? StartedAt)
{
    /// <summary>"run 12, started 2026-11-29 22:00:00Z by ops on srv1", or "another run" when no row says more.</summary>
    public override string ToString() =>
        RunId is null
            ? "another AssetSync run"
            : $"run {RunId}, started {StartedAt:u} by {TextSafety.Inert(User ?? "?", 64)} on {TextSafety.Inert(Host ?? "?", 64)}";
}
