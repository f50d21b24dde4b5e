using System.Net.Http.Json;
using System.Text.Json;
using AssetSync.Simulator;
using Microsoft.AspNetCore.Builder;

namespace AssetSync.Tests.Fixtures;

/// <summary>The Innomaint simulator on 127.0.0.1, in process, with helpers for its control endpoints.</summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    // The control client trusts the https variant's certificate; AssetSync itself must not.
    private readonly HttpClient _control = new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = OwnCertificate } });

    /// <summary>
    /// The simulator's certificate as the test's own client takes it: made for 127.0.0.1 and asked for there, only its chain
    /// untrusted (self-signed, or a test's CA). A certificate for another name is refused as AssetSync refuses it.
    /// </summary>
    private static bool OwnCertificate(
        object sender,
        System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain,
        System.Net.Security.SslPolicyErrors errors
    ) =>
        errors == System.Net.Security.SslPolicyErrors.None
        || (
            errors == System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors
            && sender is System.Net.Security.SslStream { TargetHostName: "127.0.0.1" }
        );

    private SimulatorServer(WebApplication app, string baseUrl, SimulatorOptions options)
    {
        _app = app;
        BaseUrl = baseUrl;
        Options = options;
    }

    public const string Token = "test-token-5f1c9a";

    public string BaseUrl { get; }

    public SimulatorOptions Options { get; }

    public static async Task<SimulatorServer> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions
        {
            Token = Token,
            Assets = 1000,
            HangMs = 30_000,
        };
        configure?.Invoke(options);
        var (app, url) = await SimulatorHost.StartAsync(options);
        var server = new SimulatorServer(app, url, options);
        // Warm the server up (first-request JIT would otherwise skew its arrival times), then forget it.
        using (var warm = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = OwnCertificate } }))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => warm.GetAsync(url + "/api/v1/assets/WARM-UP")));
        }
        await server.ResetStatsAsync();
        return server;
    }

    public async Task ScriptAsync(string serial, params string[] steps)
    {
        var response = await _control.PostAsJsonAsync(
            BaseUrl + "/_sim/faults",
            new { scripts = new Dictionary<string, string[]> { [serial] = steps } }
        );
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Scripts <paramref name="serial"/> to answer <paramref name="fault"/> on every request from now on.</summary>
    public async Task ScriptForeverAsync(string serial, string fault)
    {
        var response = await _control.PostAsJsonAsync(
            BaseUrl + "/_sim/faults",
            new { scripts = new Dictionary<string, string[]> { [serial] = [fault] }, repeatLast = true }
        );
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Changes simulator settings mid-test (POST /_sim/config), e.g. new { LatencyMs = 20 }.</summary>
    public async Task ConfigureAsync(object settings) =>
        (await _control.PostAsJsonAsync(BaseUrl + "/_sim/config", settings)).EnsureSuccessStatusCode();

    /// <summary>A night passes in Innomaint: ChangeRate of the assets change.</summary>
    public async Task NextGenerationAsync() => (await _control.PostAsync(BaseUrl + "/_sim/generation", null)).EnsureSuccessStatusCode();

    public async Task HealAsync() => (await _control.PostAsync(BaseUrl + "/_sim/heal", null)).EnsureSuccessStatusCode();

    public async Task ResetStatsAsync() => (await _control.PostAsync(BaseUrl + "/_sim/stats/reset", null)).EnsureSuccessStatusCode();

    public async Task<JsonElement> StatsAsync() => await _control.GetFromJsonAsync<JsonElement>(BaseUrl + "/_sim/stats");

    public async Task<int> RequestsForAsync(string serial)
    {
        var stats = await StatsAsync();
        return stats.GetProperty("perSerial").TryGetProperty(serial, out var n) ? n.GetInt32() : 0;
    }

    public SyncOptions SyncOptions(string connectionString, Action<SyncOptions>? configure = null)
    {
        var o = new SyncOptions
        {
            ConnectionString = connectionString,
            BaseUrl = BaseUrl,
            ApiToken = Token,
            RetryInterval = TimeSpan.FromMilliseconds(10),
            Timeout = TimeSpan.FromSeconds(2),
            RequestsPerSecond = double.PositiveInfinity,
            ThrottleLimit = 8,
        };
        configure?.Invoke(o);
        return o;
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
