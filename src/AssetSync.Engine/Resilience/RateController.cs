using AssetSync.Domain;

namespace AssetSync.Resilience;

/// <summary>
/// The run's request rate, in requests per second.
/// <list type="bullet">
/// <item>Fixed (a number given): that number, a hard ceiling that a quota stated in headers can only lower.</item>
/// <item>Adaptive (<c>Auto</c>), the API states its quota: all of it.</item>
/// <item>Adaptive, no quota stated: probing. It starts from the rate learned for this base URL, or grows from the
/// default (×1.5 a second) until the first 429, then follows a cubic curve around the rate that drew it.</item>
/// </list>
/// </summary>
/// <remarks>
/// Why cubic (TCP CUBIC's shape, RFC 9438, as the AWS SDKs' adaptive mode uses) rather than AIMD: after a cut, AIMD climbs
/// back linearly and averages (1+β)/2 of the limit; the cubic curve climbs fast while far below the rate that drew the 429,
/// flattens near it and only then probes beyond, so nearly all the time is spent just under the quota and 429s are rare.
/// A 429 again near the same rate means the quota is stable, and each such confirmation slows the probing (up to 8×).
/// Answers to requests sent before the last cut say nothing about the new rate and are ignored; a second cut within a
/// second needs a burst of 429s (a quota that dropped), not the one or two a one-second window still holds after a cut.
/// When 429s are a third or more of the last second's answers, a cut never leaves the rate above what the server accepted
/// in that second: that count is then the quota itself, so a quota that drops from 20/s to 8/s is found in one burst
/// instead of nine 0.9x cuts. Fewer refusals than that are no dropped quota: a run's own pacing after a cut, busy records'
/// own 429s or hanging requests also make the accepted count low, and read as the quota they cut a night's rate for nothing.
/// Time comes from a <see cref="TimeProvider"/>, so tests drive the curve with a fake clock. Thread-safe.
/// </remarks>
/// <para>One file of over 400 lines on purpose: the three modes share one lock and one rate, and every rule above
/// reads the same few fields; split apart, each piece would need the others' state.</para>
internal sealed class RateController
{
    /// <summary>A 429 cuts the rate to this share of the rate that drew it (AWS uses 0.7; a gentler cut loses less).</summary>
    internal const double Beta = 0.9;

    /// <summary>
    /// The cubic's steepness, relative to the rate that drew the 429: back at that rate after K = ∛((1−β)/c) ≈ 6.3 s,
    /// 2 % above it about 3.7 s later.
    /// </summary>
    internal const double CubicScale = 0.0004;

    /// <summary>Growth per second before the first 429 (slow start): from 5/s to 20/s in under 4 s.</summary>
    internal const double SlowStartGrowth = 1.5;

    /// <summary>Confirmations of a stable quota each halve the probing speed, up to this many.</summary>
    internal const int MaxConfirmations = 3;

    /// <summary>429s on requests sent after a cut that justify another cut within the same second.</summary>
    internal const int BurstThrottles = 3;

    /// <summary>
    /// The share of the last second's answers that must be 429s before what the server accepted is taken for the quota: a
    /// quota that dropped by a third or more refuses at least this much of what is offered; a drop smaller than that is found
    /// by ordinary cuts, and a few records' own 429s among twenty answers stay well under it.
    /// </summary>
    internal const double DroppedQuotaRefusedShare = 1.0 / 3;

    /// <summary>After a cut to what the server let through, the rate sits this far under it.</summary>
    internal const double LearnedMargin = 0.97;

    /// <summary>
    /// The stored rate sits this far under the ceiling found: the highest rate used in full without a 429, or the rate that
    /// drew the quota's 429s, whichever is lower. Right at the ceiling, the next night would meet the quota's edge in its
    /// first seconds (jitter, a window's phase); far under it, it would start slow for nothing (measured: 0.97 of the
    /// ceiling started the next night at 0.94 of the quota, 0.98 keeps it above 0.95).
    /// </summary>
    internal const double StoredMargin = 0.98;

