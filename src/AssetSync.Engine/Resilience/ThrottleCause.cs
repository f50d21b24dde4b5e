namespace AssetSync.Resilience;

/// <summary>What a 429 was about (see <see cref="RateController.Answered"/>).</summary>
internal enum ThrottleCause
{
    /// <summary>Not a 429.</summary>
    None,

    /// <summary>The asset's own 429 (the contract's busy record): an attempt of that asset, retried after its Retry-After.</summary>
    Asset,

    /// <summary>The rate-limit headers said the window is spent: the quota's, whatever the asset.</summary>
    SpentWindow,

    /// <summary>429s of several distinct assets at once: the quota's, unless the same asset keeps meeting it improbably often.</summary>
    ManyAssets,
}
