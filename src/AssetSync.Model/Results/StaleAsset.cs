namespace AssetSync;

/// <summary>An asset among the stalest: when it last synced, and what the register calls it.</summary>
public sealed class StaleAsset
{
    public required string SerialNumber { get; init; }

    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>success or error: the current state (a stale asset may be failing now).</summary>
    public string? Status { get; init; }

    public string? AssetCode { get; init; }

    public string? AssetName { get; init; }

    public string? Department { get; init; }
}
