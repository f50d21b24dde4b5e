namespace AssetSync;

/// <summary>The order a batch run takes its assets in (Invoke-CmmsSync -Order).</summary>
public enum SyncOrder
{
    /// <summary>
    /// The default. Spend the budget where it buys the most freshness: each asset's refresh is valued by the Lagrangian
    /// index of Cho and Garcia-Molina's freshness optimum, from the change rate AssetSync estimated for it. Never-synced
    /// assets still come first, then assets not verified for longer than -MaxSyncAge; a share of each run stays
    /// stalest-first (audits). With no observations yet it orders exactly as <see cref="Stalest"/>.
    /// </summary>
    ChangeRate,

    /// <summary>A round robin: never-synced assets first, then the oldest last success.</summary>
    Stalest,
}
