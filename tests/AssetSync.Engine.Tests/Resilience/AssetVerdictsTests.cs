using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>The verdict on each decided asset: stop, hold, ask, or write, and in which order.</summary>
public sealed class AssetVerdictsTests
{
    private static AssetVerdicts Create(int path = 3, int breaker = 2) =>
        new(path, breaker, new ServiceHealth(new FakeTimeProvider(), TimeSpan.FromSeconds(15)));

    private static DecidedAsset Asset(string serial, FetchOutcome outcome) => new(serial, outcome, 1, TimeSpan.Zero, TimeSpan.Zero);

    private static DecidedAsset Ok(string serial) =>
        Asset(serial, FetchOutcome.Success(new AssetDetail { SerialNumber = serial, RawPayload = "{}" }));

    private static DecidedAsset NotFound(string serial) => Asset(serial, FetchOutcome.Failure(SyncErrorKind.NotFound, "404", 404));

    private static DecidedAsset Down(string serial) => Asset(serial, FetchOutcome.Failure(SyncErrorKind.Transient, "503", 503));

    [Fact]
    public void A_refused_token_or_route_stops_the_run_and_writes_nothing()
    {
        var verdicts = Create();
        var refused = verdicts.Decide(Asset("A", FetchOutcome.Failure(SyncErrorKind.Credentials, "401", 401)), false);
        Assert.Equal(AssetVerdict.Next.Stop, refused.Then);
        Assert.IsType<CredentialsRefusedException>(refused.StopReason);
        Assert.Empty(refused.Write);
        var route = verdicts.Decide(
            Asset(
                "B",
                FetchOutcome.RouteFault(
                    new ProxyRefusedException("http://proxy:3128", "-Proxy", "it asks for a login (HTTP 407)", "Give -ProxyCredential.")
                )
            ),
            false
        );
        Assert.IsType<ProxyRefusedException>(route.StopReason);
    }

    [Fact]
    public void Holds_404s_while_the_path_is_on_probation_asks_at_the_threshold_and_writes_them_first_when_it_works()
    {
        var verdicts = Create(path: 3);
        Assert.Equal((AssetVerdict.Next.GoOn, 0), (verdicts.Decide(NotFound("A"), false).Then, verdicts.Decide(NotFound("B"), false).Write.Count));
        Assert.Equal(AssetVerdict.Next.CheckPath, verdicts.Decide(NotFound("C"), false).Then);
        Assert.Equal(["A", "B", "C"], verdicts.AfterPathCheck(true, "u").Write.Select(d => d.SerialNumber));

        var wrong = Create(path: 2);
        wrong.Decide(NotFound("A"), false);
        wrong.Decide(NotFound("B"), false);
        var stop = wrong.AfterPathCheck(false, "http://x/api/v1/assets/B");
        Assert.IsType<AssetPathSuspectException>(stop.StopReason);
        Assert.Empty(wrong.Release(stop.StopReason)); // the held 404s are never written: the path was wrong

        var fine = Create(path: 3);
        fine.Decide(NotFound("A"), false);
        Assert.Equal(["A", "B"], fine.Decide(Ok("B"), false).Write.Select(d => d.SerialNumber)); // an answer ends the probation
    }

    [Fact]
    public void Holds_an_outage_like_streak_asks_at_the_threshold_and_writes_it_only_if_the_service_answers()
    {
        var verdicts = Create(path: 0, breaker: 2);
        Assert.Empty(verdicts.Decide(Down("A"), false).Write);
        var check = verdicts.Decide(Down("B"), false);
        Assert.Equal(AssetVerdict.Next.CheckService, check.Then);
        Assert.Equal(
            ["A", "B"],
            verdicts
                .AfterServiceCheck(true, check.Write.Count == 0 ? Down("B").Outcome : check.Write[0].Outcome, "https://cmms")
                .Write.Select(d => d.SerialNumber)
        );

        var down = Create(path: 0, breaker: 2);
        down.Decide(Down("A"), false);
        down.Decide(Down("B"), false);
        var stop = down.AfterServiceCheck(false, Down("B").Outcome, "https://cmms");
        Assert.IsType<InnomaintUnreachableException>(stop.StopReason);
        Assert.Empty(down.Release(stop.StopReason)); // no asset is marked failed for an outage

        var open = Create(path: 0, breaker: 5);
        open.Decide(Down("A"), false);
        Assert.Equal(["A"], open.Release(null).Select(d => d.SerialNumber)); // an unfinished streak is written when the run ends
        Assert.Equal(["C"], Create(path: 0).Decide(Ok("C"), false).Write.Select(d => d.SerialNumber));
    }
}
