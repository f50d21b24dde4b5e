using AssetSync.Run;

namespace AssetSync.Tests.Run;

/// <summary>A run's counts and budget on their own.</summary>
public sealed class RunCountersTests
{
    private static AssetSyncResult Result(AssetSyncStatus outcome) =>
        new()
        {
            SerialNumber = "S",
            Outcome = outcome,
            Attempts = 1,
            RunId = 1,
            Elapsed = TimeSpan.Zero,
        };

    [Fact]
    public void Unchanged_are_successes_and_not_reached_is_what_was_selected_and_never_decided()
    {
        var counts = new RunCounters();
        counts.Count(Result(AssetSyncStatus.Succeeded));
        counts.Count(Result(AssetSyncStatus.Unchanged));
        counts.Count(Result(AssetSyncStatus.Failed));
        counts.Skip();

        Assert.Equal((2, 1, 1, 1), (counts.Succeeded, counts.Unchanged, counts.Failed, counts.Skipped));
        Assert.Equal(7, counts.NotReached(10));
        Assert.Equal(0, counts.NotReached(2));
    }

    [Fact]
    public void A_budget_has_a_deadline_from_its_start_and_stays_spent()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var budget = new RunBudget(time, TimeSpan.FromSeconds(30));
        budget.Start(1000);
        Assert.Equal(1000 + (30 * time.TimestampFrequency), budget.Deadline);
        Assert.False(budget.Spent);
        budget.MarkSpent();
        Assert.True(budget.Spent);
        Assert.Null(new RunBudget(time, null).Deadline);
    }
}
