namespace AssetSync;

/// <summary>What Remove-CmmsSyncLog did: the cut-off and the ic3_sync_log rows it deleted.</summary>
public sealed class SyncLogRemoval
{
    /// <summary>Rows synced before this were removed (each asset's deciding row excepted).</summary>
    public required DateTimeOffset OlderThan { get; init; }

    public required long Removed { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>host:port/database.</summary>
    public string? Database { get; init; }

    public override string ToString() => $"{Removed:N0} ic3_sync_log row(s) older than {OlderThan:u} removed from {Database}";
}
