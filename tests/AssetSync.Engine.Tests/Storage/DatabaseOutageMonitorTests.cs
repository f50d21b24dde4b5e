using AssetSync.Storage;
using AssetSync.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Storage;

public sealed class DatabaseOutageMonitorTests
{
    [Fact]
    public void Retries_of_one_outage_make_one_warning_with_their_count_and_length_when_it_ends()
    {
        var time = new FakeTimeProvider();
        var seen = new RecordingObserver();
        var monitor = new DatabaseOutageMonitor("db:5432/ic3", time, seen);

        monitor.Answered();
        monitor.Retrying("57P01: terminating connection", 1, 5, TimeSpan.FromSeconds(0.5));
        time.Advance(TimeSpan.FromSeconds(2));
        monitor.Retrying("connection refused", 2, 5, TimeSpan.FromSeconds(1));
        monitor.Retrying("connection refused", 1, 5, TimeSpan.FromSeconds(0.5));
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(seen.Warnings);
        monitor.Answered();
        monitor.Answered();
        // Not yet: the database must answer for a while first.
        Assert.Empty(seen.Warnings);
        time.Advance(DatabaseOutageMonitor.Settle);
        monitor.Answered();

        var warning = Assert.Single(seen.Warnings);
        Assert.Equal(
            "The IC3 database at db:5432/ic3 did not answer for 3.5 s (57P01: terminating connection); 3 retries later it answered again, and the "
                + "run carried on.",
            warning
        );
        Assert.Equal(3, seen.VerboseLines.Count);
        Assert.Equal("Database error (connection refused); retry 2 of 5 in 1 s.", seen.VerboseLines[1]);
    }

    [Fact]
    public void A_second_outage_gets_a_warning_of_its_own()
    {
        var time = new FakeTimeProvider();
        var seen = new RecordingObserver();
        var monitor = new DatabaseOutageMonitor("db", time, seen);

        monitor.Retrying("a", 1, 3, TimeSpan.Zero);
        monitor.Answered();
        time.Advance(DatabaseOutageMonitor.Settle);
        monitor.Answered();
        monitor.Retrying("b", 1, 3, TimeSpan.Zero);
        time.Advance(TimeSpan.FromSeconds(1));
        monitor.Answered();
        monitor.Flush();

        Assert.Equal(2, seen.Warnings.Count);
        Assert.Contains("(b); 1 retry later", seen.Warnings[1]);
    }

    [Fact]
    public void A_failure_soon_after_the_database_answered_again_belongs_to_the_same_outage()
    {
        // After a restart, connections the pool opened before it fail one by one as they are next used.
        var time = new FakeTimeProvider();
        var seen = new RecordingObserver();
        var monitor = new DatabaseOutageMonitor("db", time, seen);

        monitor.Retrying("57P01", 1, 5, TimeSpan.Zero);
        time.Advance(TimeSpan.FromSeconds(3));
        monitor.Answered();
        time.Advance(TimeSpan.FromSeconds(0.5));
        monitor.Retrying("08006: broken pooled connection", 1, 5, TimeSpan.Zero);
        monitor.Answered();
        time.Advance(DatabaseOutageMonitor.Settle);
        monitor.Answered();

        var warning = Assert.Single(seen.Warnings);
        Assert.Contains("did not answer for 3.5 s (57P01); 2 retries later", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void An_outage_that_outlasts_the_retries_ends_without_a_warning_the_error_says_it()
    {
        var seen = new RecordingObserver();
        var monitor = new DatabaseOutageMonitor("db", new FakeTimeProvider(), seen);

        monitor.Retrying("a", 1, 1, TimeSpan.Zero);
        Assert.Equal(1, monitor.GaveUp());
        monitor.Answered();

        Assert.Empty(seen.Warnings);
    }
}
