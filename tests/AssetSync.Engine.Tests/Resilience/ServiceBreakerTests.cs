using AssetSync.Innomaint;
using AssetSync.Resilience;

namespace AssetSync.Tests.Resilience;

/// <summary>The breaker trips on the service, not on assets: known failures, held streaks, the service check.</summary>
public class ServiceBreakerTests
{
    private static ServiceBreaker<string>.Verdict Offer(
        ServiceBreaker<string> b,
        string serial,
        SyncErrorKind? kind,
        bool known,
        out IReadOnlyList<string> release
    ) => b.Offer(serial, kind, known, out release);

    [Fact]
    public void Assets_known_to_fail_never_count_however_many_lead_the_run()
    {
        var breaker = new ServiceBreaker<string>(10);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(ServiceBreaker<string>.Verdict.Write, Offer(breaker, $"F{i}", SyncErrorKind.Transient, known: true, out _));
        }
        Assert.Equal(0, breaker.Streak);
    }

    [Fact]
    public void A_streak_is_held_and_written_when_any_asset_is_answered_as_it_should_be()
    {
        var breaker = new ServiceBreaker<string>(10);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ServiceBreaker<string>.Verdict.Held, Offer(breaker, $"A{i}", SyncErrorKind.Timeout, known: false, out _));
        }
        // A 404 is an answer too: the service is up, so the five were the assets' own failures.
        Assert.Equal(ServiceBreaker<string>.Verdict.Write, Offer(breaker, "B", SyncErrorKind.NotFound, known: false, out var release));
        Assert.Equal(["A0", "A1", "A2", "A3", "A4"], release);
        Assert.Equal(0, breaker.Streak);
        Assert.Empty(breaker.End());
    }

    [Fact]
    public void At_the_threshold_the_service_is_checked_if_it_answers_the_streak_is_written_if_not_it_is_dropped()
    {
        var breaker = new ServiceBreaker<string>(3);
        Offer(breaker, "A", SyncErrorKind.Network, false, out _);
        Offer(breaker, "B", SyncErrorKind.Transient, false, out _);
        Assert.Equal(ServiceBreaker<string>.Verdict.CheckService, Offer(breaker, "C", SyncErrorKind.Timeout, false, out _));
        // While the check runs, more come: held with the rest.
        Assert.Equal(ServiceBreaker<string>.Verdict.Held, Offer(breaker, "D", SyncErrorKind.Timeout, false, out _));
        Assert.Equal(["A", "B", "C", "D"], breaker.ServiceAnswered());
        Assert.Equal(0, breaker.Streak);

        Offer(breaker, "E", SyncErrorKind.Timeout, false, out _);
        Offer(breaker, "F", SyncErrorKind.Timeout, false, out _);
        Offer(breaker, "G", SyncErrorKind.Timeout, false, out _);
        Assert.Equal(3, breaker.Trip());
        // Undecided: never written, not even at the end of the run.
        Assert.Empty(breaker.End());
        Assert.Equal(ServiceBreaker<string>.Verdict.Write, Offer(breaker, "H", SyncErrorKind.Timeout, false, out _));
    }

    [Fact]
    public void Off_at_zero_and_what_is_held_at_the_end_of_a_run_is_written()
    {
        var off = new ServiceBreaker<string>(0);
        Assert.Equal(ServiceBreaker<string>.Verdict.Write, Offer(off, "A", SyncErrorKind.Timeout, false, out _));
        var on = new ServiceBreaker<string>(10);
        Offer(on, "A", SyncErrorKind.Timeout, false, out _);
        Assert.Equal(["A"], on.End());
    }
}
