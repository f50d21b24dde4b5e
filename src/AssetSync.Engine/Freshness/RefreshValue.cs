namespace AssetSync.Freshness;

/// <summary>
/// What refreshing an asset is worth, for Poisson changes at rate λ (per second) and an age a (seconds since it was last
/// verified). The formulas are plain functions of λa, so no tempo is assumed anywhere: the same code serves assets that
/// change hourly or yearly. It is averaged over each asset's posterior in <see cref="PosteriorTable"/>.
/// </summary>
internal static class RefreshValue
{
    /// <summary>
    /// The Lagrangian refresh index of Cho and Garcia-Molina's freshness optimum ("Effective page refresh policies for Web
    /// crawlers", TODS 2003): ψ(λ, a) = (1 − e^(−λa))/λ − a·e^(−λa), the time-averaged freshness a refresh now buys beyond
    /// waiting. Maximising the register's average freshness under a budget refreshes an asset when ψ reaches the budget's
    /// multiplier; so a run with a budget takes the largest ψ first. ψ rises with λ and then falls (it never exceeds 1/λ):
    /// an asset changing far faster than it can be refreshed gets fewer refreshes, not more.
    /// </summary>
    public static double Index(double rate, double ageSeconds)
    {
        if (rate <= 0 || ageSeconds <= 0)
        {
            return 0;
        }
        var x = rate * ageSeconds;
        if (x < 1e-6)
        {
            return ageSeconds * x / 2;
        }
        var e = Math.Exp(-Math.Min(x, 700));
        return ageSeconds * (((1 - e) / x) - e);
    }
}
