using AssetSync.Reporting;

namespace AssetSync.Tests.Reporting;

/// <summary>The choice of event ID, level and message: the same code path on every platform, up to the sink.</summary>
public class SyncRunEventsTests
{
    private sealed class ListSink : ISyncRunEventSink
    {
        public List<SyncRunEvent> Written { get; } = [];

        public string Name => "test";

        public void Write(SyncRunEvent e) => Written.Add(e);
    }

    private static SyncRunSummary Run(string status = "complete", int failed = 0, string? error = null) =>
        new()
        {
            RunId = 42,
            Mode = "batch",
            Status = RunStatusNames.FromName(status),
            Succeeded = 95,
            Unchanged = 60,
            Failed = failed,
            Requests = 120,
            Throttled = 2,
            Duration = TimeSpan.FromSeconds(75),
            FinishedAt = DateTimeOffset.UtcNow,
            Error = error,
        };

    private static SyncStatus Register(long failed = 0, long deferred = 0, long stale = 0) =>
        new()
        {
            TotalAssets = 100,
            SyncedAssets = 100 - failed,
            FailedAssets = failed,
            NeverSynced = 0,
            DeferredAssets = deferred,
            StaleAssets = stale,
            StaleAfter = TimeSpan.FromDays(7),
            LastRuns = [],
        };

    [Fact]
    public void A_complete_run_with_nothing_failing_is_1000_information()
    {
        var e = Assert.Single(SyncRunEvents.Plan(Run(), null, Register(), 5, false));
        Assert.Equal((1000, SyncRunEventLevel.Information), (e.EventId, e.Level));
        Assert.StartsWith("AssetSync run 42 complete: 95 succeeded (60 unchanged), 0 failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_within_the_threshold_are_1001_information_above_it_or_with_fail_on_any_a_warning_and_deferred_ones_do_not_count()
    {
        var within = Assert.Single(SyncRunEvents.Plan(Run(failed: 5), null, Register(failed: 9, deferred: 4), 5, false));
        Assert.Equal((1001, SyncRunEventLevel.Information), (within.EventId, within.Level));
        Assert.Contains(
            "5 asset(s) failing, deferred ones not counted: 5 % of the register, within the threshold of 5 %",
            within.Message,
            StringComparison.Ordinal
        );

        var above = Assert.Single(SyncRunEvents.Plan(Run(failed: 6), null, Register(failed: 6), 5, false));
        Assert.Equal((1001, SyncRunEventLevel.Warning), (above.EventId, above.Level));
        Assert.Contains("above the threshold of 5 %", above.Message, StringComparison.Ordinal);

        Assert.Equal(SyncRunEventLevel.Warning, Assert.Single(SyncRunEvents.Plan(Run(failed: 1), null, Register(failed: 1), 5, true)).Level);
        // Only deferred ones failing: nothing counts, so 1000.
        Assert.Equal(1000, Assert.Single(SyncRunEvents.Plan(Run(failed: 3), null, Register(failed: 3, deferred: 3), 5, false)).EventId);
    }

    [Fact]
    public void A_failed_or_cancelled_run_is_1002_error_with_why_and_a_run_that_never_started_too()
    {
        var failed = Assert.Single(SyncRunEvents.Plan(Run("failed", error: "Innomaint refused the API token (401)."), null, null, 5, false));
        Assert.Equal((1002, SyncRunEventLevel.Error), (failed.EventId, failed.Level));
        Assert.Contains("ended failed: Innomaint refused the API token (401).", failed.Message, StringComparison.Ordinal);
        Assert.Equal(1002, Assert.Single(SyncRunEvents.Plan(Run("cancelled"), null, null, 5, false)).EventId);
        var never = Assert.Single(SyncRunEvents.Plan(null, "The IC3 database could not be reached.", null, 5, false));
        Assert.Equal("AssetSync run failed: The IC3 database could not be reached.", never.Message);
    }

    [Fact]
    public void A_skipped_run_is_1003_information_and_a_stale_register_adds_1004()
    {
        var skipped = new SyncRunSummary
        {
            RunId = 0,
            Status = RunStatus.Skipped,
            Error = "Another AssetSync run is in progress (run 7).",
        };
        var e = Assert.Single(SyncRunEvents.Plan(skipped, null, Register(stale: 10), 5, false));
        Assert.Equal((1003, SyncRunEventLevel.Information), (e.EventId, e.Level));

        var events = SyncRunEvents.Plan(Run(), null, Register(stale: 12), 5, false);
        Assert.Equal([1000, 1004], events.Select(x => x.EventId));
        Assert.Equal(SyncRunEventLevel.Warning, events[1].Level);
        Assert.Contains("12 of 100 asset(s) should have fresh data and have had none for 7 days", events[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_from_the_api_in_a_message_is_inert_and_every_event_reaches_the_sink()
    {
        var hostile = Run("failed", error: "Innomaint answered 500 \u001b]0;pwned\u0007\u001b[2J");
        var sink = new ListSink();
        Assert.Equal("test", SyncRunEvents.Write(SyncRunEvents.Plan(hostile, null, Register(stale: 1), 5, false), sink));
        Assert.Equal([1002, 1004], sink.Written.Select(x => x.EventId));
        Assert.DoesNotContain('\u001b', sink.Written[0].Message);
        Assert.Contains("\\x1b", sink.Written[0].Message, StringComparison.Ordinal);
        Assert.Null(SyncRunEvents.Write(sink.Written, null));
    }
}
