using AssetSync.Innomaint;
using AssetSync.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>Service signals against asset signals, on a fake clock: what is an answer, healthy latency, overdue, stalled, unreachable.</summary>
public class ServiceHealthTests
{
    private readonly FakeTimeProvider _time = new();

    private ServiceHealth Create(double timeoutSeconds = 15) => new(_time, TimeSpan.FromSeconds(timeoutSeconds));

    private static FetchOutcome Refused() => FetchOutcome.NoConnection("Network failure talking to Innomaint (ConnectionError: Connection refused)");

    private static FetchOutcome TimedOut() => FetchOutcome.Failure(SyncErrorKind.Timeout, "Innomaint gave no complete answer within 15 s.");

    [Fact]
    public void Any_http_status_is_an_answer_but_a_timeout_or_a_failed_connection_is_not()
    {
        Assert.True(ServiceHealth.IsAnswer(FetchOutcome.Failure(SyncErrorKind.Transient, "503", 503)));
        Assert.True(ServiceHealth.IsAnswer(FetchOutcome.Failure(SyncErrorKind.Transient, "429", 429)));
        Assert.True(ServiceHealth.IsAnswer(FetchOutcome.Failure(SyncErrorKind.NotFound, "404", 404)));
        Assert.True(ServiceHealth.IsAnswer(FetchOutcome.Failure(SyncErrorKind.InvalidResponse, "bad body", 200)));
        Assert.False(ServiceHealth.IsAnswer(TimedOut()));
        Assert.False(ServiceHealth.IsAnswer(Refused()));
        // A body cut off mid-read: a status came, then the connection broke. Not an answer, not a refused connection.
        var cut = FetchOutcome.Failure(SyncErrorKind.Network, "reset while reading", 200);
        Assert.False(ServiceHealth.IsAnswer(cut));
        Assert.False(cut.ConnectionFailed);
    }

    [Fact]
    public void Failed_connections_in_a_row_before_any_answer_make_the_service_unreachable_once()
    {
        var health = Create();
        var told = new List<(int, string)>();
        health.Unreachable += (n, cause) => told.Add((n, cause));
        health.NoAnswer(Refused());
        health.NoAnswer(TimedOut());
        Assert.Empty(told);
        health.NoAnswer(Refused());
        Assert.Single(told);
        Assert.Equal(ServiceHealth.UnreachableAttempts, told[0].Item1);
        Assert.Contains("refused", told[0].Item2, StringComparison.Ordinal);
        health.NoAnswer(Refused());
        Assert.Single(told);
    }

    [Fact]
    public void After_the_first_answer_failed_connections_are_left_to_the_breaker_and_resets_never_count()
    {
        var health = Create();
        var told = 0;
        health.Unreachable += (_, _) => told++;
        // A reset is a server that accepted the connection: an asset's trouble.
        for (var i = 0; i < 5; i++)
        {
            health.NoAnswer(FetchOutcome.Failure(SyncErrorKind.Network, "Connection reset by peer"));
        }
        Assert.Equal(0, told);
        health.Answered(TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 5; i++)
        {
            health.NoAnswer(Refused());
        }
        Assert.Equal(0, told);
        Assert.True(health.EverAnswered);
    }

    [Fact]
    public void Healthy_latency_comes_from_answers_only_and_sets_when_a_request_is_overdue()
    {
        var health = Create(timeoutSeconds: 15);
        Assert.Null(health.HealthyLatency);
        health.Answered(TimeSpan.FromMilliseconds(100));
        health.NoAnswer(TimedOut());
        health.NoAnswer(TimedOut());
        Assert.Equal(TimeSpan.FromMilliseconds(100), health.HealthyLatency);
        // 4x 100 ms is below the floor: half a second.
        Assert.Equal(ServiceHealth.MinimumOverdue, health.OverdueAfter);
        for (var i = 0; i < 30; i++)
        {
            health.Answered(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(health.OverdueAfter.TotalSeconds, 3.9, 4.0);
        // Never more than half the attempt timeout.
        Assert.Equal(TimeSpan.FromSeconds(1.5), Create(timeoutSeconds: 3).OverdueAfter);
    }

    [Fact]
    public void Timeouts_together_with_no_answer_for_a_while_are_a_stall_and_an_answer_ends_it()
    {
        var health = Create();
        health.Answered(TimeSpan.FromMilliseconds(100));
        health.NoAnswer(TimedOut());
        health.NoAnswer(TimedOut());
        // Answers are still recent: hanging assets among healthy ones, not a stall.
        Assert.True(health.AnswersFlowing);
        Assert.False(health.Stalled);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(health.AnswersFlowing);
        Assert.True(health.Stalled);
        health.Answered(TimeSpan.FromMilliseconds(100));
        Assert.False(health.Stalled);
        // One timeout alone is no stall, however long ago the last answer was.
        health.NoAnswer(TimedOut());
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(health.Stalled);
    }
}
