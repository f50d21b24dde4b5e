namespace AssetSync.Freshness;

/// <summary>
/// Assets with about the same (discounted) number of observed changes and about the same exposure (the observed time their changes are counted
/// over, in seconds): the register's observations grouped, so a prior is fitted from a few hundred rows, not every asset.
/// </summary>
internal readonly record struct ExposureGroup(double Changes, double ExposureSeconds, long Assets);