    /// <summary>Never slower than one request every 20 s: a run must still end.</summary>
    internal const double MinimumRate = 0.05;

    /// <summary>
    /// 429s from this many distinct assets within <see cref="QuotaWindow"/> are the quota speaking; fewer are the assets'
    /// own answers (an asset's 429 is retried after its Retry-After and moves nothing). With 2 % of assets answering 429
    /// at 17/s, three distinct ones fall in one 2 s window about once in 30 windows; a quota overrun by 10 % gives them within one.
    /// </summary>
    internal const int QuotaThrottleAssets = 3;

    /// <summary>The window in which <see cref="QuotaThrottleAssets"/> distinct assets' 429s are counted.</summary>
    internal static readonly TimeSpan QuotaWindow = TimeSpan.FromSeconds(2);

    /// <summary>Probing alone never stores a rate below the seed's 5/s: a bad night must not slow every night after it.</summary>
    internal const double MinimumStoredRate = 5;

    /// <summary>In one run, probing never stores less than this share of the rate the run started from.</summary>
    internal const double StoredFloorShare = 0.5;

    private enum Phase
    {
        Fixed,
        SlowStart,
        Cubic,
    }

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly long _second;
    private readonly double _ceiling;
    private readonly double _start;
    private readonly Action<RateChange> _changed;
    private readonly Queue<long> _recentGrants = new();
    private readonly Queue<long> _accepted = new();
    private readonly Queue<long> _refused = new();
    private readonly Queue<(long At, string Serial)> _recentThrottles = new();

    /// <summary>Every 429 of the run, for telling the quota's from an asset's own (apart from the rate's cut bookkeeping).</summary>
    private readonly Queue<(long At, string Serial)> _allThrottles = new();
    private long _firstAnswer = long.MinValue;
    private readonly bool _nothingStored;

    private Phase _phase;
    private long _epoch;
    private double? _stated;
    private double? _wMax;
    private double _cutTo;
    private int _confirmations;
    private long _lastCut = long.MinValue;
    private int _throttlesSinceCut;
    private double? _lastDrew;
    private double _reported;
    private long _lastReport;

    // One-second buckets of grants, to learn the highest rate that was used in full and drew no 429.
    private readonly List<Bucket> _closed = [];
    private Bucket _bucket;
    private double _learnedClean;

    /// <param name="time">The run's clock.</param>
    /// <param name="rate">The setting: a fixed number, or adaptive.</param>
    /// <param name="start">Adaptive only: the rate when nothing is stored (the default 5/s, or a number given as the start).</param>
    /// <param name="stored">Adaptive only: what an earlier run learned for this base URL.</param>
    /// <param name="changed">Told of each change of the rate, with why.</param>
    public RateController(TimeProvider time, RequestRate rate, double start, LearnedRate? stored, Action<RateChange>? changed = null)
    {
        _time = time;
        _second = time.TimestampFrequency;
        _changed = changed ?? (_ => { });
        Adaptive = rate.IsAuto;
        _ceiling = rate.PerSecond ?? double.PositiveInfinity;
        var now = time.GetTimestamp();
        _bucket = new Bucket(now);
        string detail;
        if (!Adaptive)
        {
            _phase = Phase.Fixed;
            _start = _ceiling;
            detail = double.IsPositiveInfinity(_ceiling)
                ? "no limit (-RequestsPerSecond was given as unlimited)"
                : "fixed (-RequestsPerSecond); rate-limit headers can only lower it";
        }
        else if (stored is { } s && s.RequestsPerSecond >= MinimumRate)
        {
            // Trusted as a stable quota: start on the plateau of the curve, probing beyond it slowly.
            _start = s.RequestsPerSecond;
            _phase = Phase.Cubic;
            _wMax = _start;
            _cutTo = _start * Beta;
            _confirmations = MaxConfirmations;
            _epoch = now - (long)(CubicK() * _second);
            detail = $"learned for this base URL on {s.LearnedAt:u} ({s.Source}); probing beyond it slowly (-RequestsPerSecond Auto)";
        }
        else
        {
            _start = Math.Max(start, MinimumRate);
            _phase = Phase.SlowStart;
            _nothingStored = true;
            _epoch = now;
            detail = "nothing learned for this base URL yet; growing until the first 429 (-RequestsPerSecond Auto)";
        }
        _reported = _start;
        _lastReport = now;
        _changed(new RateChange(_start, null, RateChangeReason.Start, detail));
    }

