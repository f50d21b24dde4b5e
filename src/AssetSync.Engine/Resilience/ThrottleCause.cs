namespace AssetSync.Resilience;

/// <summary>What a 429 was about (see <see cref="RateController.Answered"/>).</summary>
internal enum ThrottleCause
{
    /// <summary>Not a 429.</summary>
    None,

    /// <summary>
    /// A 429 the rate does not take for the quota's (fewer than three assets met one at once): the rate stays. Whether it is
    /// the asset's own (the contract's busy record, an attempt) is told by what follows (see ResilientFetcher).
    /// </summary>
    Asset,

    /// <summary>The rate-limit headers said the window is spent: the quota's, whatever the asset.</summary>
    SpentWindow,

    /// <summary>429s of several distinct assets at once: the quota's, and the rate is cut.</summary>
    ManyAssets,
}
