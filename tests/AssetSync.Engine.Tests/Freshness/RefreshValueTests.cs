using AssetSync.Freshness;

namespace AssetSync.Tests.Freshness;

/// <summary>The refresh index: Cho and Garcia-Molina's ψ, and the same when runs come at a cadence.</summary>
public sealed class RefreshValueTests
{
    private const double Day = 86400;

    [Fact]
    public void At_a_cadence_far_shorter_than_the_age_the_index_is_psi()
    {
        foreach (var (rate, age) in new[] { (1 / Day, Day), (1 / (30 * Day), 5 * Day), (1 / (365 * Day), 12 * Day) })
        {
            Assert.Equal(1.0, RefreshValue.Index(rate, age, age / 10_000) / RefreshValue.Index(rate, age), 3);
        }
        Assert.Equal(RefreshValue.Index(1 / Day, 2 * Day), RefreshValue.Index(1 / Day, 2 * Day, 0));
    }

    [Fact]
    public void With_nightly_runs_a_daily_asset_is_worth_half_again_more_than_psi_and_a_yearly_one_about_psi_half_a_night_later()
    {
        // ψ(1/day, 1 day) = 1 − 2/e = 0.26; against waiting a whole night: 1·2·[(1 − e^−1) − (1 − e^−2)/2] = 0.40.
        Assert.Equal(0.264, RefreshValue.Index(1 / Day, Day) / Day, 3);
        Assert.Equal(0.400, RefreshValue.Index(1 / Day, Day, Day) / Day, 3);
        var yearly = RefreshValue.Index(1 / (365 * Day), 12 * Day, Day);
        Assert.InRange(yearly / RefreshValue.Index(1 / (365 * Day), 12.5 * Day), 0.99, 1.01);
    }

    [Fact]
    public void An_asset_changing_far_faster_than_the_runs_is_worth_no_more_than_its_time_between_changes()
    {
        var hourly = 1 / (Day / 24);
        Assert.Equal(1.0, RefreshValue.Index(hourly, Day, Day) * hourly, 3);
        Assert.Equal(1.0, RefreshValue.Index(hourly, 30 * Day, Day) * hourly, 3);
        Assert.Equal(0, RefreshValue.Index(0, Day, Day));
        Assert.Equal(0, RefreshValue.Index(1 / Day, 0, Day));
    }

    [Fact]
    public void Scaled_by_1000_in_time_the_index_is_the_same_in_scaled_units()
    {
        foreach (var (rate, age, cadence) in new[] { (1 / Day, Day, Day), (1 / (30 * Day), 7 * Day, Day), (1 / (365 * Day), 40 * Day, 7 * Day) })
        {
            Assert.Equal(1.0, RefreshValue.Index(rate / 1000, age * 1000, cadence * 1000) / 1000 / RefreshValue.Index(rate, age, cadence), 9);
        }
    }
}
