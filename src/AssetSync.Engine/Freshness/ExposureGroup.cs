namespace AssetSync.Freshness;

/// <summary>
/// Assets with the same number of observed changes and about the same exposure (the observed time their changes are counted
/// over, in seconds): the register's observations grouped, so a prior is fitted from a few hundred rows, not every asset.
/// </summary>
internal readonly record struct ExposureGroup(int Changes, double ExposureSeconds, long Assets);
