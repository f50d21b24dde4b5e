using System.Net;
using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;
using AssetSync.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>
/// The quota is the service's, not the asset's: a 429 that says the window is full is no attempt of the asset, which goes
/// back in line after the window; a 429 counts as an attempt only when it persists after the asset was sent back in line
/// and the service let others through since. On a fake clock.
/// </summary>
public class QuotaThrottleTests
{
    private static (ResilientFetcher Fetcher, RecordingObserver Observer) Create(
        StubHandler handler,
        FakeTimeProvider time,
        double requestsPerSecond = double.PositiveInfinity,
        double jitter = 0
    )
    {
        var options = new SyncOptions
        {
            ApiToken = "t",
            BaseUrl = "http://127.0.0.1:9",
            ConnectionString = "Host=127.0.0.1",
            RequestsPerSecond = requestsPerSecond,
            ThrottleLimit = 8,
        };
        var client = new InnomaintClient(
            new HttpClient(handler),
            new Uri(options.BaseUrl),
            new AssetPathTemplate(options.AssetPath),
            "t",
            options.MaxResponseBytes,
            time
        );
        var observer = new RecordingObserver();
        return (
            new ResilientFetcher(
                client,
                options,
                time,
                observer,
                new RateController(time, options.Rate, options.RequestsPerSecond, null),
                random: () => jitter
            ),
            observer
        );
    }

    /// <summary>Moves the fake clock on until every fetch is done; never sleeps through a real backoff.</summary>
    private static Task<DecidedAsset[]> Drive(FakeTimeProvider time, params Task<DecidedAsset>[] fetches) =>
        Drive(time, TimeSpan.FromMilliseconds(100), fetches);

    /// <summary>As above, the clock moved <paramref name="step"/> at a time (the gate lets one request through per timer tick).</summary>
    private static async Task<DecidedAsset[]> Drive(FakeTimeProvider time, TimeSpan step, params Task<DecidedAsset>[] fetches)
    {
        var all = Task.WhenAll(fetches);
        for (var i = 0; i < 5_000 && !all.IsCompleted; i++)
        {
            await Task.Delay(1);
            if (!all.IsCompleted)
            {
                time.Advance(step);
            }
        }
        Assert.True(all.IsCompleted, $"{fetches.Count(f => !f.IsCompleted)} of {fetches.Length} fetches still going after the clock moved on");
        return await all;
    }

    private static HttpResponseMessage WindowFull()
    {
        var r = StubHandler.Json(HttpStatusCode.TooManyRequests, """{"error":"rate limit exceeded"}""");
        r.Headers.TryAddWithoutValidation("X-RateLimit-Limit", "10");
        r.Headers.TryAddWithoutValidation("X-RateLimit-Remaining", "0");
        r.Headers.TryAddWithoutValidation("X-RateLimit-Reset", "1");
        r.Headers.TryAddWithoutValidation("Retry-After", "1");
        return r;
    }

    private static string SerialOf(HttpRequestMessage request) => request.RequestUri!.Segments[^1];

    [Fact]
    public async Task Many_quota_429s_in_a_row_never_fail_an_asset_nor_count_as_its_attempts()
    {
        var time = new FakeTimeProvider();
        // Twelve full windows in a row, more than the four attempts an asset has: then the answer.
        var handler = new StubHandler(
            (request, n, _) => Task.FromResult(n <= 12 ? WindowFull() : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(SerialOf(request))))
        );
        var (fetcher, observer) = Create(handler, time);

        var result = (await Drive(time, fetcher.FetchAsync("S1", CancellationToken.None))).Single();

