using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace AssetSync.Simulator.Tests;

/// <summary>The simulator's own behaviour, over real HTTP on 127.0.0.1: each fault, the token, the rate limit, the controls.</summary>
public sealed class SimulatorHostTests : IAsyncLifetime, IDisposable
{
    private const string Token = "sim-test-token";
    private WebApplication _app = null!;
    private string _url = "";
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(20) };
    private SimulatorOptions _options = null!;

    public async Task InitializeAsync()
    {
        _options = new SimulatorOptions
        {
            Token = Token,
            Assets = 100,
            HangMs = 5000,
            RetryAfterSeconds = 3,
        };
        (_app, _url) = await SimulatorHost.StartAsync(_options);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => _http.Dispose();

    private Task<HttpResponseMessage> GetAsset(string encodedSegment, string? token = Token)
    {
        var request = new HttpRequestMessage(
            HttpMethod.Get,
            new Uri(_url + "/api/v1/assets/" + encodedSegment, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })
        );
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }
        return _http.SendAsync(request);
    }

    private async Task Script(string serial, params string[] steps) =>
        (
            await _http.PostAsJsonAsync(_url + "/_sim/faults", new { scripts = new Dictionary<string, string[]> { [serial] = steps } })
        ).EnsureSuccessStatusCode();

    private async Task<JsonElement> Stats() => await _http.GetFromJsonAsync<JsonElement>(_url + "/_sim/stats");

    [Fact]
    public async Task Serves_the_generated_body_with_pm_schedules()
    {
        using var response = await GetAsset("INF-000007");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(AssetGenerator.Body("INF-000007", _options.Seed).ToJsonString(), body.GetRawText());
        Assert.Equal("INF-000007", body.GetProperty("serialnumber").GetString());
        // Deterministic: the same seed gives the same body in another process too.
        Assert.Equal(AssetGenerator.Body("INF-000042", 1).ToJsonString(), AssetGenerator.Body("INF-000042", 1).ToJsonString());
        Assert.Contains(Enumerable.Range(1, 100).Select(AssetGenerator.SerialFor), s =>
            AssetGenerator.Body(s, _options.Seed)["pm_schedules"]!.AsArray().Count > 0
        );
    }

    [Fact]
    public void Bodies_and_fault_choices_hash_the_same_in_every_process()
    {
        // FNV-1a of "abc"; string.GetHashCode or HashCode.Combine would differ from run to run.
        Assert.Equal(0x1A47E90B, AssetGenerator.StableHash("abc"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task Anything_but_the_expected_token_gets_401(string? token)
    {
        using var response = await GetAsset("INF-000001", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_serials_and_other_paths_get_404()
    {
        using var unknown = await GetAsset("NOPE-1");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var other = await _http.GetAsync(_url + "/elsewhere");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Theory]
    [InlineData("400", 400)]
    [InlineData("401", 401)]
    [InlineData("403", 403)]
    [InlineData("404", 404)]
    [InlineData("408", 408)]
    [InlineData("409", 409)]
    [InlineData("422", 422)]
    [InlineData("500", 500)]
    [InlineData("502", 502)]
    [InlineData("503", 503)]
    [InlineData("504", 504)]
    public async Task Scripted_status_faults_answer_that_status_then_heal_themselves(string fault, int status)
    {
        await Script("INF-000010", fault, fault);
        using (var first = await GetAsset("INF-000010"))
        {
            Assert.Equal(status, (int)first.StatusCode);
        }
        using (var second = await GetAsset("INF-000010"))
        {
            Assert.Equal(status, (int)second.StatusCode);
        }
        using var third = await GetAsset("INF-000010");
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task A_429_and_a_503_carry_retry_after_in_seconds_and_as_a_date()
    {
        await Script("INF-000011", "429", "503-date");
        using var tooMany = await GetAsset("INF-000011");
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMany.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), tooMany.Headers.RetryAfter!.Delta);
        using var unavailable = await GetAsset("INF-000011");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.NotNull(unavailable.Headers.RetryAfter!.Date);
    }

    [Fact]
    public async Task A_timeout_fault_hangs_past_the_clients_timeout()
    {
        await Script("INF-000012", "timeout");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var request = new HttpRequestMessage(HttpMethod.Get, _url + "/api/v1/assets/INF-000012");
        request.Headers.Authorization = new("Bearer", Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _http.SendAsync(request, cts.Token));
    }

    [Fact]
    public async Task A_reset_fault_breaks_the_connection()
    {
        await Script("INF-000013", "reset");
        await Assert.ThrowsAsync<HttpRequestException>(() => GetAsset("INF-000013"));
    }

    [Theory]
    [InlineData("malformed")]
    [InlineData("truncated")]
    [InlineData("notobject")]
    [InlineData("deep")]
    public async Task Broken_json_faults_send_a_200_that_is_no_valid_asset_object(string fault)
    {
        await Script("INF-000014", fault);
        using var response = await GetAsset("INF-000014");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var valid = true;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            valid = doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            valid = false;
        }
        Assert.False(valid);
    }

    [Fact]
    public async Task Content_faults_send_wrong_serial_wrong_type_and_invalid_utf8()
    {
        await Script("INF-000015", "wrongserial", "badtype", "badutf8");
        using var wrong = await GetAsset("INF-000015");
        Assert.NotEqual("INF-000015", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("serialnumber").GetString());
        using var badType = await GetAsset("INF-000015");
        Assert.Equal(
            JsonValueKind.String,
            (await badType.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pm_schedules")[0].GetProperty("frequency_days").ValueKind
        );
        using var badUtf8 = await GetAsset("INF-000015");
        var bytes = await badUtf8.Content.ReadAsByteArrayAsync();
        Assert.False(System.Text.Unicode.Utf8.IsValid(bytes));
    }

    [Fact]
    public async Task A_huge_fault_streams_far_more_than_a_mebibyte()
    {
        await Script("INF-000016", "huge");
        var request = new HttpRequestMessage(HttpMethod.Get, _url + "/api/v1/assets/INF-000016");
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Null(response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (total <= 4 * 1024 * 1024)
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0, "the body ended early");
            total += n;
        }
    }

    [Fact]
    public async Task A_redirect_fault_points_at_another_host()
    {
        await Script("INF-000017", "redirect");
        using var response = await GetAsset("INF-000017");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.NotEqual(new Uri(_url).Authority, response.Headers.Location!.Authority);
    }

    [Fact]
    public async Task Random_faults_apply_until_healed_but_missing_assets_stay_missing()
    {
        _options.NotFoundRate = 0.2;
        var missing = Enumerable.Range(1, 100).Select(AssetGenerator.SerialFor).First(s => !new SimulatorState(_options).Exists(s));
        (await _http.PostAsJsonAsync(_url + "/_sim/faults", new { random = "500=1" })).EnsureSuccessStatusCode();
        using (var faulty = await GetAsset("INF-000018"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, faulty.StatusCode);
        }

        (await _http.PostAsync(_url + "/_sim/heal", null)).EnsureSuccessStatusCode();

        using (var healed = await GetAsset(new SimulatorState(_options).Exists("INF-000018") ? "INF-000018" : "INF-000019"))
        {
            Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
        }
        using var stillMissing = await GetAsset(missing);
        Assert.Equal(HttpStatusCode.NotFound, stillMissing.StatusCode);
    }

    [Fact]
    public async Task Faulty_assets_are_chosen_by_the_seed_and_fail_the_set_number_of_times()
    {
        _options.FaultyRate = 0.5;
        _options.FaultyKinds = "502";
        _options.FaultyFailCount = 2;
        var state = new SimulatorState(_options);
        var faulty = Enumerable.Range(1, 100).Select(AssetGenerator.SerialFor).Where(s => state.FaultyKindOf(s) is not null).ToList();
        Assert.InRange(faulty.Count, 30, 70);
        Assert.Equal(
            faulty,
            Enumerable.Range(1, 100).Select(AssetGenerator.SerialFor).Where(s => new SimulatorState(_options).FaultyKindOf(s) is not null)
        );

        var serial = faulty[0];
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var r = await GetAsset(serial);
            statuses.Add((int)r.StatusCode);
        }
        Assert.Equal([502, 502, 200], statuses);
    }

    [Fact]
    public async Task Requests_beyond_the_rate_limit_get_429_with_retry_after()
    {
        _options.RateLimit = 5;
        var responses = await Task.WhenAll(Enumerable.Range(1, 12).Select(i => GetAsset(AssetGenerator.SerialFor(i))));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.NotNull(r.Headers.RetryAfter);
        });
        var stats = await Stats();
        Assert.Equal(12, stats.GetProperty("maxPerSecond").GetInt32());
        Assert.Equal(7, stats.GetProperty("perStatus").GetProperty("429").GetInt32());
    }

    [Fact]
    public async Task Latency_delays_each_answer()
    {
        _options.LatencyMs = 250;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var response = await GetAsset("INF-000020");
        Assert.True(sw.ElapsedMilliseconds >= 240, $"answered after {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_lowered_latency_releases_the_requests_waiting_out_the_old_one()
    {
        _options.LatencyMs = 600_000;
        var answer = GetAsset("INF-000022");
        (await _http.PostAsJsonAsync(_url + "/_sim/config", new { LatencyMs = 0 })).EnsureSuccessStatusCode();
        // Without the release the request would wait ten minutes, past the client's 20 s timeout.
        using var response = await answer;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("..%2F..%2F_sim%2Fheal")]
    [InlineData("%2E%2E%2F%2E%2E%2F_sim%2Fheal")]
    [InlineData("../../_sim/heal")]
    [InlineData("x/../../../_sim/heal")]
    public async Task Control_endpoints_cannot_be_reached_through_an_asset_path(string segment)
    {
        await Script("INF-000021", "500", "500");
        using var response = await GetAsset(segment);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        // The fault is still there: heal never ran.
        using var stillFaulty = await GetAsset("INF-000021");
        Assert.Equal(HttpStatusCode.InternalServerError, stillFaulty.StatusCode);
    }

    [Fact]
    public async Task Stats_count_requests_per_serial_and_status_and_can_be_reset()
    {
        await Script("INF-000022", "503");
        (await GetAsset("INF-000022")).Dispose();
        (await GetAsset("INF-000022")).Dispose();
        (await GetAsset("a%2Fb")).Dispose();
        var stats = await Stats();
        Assert.Equal(3, stats.GetProperty("requests").GetInt32());
        Assert.Equal(2, stats.GetProperty("perSerial").GetProperty("INF-000022").GetInt32());
        Assert.Equal(1, stats.GetProperty("perSerial").GetProperty("a/b").GetInt32());
        Assert.Equal(1, stats.GetProperty("perStatus").GetProperty("503").GetInt32());
        (await _http.PostAsync(_url + "/_sim/stats/reset", null)).EnsureSuccessStatusCode();
        Assert.Equal(0, (await Stats()).GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task Bad_control_input_is_a_400_that_says_why()
    {
        using var response = await _http.PostAsync(
            _url + "/_sim/faults",
            new StringContent("""{"scripts":{"X":["explode"]}}""", Encoding.UTF8, "application/json")
        );
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("explode", await response.Content.ReadAsStringAsync());
    }
}
