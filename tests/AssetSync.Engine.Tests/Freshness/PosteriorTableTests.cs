using AssetSync.Freshness;

namespace AssetSync.Tests.Freshness;

/// <summary>
/// The posterior tables: the gauge and the index average over the whole posterior, not its mean; the lookup interpolates
/// what it samples; and nothing in them has a tempo.
/// </summary>
public sealed class PosteriorTableTests
{
    private const double Day = 86400;

    /// <summary>The benchmark's register as a prior: 1 % daily, 9 % monthly, 90 % yearly.</summary>
    private static ChangeRateModel Register(double unit = Day) =>
        new([1 / (365 * unit), 1 / (30 * unit), 1 / unit], [0.90, 0.09, 0.01], unit / 10, 3650 * unit, 3000);

    [Fact]
    public void The_chance_of_a_change_is_the_posteriors_not_the_mean_rates()
    {
        var model = Register();
        var unchanged = model.UnchangedTable.Lookup(0, 0, 30 * Day);
        // Under the mixture: 0.01·(1 − e^−30) + 0.09·(1 − e^−1) + 0.90·(1 − e^−30/365) = 0.138.
        var expected = (0.01 * (1 - Math.Exp(-30))) + (0.09 * (1 - Math.Exp(-1))) + (0.90 * (1 - Math.Exp(-30.0 / 365)));
        Assert.Equal(expected, 1 - unchanged, 2);
        // The mean rate would say 0.37: the gauge of issue 35, biased high.
        Assert.Equal(0.37, 1 - Math.Exp(-model.PriorMean * 30 * Day), 2);
    }

    [Fact]
    public void The_index_of_a_split_posterior_is_the_mean_of_the_index_not_the_index_of_the_mean()
    {
        var model = new ChangeRateModel([1 / (365 * Day), 1 / Day], [0.5, 0.5], Day, 3650 * Day, 100);
        var index = model.IndexTable.Lookup(0, 0, 7 * Day) / Day;
        Assert.Equal(0.53, index, 2); // E[ψ]
        Assert.Equal(1.73, RefreshValue.Index(model.PriorMean, 7 * Day) / Day, 2); // ψ(E[λ]), the misranking one
    }

    [Fact]
    public void The_lookup_is_the_posterior_expectation_at_its_sample_points_and_close_between_them()
    {
        var model = Register();
        var table = model.IndexTable;
        var posterior = new double[model.Rates.Length];
        foreach (var (k, t) in new[] { (0.0, 20 * Day), (1.0, 200 * Day), (2.5, 35 * Day), (8.0, 9 * Day) })
        {
            // T on its bucket's sample point, so only the age is interpolated.
            var bucket = Math.Round((Math.Log(t) - table.ExposureLogMin) / table.ExposureLogStep);
            var sampledT = Math.Exp(table.ExposureLogMin + (bucket * table.ExposureLogStep));
            model.Posterior(k, sampledT, posterior);
            foreach (var age in new[] { 0.3 * Day, 3 * Day, 40 * Day, 400 * Day })
            {
                var exact = posterior.Select((p, j) => p * RefreshValue.Index(model.Rates[j], age)).Sum();
                Assert.InRange(table.Lookup(k, sampledT, age) / exact, 0.85, 1.15);
            }
        }
    }

    [Fact]
    public void A_recent_history_shorter_than_every_whole_one_is_looked_up_at_its_own_exposure()
    {
        // Fitted when the shortest whole history was 20 days; the order then looks up a busy asset's forgetting pair (8 changes
        // in 6 days) and one just restarted by a change point (1 change, 5 hours ago).
        var model = new ChangeRateModel([1 / (365 * Day), 1 / (30 * Day), 1 / Day], [0.90, 0.09, 0.01], 20 * Day, 3650 * Day, 3000);
        var posterior = new double[model.Rates.Length];
        foreach (var (k, t) in new[] { (8.0, 6 * Day), (1.0, 5 * Day / 24) })
        {
            model.Posterior(k, t, posterior);
            var exact = posterior.Select((p, j) => p * RefreshValue.Index(model.Rates[j], Day)).Sum();
            Assert.InRange(model.IndexTable.Lookup(k, t, Day) / exact, 0.85, 1.15);
        }
    }

    [Fact]
    public void Scaled_by_1000_in_time_the_tables_are_the_same_in_scaled_units()
    {
        var model = Register();
        var slow = Register(Day * 1000);
        foreach (var (k, t, age) in new[] { (0.0, 0.0, 30 * Day), (1.0, 100 * Day, 3 * Day), (4.5, 12 * Day, 1 * Day) })
        {
            Assert.Equal(model.UnchangedTable.Lookup(k, t, age), slow.UnchangedTable.Lookup(k, t * 1000, age * 1000), 9);
            Assert.Equal(1.0, slow.IndexTable.Lookup(k, t * 1000, age * 1000) / 1000 / model.IndexTable.Lookup(k, t, age), 9);
        }
    }

    [Fact]
    public void Many_changes_keep_their_rate_and_no_exposure_is_the_prior()
    {
        var model = Register();
        // 40 changes over 40 days reads as 16 over 16: the same rate, a posterior already narrow.
        Assert.Equal(model.UnchangedTable.Lookup(16, 16 * Day, 2 * Day), model.UnchangedTable.Lookup(40, 40 * Day, 2 * Day), 9);
        Assert.InRange(1 - model.UnchangedTable.Lookup(40, 40 * Day, 2 * Day), 0.8, 0.9); // about 1 − e^−2
        Assert.Equal(model.UnchangedTable.Lookup(0, 0, 5 * Day), model.UnchangedTable.Lookup(3, 0, 5 * Day));
    }
}
