namespace AssetSync.Simulator;

/// <summary>Settings of the simulator; every one can be given on the command line (--Assets 500) or changed at /_sim/config.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Assets served: serials INF-000001 … INF-{Assets:000000}.</summary>
    public int Assets { get; set; } = 500;

    /// <summary>Seed of every random choice (bodies, faulty assets, random faults).</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The bearer token expected; anything else gets 401.</summary>
    public string Token { get; set; } = "demo-token";

    /// <summary>Path prefix of the asset endpoint; the serial is the one segment after it.</summary>
    public string AssetPrefix { get; set; } = "/api/v1/assets/";

    /// <summary>Fixed latency in ms, or the lower bound of a uniform spread when LatencyMaxMs is larger.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Upper bound of a uniform latency spread (0: fixed latency).</summary>
    public int LatencyMaxMs { get; set; }

    /// <summary>
    /// The quota: requests allowed in any one-second window (sliding: a hidden quota, as an undocumented API has); beyond it
    /// 429 with Retry-After. With <see cref="RateLimitHeaders"/> the windows are fixed one-second ones, the ones the headers
    /// describe. 0: unlimited.
    /// </summary>
    public double RateLimit { get; set; }

    /// <summary>Rate-limit headers on every asset answer: none (a hidden quota), ietf (RateLimit-Policy / RateLimit), x (X-RateLimit-*) or
    /// malformed (unreadable ones).</summary>
    public string RateLimitHeaders { get; set; } = "none";

    /// <summary>Milliseconds after the first asset request (since start, or the last stats reset) at which the quota becomes <see
    /// cref="RateLimitChangeTo"/>; 0: never.</summary>
    public int RateLimitChangeAfterMs { get; set; }

    /// <summary>The quota after <see cref="RateLimitChangeAfterMs"/>.</summary>
    public double RateLimitChangeTo { get; set; }

    /// <summary>Retry-After seconds sent with a rate-limit 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>How long a "timeout" fault hangs, in ms.</summary>
    public int HangMs { get; set; } = 120_000;

    /// <summary>Fraction of serials that do not exist in Innomaint (always 404, never healed).</summary>
    public double NotFoundRate { get; set; }

    /// <summary>Fraction of serials that are faulty, each with one fault drawn from FaultyKinds.</summary>
    public double FaultyRate { get; set; }

    /// <summary>Faults a faulty asset may draw, comma-separated (see Fault names).</summary>
    public string FaultyKinds { get; set; } = "500,502,503,504,429,timeout,reset,malformed,truncated";

    /// <summary>Requests a faulty asset fails before it answers well; 0: until healed.</summary>
    public int FaultyFailCount { get; set; }

    /// <summary>Where a "redirect" fault points; by default a host that is not this one.</summary>
    public string RedirectTo { get; set; } = "http://127.0.0.2:9/steal-token";

    /// <summary>Serve https with a self-signed certificate made at start, for TLS tests.</summary>
    public bool Https { get; set; }

    /// <summary>Serve https with this PEM certificate (its chain may follow it in the file); the key from <see cref="CertificateKey"/>.</summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of <see cref="Certificate"/> (empty: in the certificate file).</summary>
    public string? CertificateKey { get; set; }

    /// <summary>Per-request random fault probabilities, e.g. "500=0.05,reset=0.01".</summary>
    public string RandomFaults { get; set; } = "";

    /// <summary>Validators sent with a 200, and honoured as 304: none, etag, lastmodified or both. Switchable per run via /_sim/config.</summary>
    public string Validators { get; set; } = "none";

    /// <summary>
    /// The service stalls: every asset request from now on hangs (as a "timeout" fault, for <see cref="HangMs"/>) until this
    /// is turned off again at /_sim/config. The control endpoints keep answering.
    /// </summary>
    public bool Stall { get; set; }

    /// <summary>
    /// Headers added to every asset answer (after the rate-limit headers, so they may replace them): hostile or odd headers a
    /// client must survive, such as <c>{"X-RateLimit-Reset":"1765000000000"}</c> or a forwarded <c>Proxy-Status</c>.
    /// </summary>
    public Dictionary<string, string> ExtraHeaders { get; set; } = [];

    /// <summary>The share of assets that change each time a generation passes (POST /_sim/generation: "a night").</summary>
    public double ChangeRate { get; set; }

    /// <summary>
    /// Assets changing on their own (<see cref="ChangeProcess"/>): "share:mean" classes, e.g. "0.01:1d,0.09:30d,0.90:365d".
    /// Empty: only generations change assets. Set at start.
    /// </summary>
    public string ChangeClasses { get; set; } = "";

    /// <summary>Real seconds in a simulated day of <see cref="ChangeClasses"/> (86400: real time).</summary>
    public double DaySeconds { get; set; } = 86400;

    /// <summary>When the change process starts (ISO 8601); empty: when the simulator starts. Two simulators given the same one change
    /// alike.</summary>
    public string ChangeEpoch { get; set; } = "";

    /// <summary>Bodies carry fields that differ on every answer (served_at, request_id), as many APIs stamp them; no ETag helps.</summary>
    public bool VolatileFields { get; set; }

    /// <summary>last_modified is stamped on every read (the time the answer was served), as a server whose ORM touches it on load.</summary>
    public bool StampLastModified { get; set; }

    /// <summary>
    /// Every asset's last change before the epoch is reported at one date this many simulated days before it (what a data
    /// migration into Innomaint leaves); 0: each asset's own.
    /// </summary>
    public double ImportedDaysBefore { get; set; }

    /// <summary>
    /// Simulated days after the epoch when rates drift (0: never): a <see cref="DriftShare"/> of the register, drawn from the
    /// slowest class, takes the fastest class's rate, and the fastest class takes the slowest's.
    /// </summary>
    public double DriftAtDay { get; set; }

    /// <summary>The share of the register whose quiet assets turn busy at <see cref="DriftAtDay"/>.</summary>
    public double DriftShare { get; set; } = 0.01;

    /// <summary>The share of assets whose criticality is High (the rest Medium and Low alike); a negative value keeps the generator's own
    /// draw.</summary>
    public double HighShare { get; set; } = -1;

    /// <summary>Seconds the simulator's clock runs ahead of real time (negative: behind): its Date header and every last_modified.</summary>
    public double ClockSkewSeconds { get; set; }

    /// <summary>last_modified without an offset (2026-11-20T10:11:12, UTC implied), as some servers write it.</summary>
    public bool LastModifiedWithoutOffset { get; set; }
}
