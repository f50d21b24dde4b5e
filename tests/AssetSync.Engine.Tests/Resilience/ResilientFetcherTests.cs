using System.Net;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Tests.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>The contract's failure table, row by row, on a fake clock: requests made and waits taken.</summary>
public class ResilientFetcherTests
{
    private const string Token = "s3cret-token-never-shown";

    private static (ResilientFetcher Fetcher, RecordingObserver RecordingObserver) Create(
        StubHandler handler,
        FakeTimeProvider time,
        Action<SyncOptions>? configure = null
    )
    {
        var options = new SyncOptions
        {
            ApiToken = Token,
            BaseUrl = "http://127.0.0.1:9",
            ConnectionString = "Host=127.0.0.1",
            RequestsPerSecond = double.PositiveInfinity,
        };
        configure?.Invoke(options);
        var client = new InnomaintClient(
            new HttpClient(handler),
            new Uri(options.BaseUrl),
            new AssetPathTemplate(options.AssetPath),
            Token,
            options.MaxResponseBytes,
            time
        );
        var recorder = new RecordingObserver();
        // No jitter: the waits are the contract's exactly.
        return (
            new ResilientFetcher(
                client,
                options,
                time,
                recorder,
                new RateController(time, options.Rate, options.RequestsPerSecond, null),
                random: () => 0
            ),
            recorder
        );
    }

    /// <summary>Runs the fetch, moving the fake clock on until it is done; never sleeps through real backoff.</summary>
    private static async Task<(FetchOutcome Outcome, int Attempts)> Drive(ResilientFetcher fetcher, FakeTimeProvider time, string serial = "S1")
    {
        var task = fetcher.FetchAsync(serial, CancellationToken.None);
        for (var i = 0; i < 10_000 && !task.IsCompleted; i++)
        {
            await Task.Delay(1);
            if (!task.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
            }
        }
        var result = await task;
        return (result.Outcome, result.Attempts);
    }

