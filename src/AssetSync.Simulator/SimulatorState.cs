using System.Collections.Concurrent;
using System.Diagnostics;

namespace AssetSync.Simulator;

/// <summary>
/// Faults and statistics; changed by the control endpoints while the server runs. Over 400 lines on purpose: a test
/// stand-in whose every fault (scripts, quotas, stalls, generations) is read on each request under one lock.
/// </summary>
public sealed class SimulatorState
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, ScriptedFault> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perSerial = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, int> _perStatus = new();
    private readonly ConcurrentDictionary<string, int> _faultyServed = new(StringComparer.Ordinal);
    private readonly List<long> _arrivals = [];
    private readonly Queue<long> _window = new();
    private Dictionary<string, double> _randomFaults = new(StringComparer.OrdinalIgnoreCase);
    private Random _random;
    private bool _healed;

    public SimulatorState(SimulatorOptions options)
    {
        Options = options;
        Changes = string.IsNullOrWhiteSpace(options.ChangeClasses) ? null : new ChangeProcess(options, DateTimeOffset.UtcNow);
        _random = new Random(options.Seed);
        _randomFaults = ParseRates(options.RandomFaults);
    }

    public SimulatorOptions Options { get; }

    /// <summary>Assets changing on their own, when <see cref="SimulatorOptions.ChangeClasses"/> is set.</summary>
    public ChangeProcess? Changes { get; }

    public static readonly string[] FaultNames =
    [
        "ok",
        "400",
        "401",
        "403",
        "404",
        "405",
        "408",
        "409",
        "410",
        "422",
        "429",
        "500",
        "502",
        "503",
        "504",
        "timeout",
        "reset",
        "malformed",
        "truncated",
        "huge",
        "deep",
        "badutf8",
        "badgzip",
        "badbr",
        "baddeflate",
        "wrongserial",
        "badtype",
        "notobject",
        "redirect",
        "503-date",
    ];

    public static Dictionary<string, double> ParseRates(string text)
    {
        var rates = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (
                kv.Length != 2
                || !FaultNames.Contains(kv[0])
                || !double.TryParse(kv[1], System.Globalization.CultureInfo.InvariantCulture, out var p)
            )
            {
                throw new ArgumentException($"Bad random fault '{part}': use name=probability with a name from {string.Join(", ", FaultNames)}.");
            }
            rates[kv[0]] = p;
        }
        return rates;
    }

    public bool Exists(string serial)
    {
        if (
            !serial.StartsWith("INF-", StringComparison.Ordinal)
            || !int.TryParse(serial.AsSpan(4), out var index)
            || index < 1
            || index > Options.Assets
        )
        {
            return false;
        }
        return Draw(serial, "notfound") >= Options.NotFoundRate;
    }

    /// <summary>A per-serial number in [0,1) fixed by the seed: which assets are faulty, and with what.</summary>
    private double Draw(string serial, string salt) => new Random(AssetGenerator.StableHash($"{Options.Seed}|{salt}|{serial}")).NextDouble();

    /// <summary>The fault for this request of <paramref name="serial"/>, or "ok".</summary>
    public string NextFault(string serial)
    {
        if (_scripts.TryGetValue(serial, out var script))
        {
            var step = script.Next();
            if (step is not null)
            {
                return step;
            }
        }
        if (FaultyKindOf(serial) is { } kind)
        {
            // A 404 asset does not exist: healing the service does not create it.
            if (_healed && kind != "404")
            {
                return "ok";
            }
            var served = _faultyServed.AddOrUpdate(serial, 1, (_, n) => n + 1);
            if (Options.FaultyFailCount == 0 || served <= Options.FaultyFailCount)
            {
                return kind;
            }
        }
        lock (_gate)
        {
            foreach (var (name, p) in _randomFaults)
            {
                if (_random.NextDouble() < p)
                {
                    return name;
                }
            }
        }
        return "ok";
    }

    /// <summary>The fault a serial is set up with, for tests that need to know the expected outcome.</summary>
    public string? FaultyKindOf(string serial)
    {
        if (Options.FaultyRate <= 0 || Draw(serial, "faulty") >= Options.FaultyRate)
        {
            return null;
        }
        var kinds = Options.FaultyKinds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return kinds[(int)(Draw(serial, "kind") * kinds.Length)];
    }

    private readonly List<long> _throttled = [];

    /// <summary>Serials in the order of their first request (the first 100,000): the order a client took them in.</summary>
    private readonly List<string> _firstArrivals = [];
    private const int MaxFirstArrivals = 100_000;
    private long _quotaChangedAt;
    private long _fixedWindowStart;
    private int _fixedWindowCount;

    /// <summary>The quota now: <see cref="SimulatorOptions.RateLimit"/>, or the changed one once its time has come.</summary>
    private double QuotaAt(long now)
    {
        if (
            Options.RateLimitChangeAfterMs > 0
            && _arrivals.Count > 0
            && now - _arrivals[0] >= Options.RateLimitChangeAfterMs * Stopwatch.Frequency / 1000
        )
        {
            if (_quotaChangedAt == 0)
            {
                _quotaChangedAt = _arrivals[0] + (Options.RateLimitChangeAfterMs * Stopwatch.Frequency / 1000);
            }
            return Options.RateLimitChangeTo;
        }
        return Options.RateLimit;
    }

    private bool FixedWindows => !string.Equals(Options.RateLimitHeaders, "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>Records an arrival; false when it goes beyond the rate limit.</summary>
    public bool Arrive(string? serial)
    {
        var now = Stopwatch.GetTimestamp();
        if (serial is not null && _perSerial.AddOrUpdate(serial, 1, (_, n) => n + 1) == 1)
        {
            lock (_firstArrivals)
            {
                if (_firstArrivals.Count < MaxFirstArrivals)
                {
                    _firstArrivals.Add(serial);
                }
            }
        }
        lock (_gate)
        {
            _arrivals.Add(now);
            var quota = QuotaAt(now);
            if (quota <= 0)
            {
                return true;
            }
            var second = Stopwatch.Frequency;
            bool allowed;
            if (FixedWindows)
            {
                // Windows of one second from the first request: what the headers describe.
                if (_fixedWindowStart == 0 || now - _fixedWindowStart >= second)
                {
                    _fixedWindowStart = _fixedWindowStart == 0 ? now : _fixedWindowStart + ((now - _fixedWindowStart) / second * second);
                    _fixedWindowCount = 0;
                }
                allowed = _fixedWindowCount < quota;
                if (allowed)
                {
                    _fixedWindowCount++;
                }
            }
            else
            {
                while (_window.Count > 0 && now - _window.Peek() >= second)
                {
                    _window.Dequeue();
                }
                allowed = _window.Count < quota;
                if (allowed)
                {
                    _window.Enqueue(now);
                }
            }
            if (!allowed)
            {
                _throttled.Add(now);
            }
            return allowed;
        }
    }

    /// <summary>
    /// The rate-limit headers of an answer, as they stand when it is written: the quota, and what remains of the current
    /// fixed window with the whole seconds until it resets (rounded up, as delta-seconds are). Empty without a quota or headers.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> RateLimitHeaderValues()
    {
        var style = Options.RateLimitHeaders.ToLowerInvariant();
        if (style == "none")
        {
            yield break;
        }
        if (style == "malformed")
        {
            // Headers a client must survive: present, unreadable.
            yield return new("RateLimit-Policy", "lots, please");
            yield return new("X-RateLimit-Remaining", "many");
            yield break;
        }
        double quota;
        int remaining;
        int reset;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            quota = QuotaAt(now);
            if (quota <= 0)
            {
                yield break;
            }
            var second = Stopwatch.Frequency;
            var inWindow = _fixedWindowStart != 0 && now - _fixedWindowStart < second;
            remaining = (int)Math.Max(0, quota - (inWindow ? _fixedWindowCount : 0));
            reset = inWindow ? (int)Math.Ceiling((_fixedWindowStart + second - now) / (double)second) : 1;
        }
        var q = ((long)quota).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var r = remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var t = Math.Max(reset, 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (style == "ietf")
        {
            yield return new("RateLimit-Policy", $"\"default\";q={q};w=1");
            yield return new("RateLimit", $"\"default\";r={r};t={t}");
        }
        else
        {
            yield return new("X-RateLimit-Limit", q);
            yield return new("X-RateLimit-Remaining", r);
            yield return new("X-RateLimit-Reset", t);
        }
    }

    private readonly ConcurrentDictionary<(string, int), byte[]> _bodies = new();
    private int _generation;

    /// <summary>How many generations ("nights") have passed; each changes a share (ChangeRate) of the assets.</summary>
    public int Generation => Volatile.Read(ref _generation);

    public int NextGeneration() => Interlocked.Increment(ref _generation);

    /// <summary>How often <paramref name="serial"/> has changed so far: once per generation that drew it.</summary>
    public int VersionOf(string serial)
    {
        var version = 0;
        for (var g = 1; g <= Generation; g++)
        {
            if (Draw(serial, "change" + g.ToString(System.Globalization.CultureInfo.InvariantCulture)) < Options.ChangeRate)
            {
                version++;
            }
        }
        return version;
    }

    /// <summary>The 200 body of <paramref name="serial"/> at <paramref name="version"/>, serialised once.</summary>
    /// <summary>Forgets the bodies built so far: a setting that shapes them changed.</summary>
    public void ClearBodies() => _bodies.Clear();

    private TaskCompletionSource _latencyLowered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the latency is lowered at /_sim/config, so requests waiting out the old one take the new one.</summary>
    public Task LatencyLowered => Volatile.Read(ref _latencyLowered).Task;

    /// <summary>Wakes every request waiting out its latency (the latency was lowered).</summary>
    public void LowerLatency() =>
        Interlocked.Exchange(ref _latencyLowered, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();

    public byte[] BodyBytes(string serial, int version = 0, DateTimeOffset? lastModified = null) =>
        _bodies.GetOrAdd((serial, version), k => System.Text.Encoding.UTF8.GetBytes(Body(k.Item1, k.Item2, lastModified).ToJsonString()));

    /// <summary>
    /// The body as this simulator serves it: its criticality (<see cref="SimulatorOptions.HighShare"/>) and last_modified
    /// (on the simulator's skewed clock, with or without an offset).
    /// </summary>
    public System.Text.Json.Nodes.JsonObject Body(string serial, int version, DateTimeOffset? lastModified)
    {
        var body = AssetGenerator.Body(serial, Options.Seed, version, lastModified);
        body["criticality"] = CriticalityOf(serial, body["criticality"]?.GetValue<string>());
        if (lastModified is { } at)
        {
            var clock = at.AddSeconds(Options.ClockSkewSeconds).UtcDateTime;
            body["last_modified"] = clock.ToString(
                Options.LastModifiedWithoutOffset ? "yyyy-MM-ddTHH:mm:ss.fff" : "yyyy-MM-ddTHH:mm:ss.fffZ",
                System.Globalization.CultureInfo.InvariantCulture
            );
        }
        else if (Options.LastModifiedWithoutOffset && body["last_modified"]?.GetValue<string>() is { } own)
        {
            body["last_modified"] = own.TrimEnd('Z');
        }
        return body;
    }

    /// <summary>An asset's criticality: High for a <see cref="SimulatorOptions.HighShare"/> of the register, the rest Medium and Low alike.</summary>
    public string CriticalityOf(string serial, string? generated = null)
    {
        if (Options.HighShare < 0)
        {
            return generated ?? AssetGenerator.Body(serial, Options.Seed)["criticality"]!.GetValue<string>();
        }
        var draw = new Random(AssetGenerator.StableHash($"{Options.Seed}|criticality|{serial}")).NextDouble();
        return draw < Options.HighShare ? "High"
            : draw < Options.HighShare + ((1 - Options.HighShare) / 2) ? "Medium"
            : "Low";
    }

    /// <summary>The ETag of a version: strong, quoted, and different for every version.</summary>
    public string ETagOf(string serial, int version) => $"\"{AssetGenerator.StableHash($"{Options.Seed}|{serial}|{version}"):x8}-{version}\"";

    public void CountStatus(int status) => _perStatus.AddOrUpdate(status, 1, (_, n) => n + 1);

    public void SetScript(string serial, IReadOnlyList<string> steps, bool repeatLast)
    {
        foreach (var s in steps)
        {
            if (!FaultNames.Contains(s))
            {
                throw new ArgumentException($"Unknown fault '{s}'. Known: {string.Join(", ", FaultNames)}.");
            }
        }
        _scripts[serial] = new ScriptedFault(steps, repeatLast);
    }

    public void SetRandomFaults(string text)
    {
        var rates = ParseRates(text);
        lock (_gate)
        {
            _randomFaults = rates;
        }
    }

    /// <summary>Clears every fault except assets that do not exist (NotFoundRate, and faulty assets whose fault is 404).</summary>
    public void Heal()
    {
        _scripts.Clear();
        lock (_gate)
        {
            _randomFaults = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
            _healed = true;
        }
    }

    private long _bodyBytes;
    private long _viaProxy;
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>An asset request is being served until the returned handle is disposed: counts requests in flight at once.</summary>
    public IDisposable EnterRequest()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
        return new InFlight(this);
    }

    private sealed class InFlight(SimulatorState state) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref state._inFlight);
            }
        }
    }

    /// <summary>Body bytes of asset answers (200s and 304s), to compare the 304 path with the 200 path.</summary>
    public void CountBytes(int bytes) => Interlocked.Add(ref _bodyBytes, bytes);

    /// <summary>An asset request that came through a proxy (it carries a Via header).</summary>
    public void CountViaProxy() => Interlocked.Increment(ref _viaProxy);

    public void ResetStats()
    {
        Interlocked.Exchange(ref _bodyBytes, 0);
        Interlocked.Exchange(ref _viaProxy, 0);
        // The most in flight from now on starts from what is in flight now.
        Volatile.Write(ref _maxInFlight, Volatile.Read(ref _inFlight));
        _perSerial.Clear();
        _perStatus.Clear();
        lock (_firstArrivals)
        {
            _firstArrivals.Clear();
        }
        lock (_gate)
        {
            _arrivals.Clear();
            _throttled.Clear();
            _window.Clear();
            _quotaChangedAt = 0;
            _fixedWindowStart = 0;
            _fixedWindowCount = 0;
        }
    }

    public object Stats()
    {
        long[] arrivals;
        long[] throttled;
        long quotaChangedAt;
        lock (_gate)
        {
            arrivals = [.. _arrivals];
            throttled = [.. _throttled];
            quotaChangedAt = _quotaChangedAt;
        }
        Array.Sort(arrivals);
        // Highest number of arrivals in any half-open one-second window [t, t+1s).
        var max = 0;
        var start = 0;
        for (var end = 0; end < arrivals.Length; end++)
        {
            while (arrivals[end] - arrivals[start] >= Stopwatch.Frequency)
            {
                start++;
            }
            max = Math.Max(max, end - start + 1);
        }
        var span = arrivals.Length > 1 ? (arrivals[^1] - arrivals[0]) / (double)Stopwatch.Frequency : 0;
        return new
        {
            requests = arrivals.Length,
            maxPerSecond = max,
            averagePerSecond = span > 0 ? (arrivals.Length - 1) / span : 0,
            bodyBytes = Interlocked.Read(ref _bodyBytes),
            // Asset requests that carried a Via header: they came through a proxy.
            viaProxy = Interlocked.Read(ref _viaProxy),
            // Asset requests being served at once: now, and the most since start or the last stats reset.
            inFlight = Volatile.Read(ref _inFlight),
            maxInFlight = Volatile.Read(ref _maxInFlight),
            // Timelines in ms from the first arrival, for the rate benchmarks: every arrival, every 429 for the quota, the change.
            arrivalsMs = arrivals.Select(a => Math.Round((a - arrivals[0]) * 1000.0 / Stopwatch.Frequency, 1)).ToArray(),
            throttledMs = throttled
                .Select(a => Math.Round((a - (arrivals.Length > 0 ? arrivals[0] : a)) * 1000.0 / Stopwatch.Frequency, 1))
                .ToArray(),
            quotaChangedAtMs = quotaChangedAt == 0 || arrivals.Length == 0
                ? (double?)null
                : Math.Round((quotaChangedAt - arrivals[0]) * 1000.0 / Stopwatch.Frequency, 1),
            generation = Generation,
            perStatus = _perStatus.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value),
            perSerial = _perSerial.ToDictionary(kv => kv.Key, kv => kv.Value),
            firstArrivals = FirstArrivals(),
        };
    }

    private string[] FirstArrivals()
    {
        lock (_firstArrivals)
        {
            return [.. _firstArrivals];
        }
    }

    private sealed class ScriptedFault(IReadOnlyList<string> steps, bool repeatLast)
    {
        private int _next;

        public string? Next()
        {
            var i = Interlocked.Increment(ref _next) - 1;
            if (i < steps.Count)
            {
                return steps[i];
            }
            return repeatLast && steps.Count > 0 ? steps[^1] : null;
        }
    }
}
