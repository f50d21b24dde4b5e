using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace AssetSync.Simulator;

/// <summary>Builds and runs the simulator on 127.0.0.1. Used by Program (by hand, build.ps1, Pester) and in-process by xunit.</summary>
public static class SimulatorHost
{
    /// <summary>Control endpoints live here. An asset path is its prefix plus ONE encoded segment, so it can never reach them.</summary>
    public const string ControlPrefix = "/_sim/";

    public static WebApplication Build(SimulatorOptions options, int port = 0, string[]? args = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, port, listen =>
            {
                if (!string.IsNullOrEmpty(options.Certificate))
                {
                    // A certificate made elsewhere (a test's own CA, the demo's): PEM certificate (chain) and PEM key. Served
                    // through the handshake callback, which skips Kestrel's own purpose check: an impostor presenting a
                    // certificate made for client authentication is exactly what a client's tests must meet.
                    var certificate = LoadPemCertificate(options.Certificate, options.CertificateKey);
                    listen.UseHttps(
                        new Microsoft.AspNetCore.Server.Kestrel.Https.TlsHandshakeCallbackOptions
                        {
                            OnConnection = _ =>
                                ValueTask.FromResult(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = certificate }),
                        }
                    );
                }
                else if (options.Https)
                {
                    listen.UseHttps(SelfSignedCertificate());
                }
            });
            k.AddServerHeader = false;
            // Hostile-input tests send 10 KB serial numbers; keep the asset path reachable.
            k.Limits.MaxRequestLineSize = 256 * 1024;
            k.Limits.MaxRequestBufferSize = 1024 * 1024;
        });
        var app = builder.Build();
        var state = new SimulatorState(options);
        app.Run(context => HandleAsync(context, state));
        return app;
    }

    /// <summary>A throwaway certificate for 127.0.0.1 that no client trusts: TLS errors must stay errors.</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSignedCertificate()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
            "CN=127.0.0.1",
            key,
            System.Security.Cryptography.HashAlgorithmName.SHA256,
            System.Security.Cryptography.RSASignaturePadding.Pkcs1
        );
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx),
            null
        );
    }

    /// <summary>A PEM certificate and key (the key in the certificate file when <paramref name="keyPath"/> is empty).</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadPemCertificate(string certificatePath, string? keyPath)
    {
        using var pem = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            certificatePath,
            string.IsNullOrEmpty(keyPath) ? null : keyPath
        );
        // Kestrel needs a key it can use on every platform: round-trip through PKCS#12.
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            pem.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx),
            null
        );
    }

    /// <summary>Starts the server; returns it and its base URL (http://127.0.0.1:port).</summary>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(SimulatorOptions options, int port = 0)
    {
        var app = Build(options, port);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Urls.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return (app, address.TrimEnd('/'));
    }

    private static async Task HandleAsync(HttpContext context, SimulatorState state)
    {
        // The raw target keeps %2F, %3F and %2E%2E as sent: the segment is decoded by us, once.
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?', 2)[0];
        if (path.StartsWith(ControlPrefix, StringComparison.Ordinal))
        {
            await ControlAsync(context, state, path[ControlPrefix.Length..]).ConfigureAwait(false);
            return;
        }

        var prefix = state.Options.AssetPrefix;
        if (
            !HttpMethods.IsGet(context.Request.Method)
            || !path.StartsWith(prefix, StringComparison.Ordinal)
            || path.Length == prefix.Length
            || path.IndexOf('/', prefix.Length) >= 0
        )
        {
            state.Arrive(null);
            await Reply(context, state, 404, new JsonObject { ["error"] = "no such endpoint" }).ConfigureAwait(false);
            return;
        }
        var serial = Uri.UnescapeDataString(path[prefix.Length..]);
        using var inFlight = state.EnterRequest();
        if (context.Request.Headers.ContainsKey("Via"))
        {
            state.CountViaProxy();
        }

        if (state.Options.Stall)
        {
            state.Arrive(serial);
            await ServeAsync(context, state, serial, "timeout").ConfigureAwait(false);
            return;
        }

        if (!state.Arrive(serial))
        {
            AddRateLimitHeaders(context, state);
            context.Response.Headers.RetryAfter = state.Options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Reply(context, state, 429, new JsonObject { ["error"] = "rate limit exceeded" }).ConfigureAwait(false);
            return;
        }

        if (!await WaitLatencyAsync(context, state).ConfigureAwait(false))
        {
            return;
        }

        // Computed as the answer is written, after the latency: what remains then.
        AddRateLimitHeaders(context, state);
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + state.Options.Token)
        {
            await Reply(context, state, 401, new JsonObject { ["error"] = "invalid token" }).ConfigureAwait(false);
            return;
        }

        var fault = state.NextFault(serial);
        if (fault == "ok" && !state.Exists(serial))
        {
            fault = "404";
        }
        await ServeAsync(context, state, serial, fault).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits out the request's latency. A latency lowered at /_sim/config meanwhile applies at once to the requests waiting,
    /// so a test can let a slow service recover without sleeping through the old latency. False when the client went away.
    /// </summary>
    private static async Task<bool> WaitLatencyAsync(HttpContext context, SimulatorState state)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var options = state.Options;
            var latency =
                options.LatencyMaxMs > options.LatencyMs ? Random.Shared.Next(options.LatencyMs, options.LatencyMaxMs + 1) : options.LatencyMs;
            var remaining = TimeSpan.FromMilliseconds(latency) - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return true;
            }
            var lowered = state.LatencyLowered;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            var delay = Task.Delay(remaining, wait.Token);
            if (await Task.WhenAny(delay, lowered).ConfigureAwait(false) == delay)
            {
                return !delay.IsCanceled;
            }
            // The latency was lowered: wait out what is left of the new one.
            await wait.CancelAsync().ConfigureAwait(false);
        }
    }

    private static void AddRateLimitHeaders(HttpContext context, SimulatorState state)
    {
        foreach (var (name, value) in state.RateLimitHeaderValues())
        {
            context.Response.Headers[name] = value;
        }
        foreach (var (name, value) in state.Options.ExtraHeaders)
        {
            context.Response.Headers[name] = value;
        }
    }

    /// <summary>A body with what a real server stamps on each answer: the time it was served, a request id, last_modified on read.</summary>
    private static byte[] StampedBody(SimulatorState state, string serial, int version, DateTimeOffset? changedAt)
    {
        var now = DateTimeOffset.UtcNow;
        var body = state.Body(serial, version, state.Options.StampLastModified ? now : changedAt);
        if (state.Options.VolatileFields)
        {
            body["served_at"] = now.AddSeconds(state.Options.ClockSkewSeconds).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            body["request_id"] = Guid.NewGuid().ToString();
        }
        return System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    private static async Task ServeAsync(HttpContext context, SimulatorState state, string serial, string fault)
    {
        if (state.Options.ClockSkewSeconds != 0)
        {
            // The simulator's own clock, as a server whose time is off says it in every Date.
            context.Response.Headers.Date = DateTimeOffset
                .UtcNow.AddSeconds(state.Options.ClockSkewSeconds)
                .ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        if (fault == "ok")
        {
            var version = state.Options.ChangeRate > 0 ? state.VersionOf(serial) : 0;
            DateTimeOffset? changedAt = null;
            if (state.Changes is { } changes)
            {
                (version, var at) = changes.At(serial, DateTimeOffset.UtcNow);
                changedAt = at;
            }
            var validators = state.Options.Validators.ToLowerInvariant();
            var etag = validators is "etag" or "both" ? state.ETagOf(serial, version) : null;
            var lastModified = validators is "lastmodified" or "both"
                ? changedAt ?? AssetGenerator.LastModified(serial, state.Options.Seed, version)
                : (DateTimeOffset?)null;
            if (etag is not null)
            {
                context.Response.Headers.ETag = etag;
            }
            if (lastModified is { } lm)
            {
                context.Response.Headers.LastModified = lm.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
            // If-None-Match decides when both are sent (RFC 9110); If-Modified-Since only without it.
            var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
            var ifModifiedSince = context.Request.Headers.IfModifiedSince.ToString();
            var notModified =
                etag is not null && ifNoneMatch.Length > 0
                    ? ifNoneMatch.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")
                    : lastModified is { } since
                        && ifNoneMatch.Length == 0
                        && DateTimeOffset.TryParse(
                            ifModifiedSince,
                            System.Globalization.CultureInfo.InvariantCulture,
                            System.Globalization.DateTimeStyles.AssumeUniversal,
                            out var told
                        )
                        && since <= told;
            state.Changes?.Served(serial, version);
            if (notModified)
            {
                state.CountStatus(304);
                state.CountBytes(0);
                context.Response.StatusCode = 304;
                return;
            }
            // Bodies are deterministic: build each once, so the simulator costs little beside the engine it measures; a body
            // stamped on every answer (volatile fields, last_modified on read) is built for each.
            state.CountStatus(200);
            var bytes =
                state.Options.VolatileFields || state.Options.StampLastModified
                    ? StampedBody(state, serial, version, changedAt)
                    : state.BodyBytes(serial, version, changedAt);
            state.CountBytes(bytes.Length);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
            return;
        }
        var body = AssetGenerator.Body(serial, state.Options.Seed);
        switch (fault)
        {
            case "timeout":
                state.CountStatus(0);
                try
                {
                    await Task.Delay(state.Options.HangMs, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException) { }
                context.Abort();
                return;
            case "reset":
                state.CountStatus(-1);
                context.Abort();
                return;
            case "malformed":
                await Raw(context, state, 200, "{\"serialnumber\": \"" + serial + "\", \"make\": ").ConfigureAwait(false);
                return;
            case "truncated":
                var full = body.ToJsonString();
                await Raw(context, state, 200, full[..(full.Length / 2)]).ConfigureAwait(false);
                return;
            case "notobject":
                await Raw(context, state, 200, "[1,2,3]").ConfigureAwait(false);
                return;
            case "wrongserial":
                body["serialnumber"] = serial + "-OTHER";
                await Reply(context, state, 200, body).ConfigureAwait(false);
                return;
            case "badtype":
                body["pm_schedules"] = new JsonArray(new JsonObject { ["schedule_id"] = "PM-X", ["frequency_days"] = "often" });
                await Reply(context, state, 200, body).ConfigureAwait(false);
                return;
            case "deep":
                await Raw(context, state, 200, "{\"serialnumber\":\"" + serial + "\",\"x\":" + new string('[', 5000) + new string(']', 5000) + "}")
                    .ConfigureAwait(false);
                return;
            case "badutf8":
                state.CountStatus(200);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                var prefix = Encoding.UTF8.GetBytes("{\"serialnumber\":\"" + serial + "\",\"make\":\"");
                await context.Response.Body.WriteAsync(prefix).ConfigureAwait(false);
                await context.Response.Body.WriteAsync(new byte[] { 0xC3, 0x28, 0xFF }).ConfigureAwait(false);
                await context.Response.Body.WriteAsync("\"}"u8.ToArray()).ConfigureAwait(false);
                return;
            case "huge":
                // 100 MB, streamed without Content-Length: a client must stop reading at its limit.
                state.CountStatus(200);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                var chunk = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
                try
                {
                    await context.Response.Body.WriteAsync("{\"serialnumber\":\""u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                    for (var i = 0; i < 1600; i++)
                    {
                        await context.Response.Body.WriteAsync(chunk, context.RequestAborted).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException) { }
                return;
            case "badgzip" or "badbr" or "baddeflate":
                // Declares a compressed body and sends one that is not: a client's decoder must fail this asset only.
                state.CountStatus(200);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.Headers.ContentEncoding = fault[3..] switch
                {
                    "gzip" => "gzip",
                    "br" => "br",
                    _ => "deflate",
                };
                var junk = Encoding.ASCII.GetBytes("this body is not compressed at all, whatever the header says " + new string('x', 200));
                context.Response.ContentLength = junk.Length;
                await context.Response.Body.WriteAsync(junk).ConfigureAwait(false);
                return;
            case "redirect":
                context.Response.Headers.Location = state.Options.RedirectTo;
                await Reply(context, state, 302, new JsonObject()).ConfigureAwait(false);
                return;
            case "503-date":
                context.Response.Headers.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(state.Options.RetryAfterSeconds).ToString("R");
                await Reply(context, state, 503, new JsonObject { ["error"] = "maintenance" }).ConfigureAwait(false);
                return;
            case "429":
                context.Response.Headers.RetryAfter = state.Options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Reply(context, state, 429, new JsonObject { ["error"] = "slow down" }).ConfigureAwait(false);
                return;
            default:
                var status = int.Parse(fault, System.Globalization.CultureInfo.InvariantCulture);
                await Reply(context, state, status, new JsonObject { ["error"] = $"simulated {status}" }).ConfigureAwait(false);
                return;
        }
    }

    private static async Task ControlAsync(HttpContext context, SimulatorState state, string command)
    {
        try
        {
            switch (context.Request.Method, command)
            {
                case ("GET", "stats"):
                    await Json(context, 200, state.Stats()).ConfigureAwait(false);
                    return;
                case ("POST", "stats/reset"):
                    state.ResetStats();
                    break;
                case ("POST", "heal"):
                    state.Heal();
                    break;
                case ("POST", "generation"):
                    // A night passes in Innomaint: ChangeRate of the assets change.
                    await Json(context, 200, new { generation = state.NextGeneration() }).ConfigureAwait(false);
                    return;
                case ("POST", "faults"):
                    // {"random":"500=0.1,reset=0.05"} and/or {"scripts":{"SERIAL":["500","500"]},"repeatLast":false}
                    var doc = await JsonNode.ParseAsync(context.Request.Body).ConfigureAwait(false) as JsonObject ?? [];
                    if (doc["random"] is { } random)
                    {
                        state.SetRandomFaults(random.GetValue<string>());
                    }
                    if (doc["scripts"] is JsonObject scripts)
                    {
                        var repeat = doc["repeatLast"]?.GetValue<bool>() ?? false;
                        foreach (var (serial, steps) in scripts)
                        {
                            state.SetScript(serial, steps!.AsArray().Select(s => s!.GetValue<string>()).ToList(), repeat);
                        }
                    }
                    break;
                case ("GET", "config"):
                    await Json(context, 200, state.Options).ConfigureAwait(false);
                    return;
                case ("POST", "config"):
                    var update = await JsonSerializer.DeserializeAsync<Dictionary<string, JsonElement>>(context.Request.Body).ConfigureAwait(false)
                        ?? [];
                    var latencyBefore = Math.Max(state.Options.LatencyMs, state.Options.LatencyMaxMs);
                    foreach (var (key, value) in update)
                    {
                        var prop = typeof(SimulatorOptions).GetProperty(
                            key,
                            System.Reflection.BindingFlags.IgnoreCase
                                | System.Reflection.BindingFlags.Public
                                | System.Reflection.BindingFlags.Instance
                        ) ?? throw new ArgumentException($"Unknown setting '{key}'.");
                        prop.SetValue(state.Options, value.Deserialize(prop.PropertyType));
                    }
                    state.ClearBodies();
                    if (Math.Max(state.Options.LatencyMs, state.Options.LatencyMaxMs) < latencyBefore)
                    {
                        state.LowerLatency();
                    }
                    break;
                case ("GET", "rates"):
                    // Each asset's true rate now (per real second): the oracle order the freshness benchmark compares with.
                    if (state.Changes is not { } truthful)
                    {
                        await Json(context, 400, new { error = "no change process: start the simulator with --ChangeClasses" }).ConfigureAwait(false);
                        return;
                    }
                    await Json(
                            context,
                            200,
                            truthful.Rates(
                                DateTimeOffset.UtcNow,
                                Enumerable.Range(1, state.Options.Assets).Select(AssetGenerator.SerialFor).Where(state.Exists)
                            )
                        )
                        .ConfigureAwait(false);
                    return;
                case ("GET", "truth"):
                    // The ground truth of the change process: how many assets changed since they were last served.
                    if (state.Changes is not { } process)
                    {
                        await Json(context, 400, new { error = "no change process: start the simulator with --ChangeClasses" }).ConfigureAwait(false);
                        return;
                    }
                    await Json(
                            context,
                            200,
                            process.Truth(
                                DateTimeOffset.UtcNow,
                                Enumerable.Range(1, state.Options.Assets).Select(AssetGenerator.SerialFor).Where(state.Exists),
                                s => state.CriticalityOf(s)
                            )
                        )
                        .ConfigureAwait(false);
                    return;
                case ("GET", "serials"):
                    await Json(context, 200, Enumerable.Range(1, state.Options.Assets).Select(AssetGenerator.SerialFor)).ConfigureAwait(false);
                    return;
                case ("GET", "asset"):
                    var s = context.Request.Query["serial"].ToString();
                    await Json(
                            context,
                            200,
                            new
                            {
                                serial = s,
                                exists = state.Exists(s),
                                fault = state.FaultyKindOf(s),
                                body = AssetGenerator.Body(s, state.Options.Seed),
                            }
                        )
                        .ConfigureAwait(false);
                    return;
                default:
                    await Json(context, 404, new { error = $"unknown control command {context.Request.Method} {command}" }).ConfigureAwait(false);
                    return;
            }
            await Json(context, 200, new { ok = true }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException or InvalidOperationException)
        {
            await Json(context, 400, new { error = ex.Message }).ConfigureAwait(false);
        }
    }

    private static Task Reply(HttpContext context, SimulatorState state, int status, JsonNode body) =>
        Raw(context, state, status, body.ToJsonString());

    private static async Task Raw(HttpContext context, SimulatorState state, int status, string text)
    {
        state.CountStatus(status);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static async Task Json(HttpContext context, int status, object value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(value)).ConfigureAwait(false);
    }
}