        Assert.True(result.Outcome.Succeeded, result.Outcome.ToString());
        Assert.Equal(1, result.Attempts);
        Assert.Equal(13, handler.Requests);
        Assert.Empty(observer.Retries);
        Assert.Equal(12, fetcher.Throttled);
        Assert.Equal(12, fetcher.QuotaRequeues);
    }

    [Fact]
    public async Task An_asset_alone_answering_429_is_sent_back_a_bounded_number_of_times_then_fails_on_its_attempts()
    {
        var time = new FakeTimeProvider();
        // No rate-limit headers, one asset, nothing else getting through: a full window or a busy record, alike.
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json(HttpStatusCode.TooManyRequests, "{}")));
        var (fetcher, _) = Create(handler, time);

        var result = (await Drive(time, fetcher.FetchAsync("S1", CancellationToken.None))).Single();

        Assert.Equal(SyncErrorKind.Transient, result.Outcome.Kind);
        Assert.Equal(4, result.Attempts);
        Assert.Equal(1 + ResilientFetcher.MaxQuotaHits, fetcher.QuotaRequeues);
        Assert.Equal(4 + fetcher.QuotaRequeues, handler.Requests);
    }

    [Fact]
    public async Task A_lone_429_without_headers_among_answers_is_no_attempt_and_its_retry_is_jittered()
    {
        var time = new FakeTimeProvider();
        // The quota's 429 at its edge: one request of one asset, no headers, Retry-After 1, while the others answer.
        var sentS5 = new List<long>();
        var handler = new StubHandler(
            (request, _, _) =>
            {
                var serial = SerialOf(request);
                if (serial == "S5")
                {
                    lock (sentS5)
                    {
                        sentS5.Add(time.GetTimestamp());
                        if (sentS5.Count == 1)
                        {
                            var r = StubHandler.Json(HttpStatusCode.TooManyRequests, "{}");
                            r.Headers.TryAddWithoutValidation("Retry-After", "1");
                            return Task.FromResult(r);
                        }
                    }
                }
                return Task.FromResult(StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(serial)));
            }
        );
        var (fetcher, observer) = Create(handler, time, requestsPerSecond: 10, jitter: 0.5);

        var results = await Drive(
            time,
            [.. Enumerable.Range(1, 20).Select(i => fetcher.FetchAsync(new SelectedAsset($"S{i}"), i, null, CancellationToken.None))]
        );

        Assert.All(results, r => Assert.True(r.Outcome.Succeeded, r.Outcome.ToString()));
        Assert.Equal(1, results[4].Attempts);
        Assert.Equal(1, fetcher.QuotaRequeues);
        Assert.Empty(observer.Retries);
        // Retry-After 1 s, and half of the one-second jitter on top: not on the edge of the next window.
        var gap = (sentS5[1] - sentS5[0]) / (double)time.TimestampFrequency;
        Assert.True(gap >= 1.5, $"the second request went {gap:0.###} s after the 429");
    }

    [Fact]
    public async Task An_assets_own_429_that_persists_while_others_get_through_fails_it_after_its_attempts()
    {
        var time = new FakeTimeProvider();
        // A busy record among two hundred at 8/s: every time it comes back, others have answered since.
        var handler = new StubHandler(
            (request, _, _) =>
                Task.FromResult(
                    SerialOf(request) == "S1"
                        ? StubHandler.Json(HttpStatusCode.TooManyRequests, "{}")
                        : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(SerialOf(request)))
                )
        );
        var (fetcher, _) = Create(handler, time, requestsPerSecond: 8);

        var results = await Drive(
            time,
            [.. Enumerable.Range(1, 200).Select(i => fetcher.FetchAsync(new SelectedAsset($"S{i}"), i, null, CancellationToken.None))]
        );

        Assert.Equal((SyncErrorKind.Transient, 4), (results[0].Outcome.Kind, results[0].Attempts));
        Assert.All(results.Skip(1), r => Assert.True(r.Outcome.Succeeded, r.Outcome.ToString()));
        var busyRequests = handler.Seen.Count(r => SerialOf(r) == "S1");
        Assert.InRange(busyRequests - 4, 2, 1 + ResilientFetcher.MaxQuotaHits);
    }

    [Fact]
    public async Task Several_assets_answering_429_of_their_own_at_once_spend_their_attempts_and_never_loop()
    {
        var time = new FakeTimeProvider();
        // Three busy records among forty: their 429s come from distinct assets at once, yet everyone else answers.
        string[] busy = ["S1", "S2", "S3"];
        var handler = new StubHandler(
            (request, _, _) =>
                Task.FromResult(
                    busy.Contains(SerialOf(request))
                        ? StubHandler.Json(HttpStatusCode.TooManyRequests, "{}")
                        : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(SerialOf(request)))
                )
        );
        var (fetcher, _) = Create(handler, time);

        var results = await Drive(
            time,
            [.. Enumerable.Range(1, 40).Select(i => fetcher.FetchAsync(new SelectedAsset($"S{i}"), i, null, CancellationToken.None))]
        );

        for (var i = 0; i < 40; i++)
        {
            if (i < 3)
            {
                Assert.Equal((SyncErrorKind.Transient, 4), (results[i].Outcome.Kind, results[i].Attempts));
            }
            else
            {
                Assert.True(results[i].Outcome.Succeeded);
            }
        }
        var busyRequests = handler.Seen.Count(r => busy.Contains(SerialOf(r)));
        Assert.True(
            busyRequests <= 3 * (4 + 1 + (2 * ResilientFetcher.MaxQuotaHits)),
            $"the busy assets drew {busyRequests} requests: a few put back in line at most, never a loop"
        );
    }

    [Fact]
    public async Task A_fixed_rate_over_a_hidden_quota_fails_nothing()
    {
        var time = new FakeTimeProvider();
        // A hidden quota of 2 a second (a fixed 8/s is four times over it) at the server, no headers: every request beyond it in its second gets a
        // bare 429.
        var seen = new List<long>();
        var handler = new StubHandler(
            (request, _, _) =>
            {
                var now = time.GetTimestamp();
                bool over;
                lock (seen)
                {
                    seen.RemoveAll(t => now - t >= time.TimestampFrequency);
                    over = seen.Count >= 2;
                    if (!over)
                    {
                        seen.Add(now);
                    }
                }
                return Task.FromResult(
                    over
                        ? StubHandler.Json(HttpStatusCode.TooManyRequests, "{}")
                        : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset(SerialOf(request)))
                );
            }
        );
        var (fetcher, _) = Create(handler, time, requestsPerSecond: 8);

        var results = await Drive(
            time,
            TimeSpan.FromMilliseconds(100),
            [.. Enumerable.Range(1, 24).Select(i => fetcher.FetchAsync(new SelectedAsset($"S{i}"), i, null, CancellationToken.None))]
        );

        Assert.All(results, r => Assert.True(r.Outcome.Succeeded, r.Outcome.ToString()));
        Assert.True(fetcher.Throttled > 24, $"the quota was hit ({fetcher.Throttled} 429s)");
        Assert.True(fetcher.QuotaRequeues > 0);
    }

    [Fact]
    public async Task A_budget_that_cannot_hold_another_try_leaves_the_asset_untouched_not_failed()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(WindowFull()));
        var (fetcher, _) = Create(handler, time);
        var deadline = time.GetTimestamp() + (long)(20 * time.TimestampFrequency);

        var result = (await Drive(time, fetcher.FetchAsync(new SelectedAsset("S1"), 1, deadline, CancellationToken.None))).Single();

        Assert.True(result.NotStarted, result.Outcome.ToString());
        Assert.Equal(0, result.Attempts);
        Assert.True(handler.Requests > 1);
    }
}
