using System.Collections.Concurrent;
using System.Globalization;

namespace AssetSync.Simulator;

/// <summary>
/// Innomaint's assets changing on their own: each asset changes as a Poisson process whose rate is drawn, by the seed, from
/// <see cref="SimulatorOptions.ChangeClasses"/> ("0.01:1d,0.09:30d,0.90:365d": a share of the assets and their mean time
/// between changes). A day lasts <see cref="SimulatorOptions.DaySeconds"/> real seconds, so a benchmark replays months in
/// minutes. Two simulators with the same seed and <see cref="SimulatorOptions.ChangeEpoch"/> change the same assets at the
/// same instants. Each asset's last change before the epoch is drawn too (the process ran before), so the first answer's
/// last_modified is as old as the asset's rate makes it. It remembers the version it last served each asset, for the ground
/// truth: how many assets changed since they were last served.
/// </summary>
public sealed class ChangeProcess
{
    private readonly (double Share, double MeanSeconds)[] _classes;
    private readonly ConcurrentDictionary<string, Timeline> _timelines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _served = new(StringComparer.Ordinal);
    private readonly int _seed;

    public ChangeProcess(SimulatorOptions options, DateTimeOffset startedAt)
    {
        _seed = options.Seed;
        _classes = ParseClasses(options.ChangeClasses, options.DaySeconds);
        Epoch = string.IsNullOrWhiteSpace(options.ChangeEpoch)
            ? startedAt
            : DateTimeOffset.Parse(options.ChangeEpoch, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        DriftAt = options.DriftAtDay > 0 ? Epoch.AddSeconds(options.DriftAtDay * options.DaySeconds) : null;
        ImportedAt = options.ImportedDaysBefore > 0 ? Epoch.AddSeconds(-options.ImportedDaysBefore * options.DaySeconds) : null;
        _driftShare = options.DriftShare;
    }

    private readonly double _driftShare;

    /// <summary>When the changes start (the same for both simulators of a side-by-side run).</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>"share:mean" pairs; the mean is a number with s, m, h or d (a simulated day of <paramref name="daySeconds"/>).</summary>
    public static (double Share, double MeanSeconds)[] ParseClasses(string text, double daySeconds)
    {
        if (daySeconds <= 0)
        {
            throw new ArgumentException($"DaySeconds must be more than 0; it was {daySeconds}.");
        }
        var classes = new List<(double, double)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split(':', 2);
            if (
                kv.Length != 2
                || !double.TryParse(kv[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var share)
                || share <= 0
                || kv[1].Length < 2
                || !double.TryParse(kv[1][..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                || amount <= 0
            )
            {
                throw new ArgumentException($"Bad change class '{part}': use share:mean, e.g. 0.09:30d (s, m, h or d).");
            }
            var unit = kv[1][^1] switch
            {
                's' => daySeconds / 86400,
                'm' => daySeconds / 1440,
                'h' => daySeconds / 24,
                'd' => daySeconds,
                _ => throw new ArgumentException($"Bad change class '{part}': the mean ends in s, m, h or d."),
            };
            classes.Add((share, amount * unit));
        }
        var total = classes.Sum(c => c.Item1);
        if (classes.Count == 0 || Math.Abs(total - 1) > 1e-6)
        {
            throw new ArgumentException(
                $"The change classes' shares must add up to 1; '{text}' adds up to {total.ToString(CultureInfo.InvariantCulture)}."
            );
        }
        return [.. classes];
    }

    /// <summary>When rates drift (<see cref="SimulatorOptions.DriftAtDay"/>), or null.</summary>
    public DateTimeOffset? DriftAt { get; }

    /// <summary>The one date every last change before the epoch is reported at (<see cref="SimulatorOptions.ImportedDaysBefore"/>), or
    /// null.</summary>
    public DateTimeOffset? ImportedAt { get; }

    /// <summary>The asset's mean time between changes at <paramref name="at"/>, in real seconds: after a drift, its new one.</summary>
    public double MeanSecondsOf(string serial, DateTimeOffset at) =>
        DriftAt is { } drift && at >= drift ? DriftedMeanSecondsOf(serial) : MeanSecondsOf(serial);

    /// <summary>The mean after the drift: a share of the slowest class turns as busy as the fastest, and the fastest goes quiet.</summary>
    private double DriftedMeanSecondsOf(string serial)
    {
        var mean = MeanSecondsOf(serial);
        var fastest = _classes.Min(c => c.MeanSeconds);
        var slowest = _classes.Max(c => c.MeanSeconds);
        if (mean == fastest)
        {
            return slowest;
        }
        var slowShare = _classes.Where(c => c.MeanSeconds == slowest).Sum(c => c.Share);
        // Of the slowest class, the share that turns is DriftShare of the whole register.
        return mean == slowest && new Random(AssetGenerator.StableHash($"{_seed}|drift|{serial}")).NextDouble() < _driftShare / slowShare
            ? fastest
            : mean;
    }

    /// <summary>The asset's mean time between changes before any drift, in real seconds.</summary>
    public double MeanSecondsOf(string serial)
    {
        var draw = new Random(AssetGenerator.StableHash($"{_seed}|class|{serial}")).NextDouble();
        var cumulative = 0.0;
        foreach (var (share, mean) in _classes)
        {
            cumulative += share;
            if (draw < cumulative)
            {
                return mean;
            }
        }
        return _classes[^1].MeanSeconds;
    }

    /// <summary>The asset's version (changes since the epoch) and the instant of its last change, at <paramref name="now"/>.</summary>
    public (int Version, DateTimeOffset LastChange) At(string serial, DateTimeOffset now) =>
        _timelines.GetOrAdd(serial, s => new Timeline(this, s)).Advance(now);

    /// <summary>The asset was answered (200 or 304) with this version.</summary>
    public void Served(string serial, int version) => _served[serial] = version;

    /// <summary>The ground truth at <paramref name="now"/> over <paramref name="serials"/>, also by criticality (<paramref
    /// name="criticalityOf"/>).</summary>
    public object Truth(DateTimeOffset now, IEnumerable<string> serials, Func<string, string> criticalityOf)
    {
        long assets = 0,
            served = 0,
            changedSinceServed = 0,
            changes = 0;
        var byCriticality = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var serial in serials)
        {
            assets++;
            var (version, _) = At(serial, now);
            changes += version;
            if (_served.TryGetValue(serial, out var seen))
            {
                served++;
                if (version > seen)
                {
                    changedSinceServed++;
                    var criticality = criticalityOf(serial);
                    byCriticality[criticality] = byCriticality.GetValueOrDefault(criticality) + 1;
                }
            }
        }
        return new
        {
            at = now,
            epoch = Epoch,
            assets,
            served,
            neverServed = assets - served,
            changedSinceServed,
            changes,
            changedSinceServedByCriticality = byCriticality,
        };
    }

    /// <summary>Each asset's true rate now (changes per real second): what an oracle order would know.</summary>
    public Dictionary<string, double> Rates(DateTimeOffset now, IEnumerable<string> serials) =>
        serials.ToDictionary(s => s, s => 1 / MeanSecondsOf(s, now), StringComparer.Ordinal);

    /// <summary>One asset's changes: drawn one at a time from its own seeded generator, so every process draws the same ones.</summary>
    private sealed class Timeline
    {
        private readonly Random _random;
        private double _mean;
        private int _version;
        private DateTimeOffset _last;
        private DateTimeOffset _next;

        public Timeline(ChangeProcess process, string serial)
        {
            _process = process;
            _serial = serial;
            _mean = process.MeanSecondsOf(serial);
            _random = new Random(AssetGenerator.StableHash($"{process._seed}|changes|{serial}"));
            // Backward recurrence: the last change before the epoch is as far back as an exponential wait; after an import,
            // every asset's is the import's date.
            _last = process.ImportedAt ?? process.Epoch - Wait();
            _next = process.Epoch + Wait();
        }

        private readonly ChangeProcess _process;
        private readonly string _serial;
        private bool _drifted;

        private TimeSpan Wait() => TimeSpan.FromSeconds(-Math.Log(1 - _random.NextDouble()) * _mean);

        public (int, DateTimeOffset) Advance(DateTimeOffset now)
        {
            lock (this)
            {
                while (true)
                {
                    // A drift changes the rate from its instant on: the wait in progress is drawn again from there (memoryless).
                    if (!_drifted && _process.DriftAt is { } drift && _next > drift && now >= drift)
                    {
                        _drifted = true;
                        _mean = _process.MeanSecondsOf(_serial, drift);
                        _next = drift + Wait();
                        continue;
                    }
                    if (_next > now)
                    {
                        break;
                    }
                    _version++;
                    _last = _next;
                    _next += Wait();
                }
                return (_version, _last);
            }
        }
    }
}