    [Theory]
    [InlineData(404, "not_found", 1)]
    [InlineData(400, "client_error", 1)]
    [InlineData(405, "client_error", 1)]
    [InlineData(409, "client_error", 1)]
    [InlineData(410, "client_error", 1)]
    [InlineData(422, "client_error", 1)]
    [InlineData(418, "client_error", 1)]
    [InlineData(401, "credentials", 1)]
    [InlineData(403, "credentials", 1)]
    [InlineData(408, "transient", 4)]
    [InlineData(429, "transient", 4)]
    [InlineData(500, "transient", 4)]
    [InlineData(502, "transient", 4)]
    [InlineData(503, "transient", 4)]
    [InlineData(504, "transient", 4)]
    public async Task Each_status_gets_its_kind_and_retries(int status, string kind, int requests)
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json((HttpStatusCode)status, "{}")));
        var (fetcher, recorder) = Create(handler, time);

        var (outcome, attempts) = await Drive(fetcher, time);

        Assert.Equal(kind, outcome.Kind!.Value.ToContractName());
        Assert.Equal(status, outcome.HttpStatus);
        // A 429 of an asset alone cannot be told from the quota's until it has come back often enough: it is sent back in
        // line (no attempt) its first time and MaxQuotaHits more while nothing else gets through, then its 429s count.
        var requeued = status == 429 ? 1 + ResilientFetcher.MaxQuotaHits : 0;
        Assert.Equal(requeued, fetcher.QuotaRequeues);
        Assert.Equal(requests + requeued, handler.Requests);
        Assert.Equal(requests, attempts);
        var expectedWaits = requests == 4 ? new[] { 1.0, 2.0, 4.0 } : [];
        Assert.Equal(expectedWaits, recorder.Retries.Select(r => r.Delay.TotalSeconds));
        Assert.DoesNotContain(Token, outcome.Message);
    }

    [Fact]
    public void The_defaults_are_the_seed_texts_1_2_4_seconds_and_15_second_timeout()
    {
        var o = new SyncOptions();
        Assert.Equal(3, o.MaximumRetryCount);
        Assert.Equal(TimeSpan.FromSeconds(1), o.RetryInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), o.Timeout);
        Assert.Equal(5, o.RequestsPerSecond);
    }

    [Fact]
    public async Task A_transient_failure_that_passes_is_a_success_after_the_waits_so_far()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            (_, n, _) =>
                Task.FromResult(
                    n <= 2 ? StubHandler.Json(HttpStatusCode.BadGateway, "{}") : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset("S1"))
                )
        );
        var (fetcher, recorder) = Create(handler, time);

        var (outcome, attempts) = await Drive(fetcher, time);

        Assert.True(outcome.Succeeded);
        Assert.Equal(3, attempts);
        Assert.Equal([1.0, 2.0], recorder.Retries.Select(r => r.Delay.TotalSeconds));
    }

    [Fact]
    public async Task Connection_failures_are_network_and_retried()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            (_, _, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)")
        );
        var (fetcher, _) = Create(handler, time);

        var (outcome, _) = await Drive(fetcher, time);

        Assert.Equal(SyncErrorKind.Network, outcome.Kind);
        Assert.Equal(4, handler.Requests);
    }

    [Fact]
    public async Task Invalid_responses_are_retried()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json(HttpStatusCode.OK, "{\"serialnumber\":")));
        var (fetcher, _) = Create(handler, time);

        var (outcome, _) = await Drive(fetcher, time);

        Assert.Equal(SyncErrorKind.InvalidResponse, outcome.Kind);
        Assert.Equal(4, handler.Requests);
    }

    [Fact]
    public async Task Retry_after_in_seconds_is_honoured_when_longer_than_the_backoff()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            (_, n, _) =>
            {
                if (n > 1)
                {
                    return Task.FromResult(StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset("S1")));
                }
                // A 503 (a first 429 is sent back in line rather than retried: QuotaThrottleTests).
                var r = StubHandler.Json(HttpStatusCode.ServiceUnavailable, "{}");
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
                return Task.FromResult(r);
            }
        );
        var (fetcher, recorder) = Create(handler, time);

        var (outcome, _) = await Drive(fetcher, time);

        Assert.True(outcome.Succeeded);
        Assert.Equal(7, Assert.Single(recorder.Retries).Delay.TotalSeconds);
    }

    [Fact]
    public async Task Retry_after_as_a_date_is_honoured_against_the_clock_and_capped()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var handler = new StubHandler(
            (_, n, _) =>
            {
                var r = StubHandler.Json(HttpStatusCode.ServiceUnavailable, "{}");
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(
                    n == 1 ? time.GetUtcNow().AddSeconds(5) : time.GetUtcNow().AddHours(1)
                );
                return Task.FromResult(n <= 2 ? r : StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset("S1")));
            }
        );
        var (fetcher, recorder) = Create(handler, time, o => o.MaxRetryAfter = TimeSpan.FromSeconds(30));

        var (outcome, _) = await Drive(fetcher, time);

        Assert.True(outcome.Succeeded);
        Assert.Equal([5.0, 30.0], recorder.Retries.Select(r => r.Delay.TotalSeconds));
    }

    [Fact]
    public async Task An_attempt_without_a_complete_answer_in_time_is_a_timeout_and_retried()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            async (_, _, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            }
        );
        var (fetcher, recorder) = Create(handler, time, o => o.Timeout = TimeSpan.FromSeconds(15));

        var (outcome, attempts) = await Drive(fetcher, time);

        Assert.Equal(SyncErrorKind.Timeout, outcome.Kind);
        Assert.Equal(4, attempts);
        Assert.Equal(3, recorder.Retries.Count);
        Assert.Contains("15 s", outcome.Message);
    }

    [Fact]
    public async Task Cancellation_during_a_backoff_wait_ends_the_fetch_at_once()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json(HttpStatusCode.ServiceUnavailable, "{}")));
        var (fetcher, recorder) = Create(handler, time, o => o.RetryInterval = TimeSpan.FromMinutes(10));
        using var cts = new CancellationTokenSource();

        var task = fetcher.FetchAsync("S1", cts.Token);
        await recorder.Retrying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();
        // The fake clock never moves: only the cancellation can end the 10-minute backoff (a timeout here is not a cancellation).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task Zero_retries_means_one_attempt()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json(HttpStatusCode.InternalServerError, "{}")));
        var (fetcher, _) = Create(handler, time, o => o.MaximumRetryCount = 0);

        var (outcome, attempts) = await Drive(fetcher, time);

        Assert.Equal(SyncErrorKind.Transient, outcome.Kind);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task The_request_carries_the_contract_headers_and_one_encoded_segment()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => Task.FromResult(StubHandler.Json(HttpStatusCode.OK, StubHandler.Asset("a/../b?c"))));
        var (fetcher, _) = Create(handler, time);

        var (outcome, _) = await Drive(fetcher, time, "a/../b?c");

        Assert.True(outcome.Succeeded);
        var request = Assert.Single(handler.Seen);
        Assert.Equal("/api/v1/assets/a%2F..%2Fb%3Fc", request.RequestUri!.AbsolutePath);
        Assert.Equal("Bearer", request.Headers.Authorization!.Scheme);
        Assert.Equal("application/json", request.Headers.Accept.Single().MediaType);
        Assert.StartsWith("AssetSync/", request.Headers.UserAgent.ToString());
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_not_retried()
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            (_, _, _) =>
            {
                var r = StubHandler.Json(HttpStatusCode.Found, "{}");
                r.Headers.Location = new Uri("http://127.0.0.2/steal");
                return Task.FromResult(r);
            }
        );
        var (fetcher, _) = Create(handler, time);

        var (outcome, _) = await Drive(fetcher, time);

        Assert.Equal(SyncErrorKind.ClientError, outcome.Kind);
        Assert.Equal(1, handler.Requests);
    }

    /// <summary>A content whose stream throws the given exception on the first read.</summary>
    private sealed class ThrowingContent(Exception toThrow) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw toThrow;

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new ThrowingStream(toThrow));

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class ThrowingStream(Exception toThrow) : MemoryStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw toThrow;

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => throw toThrow;
    }

    public static TheoryData<string, string> HandlerExceptions =>
        new()
        {
            { nameof(InvalidDataException), "invalid_response" },
            { nameof(InvalidOperationException), "network" },
            { nameof(TimeoutException), "timeout" },
            { nameof(TaskCanceledException), "timeout" },
            { nameof(NotSupportedException), "network" },
            { nameof(HttpRequestException), "network" },
            { nameof(IOException), "network" },
        };

    /// <summary>While the body is read, an exception that is not a broken connection means the body cannot be decoded.</summary>
    public static TheoryData<string, string> BodyExceptions =>
        new()
        {
            { nameof(InvalidDataException), "invalid_response" },
            { nameof(InvalidOperationException), "invalid_response" },
            { nameof(TimeoutException), "timeout" },
            { nameof(TaskCanceledException), "timeout" },
            { nameof(NotSupportedException), "invalid_response" },
            { nameof(HttpRequestException), "network" },
            { nameof(IOException), "network" },
        };

    private static Exception Make(string name) =>
        name switch
        {
            nameof(InvalidDataException) => new InvalidDataException("The archive entry was compressed using an unsupported compression method."),
            nameof(InvalidOperationException) => new InvalidOperationException("The stream was already consumed."),
            nameof(TimeoutException) => new TimeoutException("connect timed out"),
            // A cancellation that is not the caller's: SocketsHttpHandler's connect timeout looks like this.
            nameof(TaskCanceledException) => new TaskCanceledException("The operation was canceled.", new TimeoutException("connect")),
            nameof(NotSupportedException) => new NotSupportedException("a handler's own bug"),
            nameof(HttpRequestException) => new HttpRequestException("connection reset"),
            _ => new IOException("broken pipe"),
        };

    [Theory]
    [MemberData(nameof(HandlerExceptions))]
    public async Task An_exception_from_the_handler_fails_the_asset_with_a_contract_kind(string exception, string kind)
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler((_, _, _) => throw Make(exception));
        var (fetcher, _) = Create(handler, time, o => o.MaximumRetryCount = 0);

        var (outcome, attempts) = await Drive(fetcher, time);

        Assert.Equal(kind, outcome.Kind!.Value.ToContractName());
        Assert.Equal(1, attempts);
        Assert.DoesNotContain(Token, outcome.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BodyExceptions))]
    public async Task An_exception_while_the_body_is_read_fails_the_asset_with_a_contract_kind(string exception, string kind)
    {
        var time = new FakeTimeProvider();
        var handler = new StubHandler(
            (_, _, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ThrowingContent(Make(exception)) })
        );
        var (fetcher, _) = Create(handler, time, o => o.MaximumRetryCount = 0);

        var (outcome, _) = await Drive(fetcher, time);

        Assert.Equal(kind, outcome.Kind!.Value.ToContractName());
        Assert.Equal(200, outcome.HttpStatus);
    }

    [Fact]
    public async Task The_callers_cancellation_still_escapes_as_cancellation()
    {
        var time = new FakeTimeProvider();
        using var cts = new CancellationTokenSource();
        var handler = new StubHandler(
            async (_, _, ct) =>
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return StubHandler.Json(HttpStatusCode.OK, "{}");
            }
        );
        var (fetcher, _) = Create(handler, time);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync("S1", cts.Token));
    }
}