    /// <summary>True for -RequestsPerSecond Auto.</summary>
    public bool Adaptive { get; }

    /// <summary>The rate now, in requests per second (PositiveInfinity: no limit).</summary>
    public double Current
    {
        get
        {
            lock (_gate)
            {
                var now = _time.GetTimestamp();
                var rate = RateAt(now);
                ReportGrowth(rate, now);
                return rate;
            }
        }
    }

    /// <summary>A request was let through now.</summary>
    public void Granted()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var rate = RateAt(now);
            _recentGrants.Enqueue(now);
            if (now - _bucket.Start >= _second)
            {
                _closed.Add(_bucket with { End = now });
                _bucket = new Bucket(now);
                ConfirmBuckets(now - (3 * _second));
            }
            _bucket.Grants++;
            _bucket.MinRate = Math.Min(_bucket.MinRate, rate);
        }
    }

    /// <summary>
    /// An answer arrived for a request let through at <paramref name="sentAt"/> (a timestamp of the run's clock):
    /// <paramref name="throttled"/> for a 429, and the quota its headers stated, if any. <paramref name="serial"/> names the
    /// asset asked about: only 429s from several distinct assets (or headers saying the window is spent) move the rate.
    /// <paramref name="assetsOwn"/>: a 429 of an asset that met one before and has seen others get through since (a busy
    /// record, as far as anyone can tell): no word on the quota, so it neither moves the rate nor counts in its share.
    /// </summary>
    /// <returns>
    /// True when the answer is the quota's 429 rather than the asset's own: the headers say the window is spent, or 429s of
    /// <see cref="QuotaThrottleAssets"/> distinct assets fell within <see cref="QuotaWindow"/>. Whatever the rate setting.
    /// </returns>
    public ThrottleCause Answered(
        long sentAt,
        bool throttled,
        double? statedQuota,
        string? quotaHeader = null,
        string? serial = null,
        bool windowSpent = false,
        bool assetsOwn = false
    )
    {
        if (throttled && assetsOwn && !windowSpent)
        {
            // Busy records come back again and again: counted as the quota's, a few of them at once would cut the rate for nothing.
            return ThrottleCause.Asset;
        }
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var window = (long)(QuotaWindow.TotalSeconds * _second);
            while (_recentAnswers.Count > 0 && now - _recentAnswers.Peek().At > window)
            {
                var old = _recentAnswers.Dequeue();
                _recentThrottled -= old.Throttled ? 1 : 0;
            }
            _recentAnswers.Enqueue((now, throttled));
            _recentThrottled += throttled ? 1 : 0;
            var cause =
                !throttled ? ThrottleCause.None
                : windowSpent ? ThrottleCause.SpentWindow
                : DistinctAssetsThrottled(_allThrottles, now, serial) ? ThrottleCause.ManyAssets
                : ThrottleCause.Asset;
            AnsweredLocked(sentAt, throttled, statedQuota, quotaHeader, serial, windowSpent);
            return cause;
        }
    }

    private readonly Queue<(long At, bool Throttled)> _recentAnswers = new();
    private int _recentThrottled;

    /// <summary>
    /// The share of answers within <see cref="QuotaWindow"/> that were 429s: how likely a request is to meet a full window now.
    /// An asset met by the quota's 429 k times in a row, when this share to the k-th power is tiny, is not meeting the quota
    /// but answering 429 of its own.
    /// </summary>
    public double ThrottledShare
    {
        get
        {
            lock (_gate)
            {
                return _recentAnswers.Count == 0 ? 0 : (double)_recentThrottled / _recentAnswers.Count;
            }
        }
    }

    private void AnsweredLocked(long sentAt, bool throttled, double? statedQuota, string? quotaHeader, string? serial, bool windowSpent)
    {
        {
            var now = _time.GetTimestamp();
            if (statedQuota is { } q && q > 0 && (_stated is not { } known || Math.Abs(known - q) > 1e-9))
            {
                var before = RateAt(now);
                _stated = q;
                var after = RateAt(now);
                Report(
                    after,
                    before,
                    RateChangeReason.Stated,
                    Adaptive ? $"Innomaint states a quota of {RateChange.Format(q)}/s ({quotaHeader ?? "rate-limit headers"}); using all of it"
                        : after < before
                            ? $"Innomaint states a quota of {RateChange.Format(q)}/s ({quotaHeader ?? "rate-limit headers"}), below "
                                + $"-RequestsPerSecond"
                        : $"Innomaint states a quota of {RateChange.Format(q)}/s ({quotaHeader ?? "rate-limit headers"}); -RequestsPerSecond "
                            + $"stays the ceiling",
                    now
                );
            }
            if (_firstAnswer == long.MinValue)
            {
                _firstAnswer = now;
            }
            if (!throttled)
            {
                _accepted.Enqueue(now);
                InLastSecond(_accepted, now);
                return;
            }
            _refused.Enqueue(now);
            InLastSecond(_refused, now);
            // A 429 taints the buckets its one-second window covers: those rates were not clean.
            var windowStart = sentAt - _second;
            foreach (var b in _closed)
            {
                if (b.End > windowStart)
                {
                    b.Tainted = true;
                }
            }
            if (_bucket.Start <= now)
            {
                _bucket.Tainted = true;
            }
            if (!Adaptive || sentAt <= _lastCut)
            {
                return;
            }
            if (!windowSpent && !QuotaSpeaks(now, serial))
            {
                // One asset's own 429 (or two): it is retried after its Retry-After; the rate stays.
                return;
            }
            _throttlesSinceCut++;
            var rapid = _lastCut != long.MinValue && now - _lastCut < _second;
            if (rapid && _throttlesSinceCut < BurstThrottles)
            {
                return;
            }
            Cut(now, rapid);
        }
    }

    /// <summary>
    /// What this run learned, to store for the next: the quota the API stated, or just under the highest rate used in full
    /// without drawing a 429 (and a little under the last rate that did); on a first run that used no rate cleanly, just under
    /// its last cut. Null when nothing was learned (fixed rate, no headers; a run from a stored rate that used none cleanly; or
    /// too short a run).
    /// </summary>
    public LearnedRate? Learned()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_stated is { } q)
            {
                return new LearnedRate(q, LearnedRate.FromHeaders, _time.GetUtcNow());
            }
            if (!Adaptive)
            {
                return null;
            }
            // Every answer is in: each bucket's verdict is final.
            if (now - _bucket.Start >= _second / 2)
            {
                _closed.Add(_bucket with { End = now });
                _bucket = new Bucket(now);
            }
            ConfirmBuckets(long.MaxValue);
            var learned = _learnedClean * StoredMargin;
            if (_lastDrew is { } drew)
            {
                // A first run whose every second met a 429 (a client on a busy machine sends in bursts after each stall) used
                // no rate cleanly, but the quota spoke: it stores just under where the cut left the rate rather than nothing,
                // so the next night does not start from the default again. With a rate stored, a night like that keeps it.
                learned = _learnedClean == 0 && _nothingStored ? drew * Beta * StoredMargin : Math.Min(learned, drew * StoredMargin);
            }
            // A bad night (a quota that dropped for a while, throttles that were not the quota's) must not slow every night
            // after it: in one run, probing keeps at least half of where it started; below the seed's rate it stores nothing.
            if (learned < MinimumRate)
            {
                // Nothing learned (too short a run): the stored rate stays as it is.
                return null;
            }
            learned = Math.Max(learned, _start * StoredFloorShare);
            return learned >= MinimumStoredRate ? new LearnedRate(Math.Round(learned, 3), LearnedRate.FromProbing, _time.GetUtcNow()) : null;
        }
    }

    /// <summary>Records a 429 of <paramref name="serial"/>; true when 429s of <see cref="QuotaThrottleAssets"/> distinct assets fell within <see
    /// cref="QuotaWindow"/>.</summary>
    private bool QuotaSpeaks(long now, string? serial) => DistinctAssetsThrottled(_recentThrottles, now, serial);

    /// <summary>Records a 429 of <paramref name="serial"/> in <paramref name="recent"/>; true when it now holds 429s of <see
    /// cref="QuotaThrottleAssets"/> distinct assets within <see cref="QuotaWindow"/>.</summary>
    private bool DistinctAssetsThrottled(Queue<(long At, string Serial)> recent, long now, string? serial)
    {
        var window = (long)(QuotaWindow.TotalSeconds * _second);
        while (recent.Count > 0 && now - recent.Peek().At > window)
        {
            recent.Dequeue();
        }
        recent.Enqueue((now, serial ?? $"#{now}"));
        if (recent.Count < QuotaThrottleAssets)
        {
            return false;
        }
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, s) in recent)
        {
            distinct.Add(s);
        }
        return distinct.Count >= QuotaThrottleAssets;
    }

    private void Cut(long now, bool rapid)
    {
        var drew = RateAt(now);
        // A 429 again near the rate that drew the last one: the quota is stable, so probe beyond it more slowly.
        _confirmations =
            _wMax is { } previous && Math.Abs(drew - previous) <= 0.1 * previous && !rapid ? Math.Min(_confirmations + 1, MaxConfirmations) : 0;
        // What the server let through in the last second: the quota, while it refuses much of what is offered. Known only
        // after a second of answers, and only from a second in which most of what was sent came back: while requests hang,
        // the few answers that come say little of what the server would let through.
        var accepted = InLastSecond(_accepted, now);
        var refused = InLastSecond(_refused, now);
        var answered = accepted + refused;
        double? shown =
            _firstAnswer != long.MinValue
            && now - _firstAnswer >= _second
            && answered >= 0.5 * InLastSecond(_recentGrants, now)
            && refused >= DroppedQuotaRefusedShare * answered
                ? Math.Max(accepted, MinimumRate)
                : null;
        string detail;
        if (shown is { } seen && seen < Beta * drew)
        {
            // Never below half the rate that drew it in one cut: answers that are slow to come (hanging requests) make
            // the count low without any quota having dropped; a real drop is found in two cuts instead of one.
            var quota = Math.Max(seen, drew / 2);
            // Far below the rate that drew it: the quota is what the server shows; sit just under it, then probe beyond it.
            _wMax = quota;
            _cutTo = quota * LearnedMargin;
            detail =
                $"429s from several assets at {RateChange.Format(drew)}/s, and Innomaint let only {seen:0} requests through in the last second, "
                + $"refusing {refused} (the quota dropped?)";
        }
        else
        {
            _wMax = drew;
            _cutTo = drew * Beta;
            detail = rapid
                ? $"429s keep coming at {RateChange.Format(drew)}/s; cut again"
                : $"429s from several assets at {RateChange.Format(drew)}/s; cut to {Beta:0.##}x, then back towards it along a cubic curve";
        }
        // The ceiling stored for the next night is where the 429s came, whichever branch set the rate now. What the server
        // let through is only a guess at a dropped quota (hanging requests also make it low); a quota that really dropped
        // draws the next 429s near its new level, and that cut lowers the ceiling. A rapid cut answers the same burst as the
        // cut before it, so the ceiling is still where that burst began.
        _lastDrew = rapid && _lastDrew is { } before ? Math.Max(before, drew) : drew;
        _phase = Phase.Cubic;
        _epoch = now;
        _lastCut = now;
        _throttlesSinceCut = 0;
        Report(RateAt(now), drew, RateChangeReason.Throttled, detail, now);
    }

    private double RateAt(long now)
    {
        var rate = _phase switch
        {
            Phase.Fixed => _ceiling,
            Phase.SlowStart => _start * Math.Pow(SlowStartGrowth, (now - _epoch) / (double)_second),
            _ => Cubic(now),
        };
        if (_phase != Phase.Fixed)
        {
            // Growth only where the rate is used: a run held back by latency or by a small batch must not
            // reach a rate it never tried, then burst at it. Never below where the curve stands for a known quota.
            var used = (2.0 * InLastSecond(_recentGrants, now)) + 2;
            var floor = _phase == Phase.SlowStart ? _start : Math.Min(_wMax ?? _start, rate);
            rate = Math.Min(rate, Math.Max(used, floor));
        }
        if (_stated is { } stated)
        {
            // Adaptive: all of the stated quota, and no probing past it. Fixed: headers only lower the number.
            rate = Adaptive && _lastCut == long.MinValue ? stated : Math.Min(rate, stated);
        }
        return Math.Max(Math.Min(rate, _ceiling), MinimumRate);
    }

    /// <summary>The cubic's coefficient: steepness relative to the plateau, halved by each confirmation of a stable quota.</summary>
    /// <summary>Drops the timestamps older than a second from <paramref name="times"/>; returns how many remain.</summary>
    private int InLastSecond(Queue<long> times, long now)
    {
        while (times.Count > 0 && now - times.Peek() > _second)
        {
            times.Dequeue();
        }
        return times.Count;
    }

    private double CubicC() => CubicScale / (1 << _confirmations) * _wMax!.Value;

    /// <summary>Seconds from the cut to the plateau: where the curve, starting at the cut rate, is back at the rate that drew it.</summary>
    private double CubicK() => Math.Cbrt(Math.Max(_wMax!.Value - _cutTo, 0) / CubicC());

    private double Cubic(long now)
    {
        var t = (now - _epoch) / (double)_second - CubicK();
        return _wMax!.Value + (CubicC() * t * t * t);
    }

    /// <summary>Probing growth is told when it has moved the rate by a tenth since the last word, at most once a second.</summary>
    private void ReportGrowth(double rate, long now)
    {
        if (_phase == Phase.Fixed || now - _lastReport < _second || Math.Abs(rate - _reported) < 0.1 * _reported)
        {
            return;
        }
        var why =
            _phase == Phase.SlowStart ? "no 429 yet; growing until the first"
            : rate < (_wMax ?? 0) ? $"no 429 since the cut; back towards {RateChange.Format(_wMax!.Value)}/s"
            : $"no 429 at {RateChange.Format(_wMax ?? rate)}/s; probing beyond it";
        Report(rate, _reported, RateChangeReason.Probe, why, now);
    }

    private void Report(double rate, double previous, RateChangeReason reason, string detail, long now)
    {
        _reported = rate;
        _lastReport = now;
        _changed(new RateChange(rate, previous, reason, detail));
    }

    private void ConfirmBuckets(long before)
    {
        for (var i = _closed.Count - 1; i >= 0; i--)
        {
            var b = _closed[i];
            if (b.End > before)
            {
                continue;
            }
            var seconds = (b.End - b.Start) / (double)_second;
            // Used in full: as many grants as the rate allowed (the pacing keeps 1 % headroom), so the rate was the limit.
            if (!b.Tainted && b.Grants >= 0.9 * b.MinRate * seconds && double.IsFinite(b.MinRate))
            {
                // What the second proved is the rate it sent at, not the rate it was allowed: a client slowed by a busy machine
                // sends up to a tenth under its allowance, and crediting the allowance stored 31.1/s for a quota of 30.
                var sent = b.Grants / seconds * RequestGate.Headroom;
                _learnedClean = Math.Max(_learnedClean, Math.Min(b.MinRate, sent));
            }
            _closed.RemoveAt(i);
        }
    }

    private sealed record Bucket(long Start)
    {
        public long End { get; init; }

        public int Grants { get; set; }

        public double MinRate { get; set; } = double.PositiveInfinity;

        public bool Tainted { get; set; }
    }
}
