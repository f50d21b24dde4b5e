using AssetSync.Domain;
using AssetSync.Innomaint;
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

    private static readonly DateTimeOffset Served = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    /// <summary>An answer whose last_modified is <paramref name="secondsBeforeDate"/> before its own Date.</summary>
    private static FetchOutcome Dated(double secondsBeforeDate) =>
        FetchOutcome.Success(
            new AssetDetail { SerialNumber = "S", RawPayload = "{}" },
            200,
            default,
            ChangeTime.Read(Served.AddSeconds(-secondsBeforeDate), Served, Served)
        );

    [Fact]
    public void A_last_modified_at_its_own_Date_is_believed_once_the_run_shows_a_server_that_does_not_stamp()
    {
        var counts = new RunCounters();
        // Too few answers to tell a stamp from a change just before the read: set aside.
        Assert.True(counts.Answered(Dated(1)));
        for (var i = 0; i < 20; i++)
        {
            Assert.False(counts.Answered(Dated(86_400 * (i + 1))));
        }
        // One in twenty-two at its Date: a server that does not stamp, so it is a change made seconds before the read.
        Assert.False(counts.Answered(Dated(1)));
        Assert.False(counts.StampsOnRead);
    }

    [Fact]
    public void A_server_that_stamps_every_read_has_none_of_its_last_modified_believed()
    {
        var counts = new RunCounters();
        for (var i = 0; i < 30; i++)
        {
            Assert.True(counts.Answered(Dated(0.5)));
        }
        Assert.True(counts.StampsOnRead);
        // Once found stamping, even a last_modified days old is not believed.
        Assert.True(counts.Answered(Dated(86_400 * 3)));
    }

    [Fact]
    public void Where_more_than_one_in_ten_are_at_their_Date_each_such_one_is_set_aside_and_the_rest_believed()
    {
        var counts = new RunCounters();
        for (var i = 0; i < 40; i++)
        {
            // Three answers in ten at their Date: neither a stamping server nor rare changes just before a read.
            var nearDate = i % 10 < 3;
            Assert.Equal(nearDate, counts.Answered(Dated(nearDate ? 1 : 86_400)));
        }
        Assert.False(counts.StampsOnRead);
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
