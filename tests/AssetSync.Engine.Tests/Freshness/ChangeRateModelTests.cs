using AssetSync.Freshness;
using AssetSync.Tests.Fixtures;

namespace AssetSync.Tests.Freshness;

/// <summary>The estimator: known rates recovered from synthetic observations, and no tempo anywhere.</summary>
public sealed class ChangeRateModelTests
{
    /// <summary>
    /// A register whose assets change as Poisson processes at known rates, visited at irregular intervals; each visit
    /// observes what AssetSync observes (the first: the age of the last change; then unchanged over the interval, or
    /// changed with the last change's time). Times in arbitrary units: the model must not care which.
    /// </summary>
    private static (List<ExposureGroup> Groups, List<(double Rate, int K, double T)> Assets) Observe(int seed, double unit)
    {
        var random = new Random(seed);
        double Exp(double rate) => -Math.Log(1 - random.NextDouble()) / rate;
        var assets = new List<(double, int, double)>();
        for (var i = 0; i < 3000; i++)
        {
            // 2% change about every unit, 18% every 20 units, 80% every 400 units.
            var draw = random.NextDouble();
            var rate =
                (
                    draw < 0.02 ? 1.0
                    : draw < 0.20 ? 1 / 20.0
                    : 1 / 400.0
                ) / unit;
            var last = -Exp(rate); // the last change before the first visit (time 0)
            var next = Exp(rate);
            var k = 1;
            var t = -last; // first visit: the age of the last change
            var visited = 0.0;
            for (var visit = 1; visit <= 12; visit++)
            {
                var now = visited + ((5 + (10 * random.NextDouble())) * unit); // every 5 to 15 units
                var changed = false;
                while (next <= now)
                {
                    last = next;
                    next += Exp(rate);
                    changed = true;
                }
                t += changed ? now - last : now - visited;
                k += changed ? 1 : 0;
                visited = now;
            }
            assets.Add((rate, k, t));
        }
        var groups = assets
            .GroupBy(a => (a.Item2, Math.Round(Math.Log(a.Item3) * 8)))
            .Select(g => new ExposureGroup(g.Key.Item1, g.Average(a => a.Item3), g.Count()))
            .ToList();
        return (groups, assets);
    }

    [Fact]
    public void Recovers_known_rates_from_synthetic_observations_within_a_quarter_per_class()
    {
        var (groups, assets) = Observe(seed: 7, unit: 1);
        var model = ChangeRateModel.Fit(groups)!;

        // Each class's mean estimate within 25% of its true rate: the bound this test states (the prior pools the register,
        // so a class with few observations per asset is still recovered on average).
        foreach (var rate in assets.Select(a => a.Rate).Distinct())
        {
            var estimates = assets.Where(a => a.Rate == rate).Select(a => model.PosteriorRate(a.K, a.T)).ToList();
            Assert.InRange(estimates.Average() / rate, 0.75, 1.25);
        }
        // The assets that change fastest are ranked above the slowest far more often than not.
        var fast = assets.Where(a => a.Rate == 1.0).Select(a => model.PosteriorRate(a.K, a.T)).Min();
        var slowMedian = assets.Where(a => a.Rate == 1 / 400.0).Select(a => model.PosteriorRate(a.K, a.T)).Order().ElementAt(1000);
        Assert.True(fast > slowMedian * 10, $"slowest fast asset {fast}, median slow asset {slowMedian}");
        Assert.Equal(3000, model.ObservedAssets);
    }

    [Fact]
    public void The_same_observations_scaled_by_1000_in_time_give_rates_scaled_by_1_in_1000()
    {
        var (groups, assets) = Observe(seed: 11, unit: 1);
        var slow = groups.Select(g => g with { ExposureSeconds = g.ExposureSeconds * 1000 }).ToList();
        var model = ChangeRateModel.Fit(groups)!;
        var scaled = ChangeRateModel.Fit(slow)!;

        foreach (var (_, k, t) in assets.Take(200))
        {
            var rate = model.PosteriorRate(k, t);
            Assert.Equal(1.0, scaled.PosteriorRate(k, t * 1000) * 1000 / rate, 9);
            Assert.Equal(1.0, scaled.TableRate(k, t * 1000) * 1000 / model.TableRate(k, t), 9);
        }
        Assert.Equal(1.0, scaled.PriorMean * 1000 / model.PriorMean, 9);
        // And the refresh index is a function of λa only, scaled by the time unit.
        Assert.Equal(1.0, RefreshValue.Index(0.01 / 1000, 50 * 1000) / 1000 / RefreshValue.Index(0.01, 50), 9);
    }

    [Fact]
    public void The_lookup_table_stays_close_to_the_posterior_it_samples()
    {
        var (groups, assets) = Observe(seed: 3, unit: 86400);
        var model = ChangeRateModel.Fit(groups)!;
        foreach (var (_, k, t) in assets.Take(500))
        {
            Assert.InRange(model.TableRate(k, t) / model.PosteriorRate(k, t), 0.8, 1.25);
        }
        Assert.Equal((ChangeRateModel.TableChanges + 1) * ChangeRateModel.TableBuckets, model.RateTable().Length);
        // Past the table the data decide alone: k/T.
        Assert.Equal(40 / 1000.0, model.TableRate(40, 1000), 12);
    }

    [Fact]
    public void Nothing_observed_is_a_cold_start_and_an_unobserved_asset_gets_the_prior_mean()
    {
        Assert.Null(ChangeRateModel.Fit([]));
        Assert.Null(ChangeRateModel.Fit([new ExposureGroup(0, 0, 10)]));
        var model = ChangeRateModel.Fit([new ExposureGroup(1, 100, 5), new ExposureGroup(0, 1000, 5)])!;
        Assert.Equal(model.PriorMean, model.PosteriorRate(0, 0));
        Assert.Equal(1.0, model.Weights.Sum(), 9);
    }

    [Fact]
    public void The_refresh_index_rises_then_falls_with_the_rate_and_never_exceeds_one_over_it()
    {
        const double age = 10;
        var rates = new[] { 0.001, 0.01, 0.1, 0.3, 1, 10, 100 };
        var values = rates.Select(r => RefreshValue.Index(r, age)).ToArray();
        var peak = Array.IndexOf(values, values.Max());
        Assert.InRange(peak, 1, rates.Length - 2); // an interior maximum: Cho's "rise, then fall"
        for (var i = 0; i < rates.Length; i++)
        {
            Assert.True(values[i] <= 1 / rates[i], $"ψ({rates[i]}) = {values[i]}");
            Assert.True(values[i] >= 0);
        }
        Assert.True(values[^1] < values[peak] / 5); // far too fast to keep fresh: refreshed less
        Assert.Equal(0.001 * age * age / 2, RefreshValue.Index(0.001, age), 3); // slow: about λa²/2
        Assert.Equal(0, RefreshValue.Index(1, 0));
    }
}
