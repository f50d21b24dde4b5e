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

    /// <summary>
    /// The same index when runs come every <paramref name="cadenceSeconds"/> (Δ), so an asset not refreshed now waits a whole
    /// Δ, not an instant: the time-averaged freshness F(a) = (1 − e^(−λa))/(λa) of refreshing every a, against every a + Δ,
    /// per refresh saved: ψ_Δ(λ, a) = a(a + Δ)·[F(a) − F(a + Δ)]/Δ. As Δ → 0 it is ψ; for a slow asset it is about ψ half a
    /// run later; for an asset that changes about once a run it is half again more than ψ (0.40 against 0.26 a day, daily
    /// changes and nightly runs), which ψ's instant undervalued: the continuous optimum visits such an asset at 1.3 days,
    /// which nightly runs cannot, and the learned order sent the benchmark's daily assets every other night. Its limit is
    /// still 1/λ: an asset changing far faster than the runs still gets no more of them. Δ ≤ 0: <see cref="Index(double, double)"/>.
    /// </summary>
    public static double Index(double rate, double ageSeconds, double cadenceSeconds)
    {
        if (cadenceSeconds <= 0)
        {
            return Index(rate, ageSeconds);
        }
        if (rate <= 0 || ageSeconds <= 0)
        {
            return 0;
        }
        var later = ageSeconds + cadenceSeconds;
        return ageSeconds * later * (Freshness(rate * ageSeconds) - Freshness(rate * later)) / cadenceSeconds;
    }

    /// <summary>(1 − e^(−x))/x, the share of a period of λ-length x an asset refreshed at its start stays fresh; its series near 0.</summary>
    private static double Freshness(double x) => x < 1e-4 ? 1 - (x / 2) + (x * x / 6) : -double.ExpM1(-Math.Min(x, 700)) / x;
}
