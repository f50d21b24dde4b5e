namespace AssetSync;

/// <summary>
/// How many verified assets of a group (the register, or one criticality) are estimated out of date in IC3: the expected
/// count, and a 90 % interval. Each asset's chance of a change since its last sync comes from its whole posterior
/// (M(k, T + a) / M(k, T) under the register's mixture prior), and the count of independent chances is a Poisson-binomial
/// whose 90 % interval is read from its normal approximation, clipped to the group.
/// </summary>
public sealed record OutdatedEstimate
{
    /// <summary>The z of a two-sided 90 % interval.</summary>
    private const double Z90 = 1.6448536269514722;

    /// <summary>The criticality (ic3_asset_master.criticality) the figures are for; null for the whole register or assets without one.</summary>
    public string? Criticality { get; init; }

    /// <summary>Verified assets (a successful sync) in the group.</summary>
    public long SyncedAssets { get; init; }

    /// <summary>The expected number out of date.</summary>
    public double Expected { get; init; }

    /// <summary>The 90 % interval's lower end.</summary>
    public double Low { get; init; }

    /// <summary>The 90 % interval's upper end.</summary>
    public double High { get; init; }

    /// <summary>From the sum of the chances and the sum of their variances p(1 − p).</summary>
    public static OutdatedEstimate From(string? criticality, long synced, double expected, double variance)
    {
        var half = Z90 * Math.Sqrt(Math.Max(variance, 0));
        return new OutdatedEstimate
        {
            Criticality = criticality,
            SyncedAssets = synced,
            Expected = expected,
            Low = Math.Max(0, expected - half),
            High = Math.Min(synced, expected + half),
        };
    }

    public override string ToString() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{Criticality ?? "all"}: {Expected:0.#} of {SyncedAssets} (90 % {Low:0.#}–{High:0.#})"
        );
}
