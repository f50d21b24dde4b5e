using AssetSync.Domain;
using AssetSync.Resilience;
using AssetSync.Storage;
using Microsoft.Extensions.Time.Testing;

namespace AssetSync.Tests.Resilience;

/// <summary>The rate's shape on a fake clock: a fixed ceiling, slow start, cuts, the cubic return, stated quotas, what is learned.</summary>
public class RateControllerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<RateChange> _changes = [];

    private RateController Create(RequestRate rate, double start = 5, LearnedRate? stored = null) =>
        new(_time, rate, start, stored, c => _changes.Add(c));

    /// <summary>
    /// Runs the clock on for <paramref name="seconds"/>, granting at the controller's rate (as a busy run does), or at
    /// <paramref name="share"/> of it (a client slowed by a busy machine).
    /// </summary>
    private void Use(RateController rate, double seconds, bool answer = true, double share = 1)
    {
        var end = _time.GetTimestamp() + (long)(seconds * _time.TimestampFrequency);
        while (_time.GetTimestamp() < end)
        {
            var r = rate.Current;
            rate.Granted();
            var sent = _time.GetTimestamp();
            _time.Advance(TimeSpan.FromSeconds(1.01 / (r * share)));
            if (answer)
            {
                rate.Answered(sent, throttled: false, statedQuota: null);
            }
        }
    }

    private int _serial;

    /// <summary>429s for <paramref name="assets"/> distinct assets, each for a request sent at <paramref name="sent"/>: the quota speaking.</summary>
    private void Throttle(RateController rate, long sent, int assets = RateController.QuotaThrottleAssets)
    {
        for (var i = 0; i < assets; i++)
        {
            rate.Answered(sent, throttled: true, null, serial: $"INF-{++_serial:000000}");
        }
    }

    [Fact]
    public void A_fixed_rate_is_a_ceiling_that_only_a_lower_stated_quota_moves_and_429s_do_not_cut()
    {
        var rate = Create(RequestRate.Fixed(5));
        Assert.Equal(5, rate.Current);
        rate.Answered(_time.GetTimestamp(), false, statedQuota: 20, "RateLimit-Policy");
        Assert.Equal(5, rate.Current);
        rate.Answered(_time.GetTimestamp(), false, statedQuota: 3, "X-RateLimit-Limit");
        Assert.Equal(3, rate.Current);
        _time.Advance(TimeSpan.FromSeconds(1));
        rate.Answered(_time.GetTimestamp(), throttled: true, null);
        Assert.Equal(3, rate.Current);
        Assert.Equal(RateChangeReason.Start, _changes[0].Reason);
        Assert.Contains(_changes, c => c.Reason == RateChangeReason.Stated && c.RequestsPerSecond == 3);
        // Fixed and told nothing but a quota: the quota is what was learned.
        Assert.Equal((3.0, LearnedRate.FromHeaders), (rate.Learned()!.RequestsPerSecond, rate.Learned()!.Source));
        Assert.Null(Create(RequestRate.Fixed(5)).Learned());
    }

    [Fact]
    public void Auto_without_anything_stored_grows_from_the_start_rate_while_the_rate_is_used()
    {
        var rate = Create(RequestRate.Auto, start: 5);
        Assert.Equal(5, rate.Current);
        Use(rate, 2);
        Assert.InRange(rate.Current, 5 * 1.5 * 1.5 * 0.95, 5 * 1.5 * 1.5 * 1.05);
        Assert.Contains(_changes, c => c.Reason == RateChangeReason.Probe);
    }

    [Fact]
    public void Growth_needs_use_a_run_held_back_elsewhere_does_not_reach_a_rate_it_never_tried()
    {
        var rate = Create(RequestRate.Auto, start: 5);
        // One request a second, whatever the rate allows: ten seconds of slow start would be 5 x 1.5^10 = 288/s.
        for (var i = 0; i < 10; i++)
        {
            rate.Granted();
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(rate.Current, 4.99, 5.01);
    }

    [Fact]
    public void Throttles_of_several_assets_cut_to_0_9x_of_the_rate_that_drew_it_and_the_cubic_brings_it_back_then_beyond()
    {
        var rate = Create(RequestRate.Auto, start: 20);
        Use(rate, 0.5);
        var drew = rate.Current;
        var sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Throttle(rate, sent);
        Assert.InRange(rate.Current, (drew * RateController.Beta) - 0.2, (drew * RateController.Beta) + 0.2);
        var cut = _changes[^1];
        Assert.Equal(RateChangeReason.Throttled, cut.Reason);
        Assert.Contains("429", cut.Detail, StringComparison.Ordinal);

        // K = cbrt((1 - beta) / c) = 6.3 s: back at the rate that drew it, flat around it, then beyond.
        Use(rate, 3);
        var climbing = rate.Current;
        Assert.InRange(climbing, drew * 0.95, drew);
        Use(rate, 3.3);
        Assert.InRange(rate.Current, drew * 0.995, drew * 1.005);
        Use(rate, 6);
        Assert.True(rate.Current > drew * 1.05, $"{rate.Current} after 12 s; drew {drew}");
    }

    [Fact]
    public void Answers_to_requests_sent_before_a_cut_and_a_lone_429_after_it_do_not_cut_again_but_a_burst_does()
    {
        var rate = Create(RequestRate.Auto, start: 20);
        Use(rate, 2);
        var before = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Throttle(rate, before);
        var afterCut = rate.Current;
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Throttle(rate, before); // sent before the cut: says nothing new
        Assert.InRange(rate.Current, afterCut, afterCut * 1.01);
        var sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Throttle(rate, sent, 1); // one 429 after the cut: one asset's own (the cubic climbs steeply right after a cut)
        Assert.InRange(rate.Current, afterCut, afterCut * 1.02);
        Throttle(rate, sent, 2); // a third asset within the window: a burst, the quota dropped
        Assert.True(rate.Current < afterCut * 0.95, $"{rate.Current} vs {afterCut}");
    }

    /// <summary>
    /// Runs the clock on for <paramref name="seconds"/>, granting at the controller's rate, against a server that lets
    /// <paramref name="quota"/> requests through in each second of its clock and answers the rest 429, each for another asset.
    /// </summary>
    private void Serve(RateController rate, double quota, double seconds)
    {
        var end = _time.GetTimestamp() + (long)(seconds * _time.TimestampFrequency);
        var window = -1L;
        var taken = 0;
        while (_time.GetTimestamp() < end)
        {
            var r = rate.Current;
            rate.Granted();
            var sent = _time.GetTimestamp();
            _time.Advance(TimeSpan.FromSeconds(1.01 / r));
            var second = sent / _time.TimestampFrequency;
            (window, taken) = second == window ? (window, taken) : (second, 0);
            var accepted = ++taken <= quota;
            rate.Answered(sent, throttled: !accepted, null, serial: accepted ? null : $"INF-{++_serial:000000}");
        }
    }

    [Fact]
    public void A_quota_that_drops_is_found_in_a_burst_from_what_the_server_accepted_while_it_refuses_a_third_or_more()
    {
        var rate = Create(RequestRate.Auto, start: 5, new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1)));
        Use(rate, 3);
        // The quota drops from 20 to 8 a second: most of what is offered is refused.
        Serve(rate, quota: 8, seconds: 2.5);
        Assert.InRange(rate.Current, 5, 8.5);
        var dropped = _changes.Where(c => c.Reason == RateChangeReason.Throttled).ToList();
        Assert.Contains(dropped, c => c.Detail.Contains("(the quota dropped?)", StringComparison.Ordinal));
        // Nine 0.9x cuts would be needed to get from 20 to 8; what the server accepted gets there in a few.
        Assert.InRange(dropped.Count, 1, 5);
        // What is stored stays under where the 429s came, and never under half the start in one run.
        var learned = rate.Learned()!;
        Assert.Equal(LearnedRate.FromProbing, learned.Source);
        Assert.InRange(learned.RequestsPerSecond, 10, (20 * RateController.StoredMargin) + 0.01);
    }

    [Fact]
    public void One_asset_s_429s_do_not_move_the_rate_however_often_they_come()
    {
        var rate = Create(RequestRate.Auto, start: 20);
        Use(rate, 2);
        var before = rate.Current;
        for (var i = 0; i < 20; i++)
        {
            // The same asset, and then a second one: never three distinct assets within two seconds.
            var sent = _time.GetTimestamp();
            _time.Advance(TimeSpan.FromMilliseconds(10));
            rate.Answered(sent, throttled: true, null, serial: i % 2 == 0 ? "INF-000001" : "INF-000002");
        }
        Assert.True(rate.Current >= before, $"{rate.Current} vs {before}");
        Assert.DoesNotContain(_changes, c => c.Reason == RateChangeReason.Throttled);
        // Three distinct assets, but spread wider than the window: still the assets' own.
        Use(rate, RateController.QuotaWindow.TotalSeconds + 0.1);
        foreach (var serial in new[] { "INF-000010", "INF-000011", "INF-000012" })
        {
            var sent = _time.GetTimestamp();
            rate.Answered(sent, throttled: true, null, serial: serial);
            Use(rate, RateController.QuotaWindow.TotalSeconds + 0.1);
        }
        Assert.DoesNotContain(_changes, c => c.Reason == RateChangeReason.Throttled);
    }

    [Fact]
    public void Busy_records_met_again_after_others_got_through_never_cut_the_rate_nor_count_in_the_share()
    {
        var rate = Create(RequestRate.Auto, start: 20);
        Use(rate, 2);
        var before = rate.Current;
        // Three distinct assets within the window, each a 429 the asset met again after others got through (issue 38):
        // what the fetcher reports of a busy record's second and later 429s.
        var sent = _time.GetTimestamp();
        foreach (var serial in new[] { "INF-000010", "INF-000011", "INF-000012", "INF-000013" })
        {
            Assert.Equal(ThrottleCause.Asset, rate.Answered(sent, throttled: true, null, serial: serial, assetsOwn: true));
        }
        Assert.DoesNotContain(_changes, c => c.Reason == RateChangeReason.Throttled);
        Assert.True(rate.Current >= before, $"{rate.Current} vs {before}");
        Assert.Equal(0, rate.ThrottledShare);
        // The same three as first 429s are the quota's: the rate is cut.
        Throttle(rate, sent);
        Assert.Contains(_changes, c => c.Reason == RateChangeReason.Throttled);
    }

    [Fact]
    public void Headers_saying_the_window_is_spent_make_one_429_a_quota_signal()
    {
        var rate = Create(RequestRate.Auto, start: 20);
        Use(rate, 1);
        var sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        rate.Answered(sent, throttled: true, null, serial: "INF-000001", windowSpent: true);
        Assert.Equal(RateChangeReason.Throttled, _changes[^1].Reason);
    }

    [Fact]
    public void Probing_stores_nothing_below_5_per_second_and_never_less_than_half_the_start_in_one_run()
    {
        // Started from 2/s (given), throttled down: nothing stored at all, the old value stays.
        var slow = Create(RequestRate.Auto, start: 2);
        Use(slow, 1.5);
        Throttle(slow, _time.GetTimestamp());
        Use(slow, 1.5);
        Assert.Null(slow.Learned());

        // Started from a stored 20/s and cut hard: what is stored is at least 10/s.
        var stored = new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow);
        var rate = Create(RequestRate.Auto, stored: stored);
        for (var i = 0; i < 16; i++)
        {
            // Clean seconds between the cuts: something is learned, lower each time.
            Use(rate, 2.5);
            Throttle(rate, _time.GetTimestamp());
        }
        Use(rate, 2.5);
        Assert.True(rate.Current < 10, $"the run's own rate may go lower: {rate.Current}");
        Assert.Equal(10, rate.Learned()!.RequestsPerSecond, 3);
    }

    [Fact]
    public void A_first_run_whose_every_second_met_a_429_stores_just_under_the_cut_and_a_stored_rate_is_kept()
    {
        // Nothing stored: 429s every half second taint every bucket, so no rate was used cleanly.
        var rate = Create(RequestRate.Auto, start: 20);
        var drew = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            Use(rate, 0.5);
            drew.Add(rate.Current);
            Throttle(rate, _time.GetTimestamp() - 1);
        }
        var learned = rate.Learned()!;
        Assert.Equal(LearnedRate.FromProbing, learned.Source);
        Assert.InRange(
            learned.RequestsPerSecond,
            drew.Min() * RateController.Beta * 0.95,
            drew.Max() * RateController.Beta * RateController.StoredMargin
        );

        // The same night from a stored rate stores nothing: the stored rate stays as it is.
        var stored = Create(RequestRate.Auto, stored: new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow));
        for (var i = 0; i < 8; i++)
        {
            Use(stored, 0.5);
            Throttle(stored, _time.GetTimestamp() - 1);
        }
        Assert.Null(stored.Learned());
    }

    [Fact]
    public void Auto_uses_a_stated_quota_whole_at_once()
    {
        var rate = Create(RequestRate.Auto, start: 5);
        rate.Answered(_time.GetTimestamp(), false, statedQuota: 40, "RateLimit-Policy");
        Assert.Equal(40, rate.Current);
        Use(rate, 5);
        Assert.Equal(40, rate.Current); // no probing past a stated quota
        var learned = rate.Learned()!;
        Assert.Equal((40.0, LearnedRate.FromHeaders), (learned.RequestsPerSecond, learned.Source));
        Assert.Contains(_changes, c => c.Reason == RateChangeReason.Stated && c.Detail.Contains("using all of it", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stored_rate_is_the_start_and_probing_beyond_it_is_slow()
    {
        var stored = new LearnedRate(19.5, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1));
        var rate = Create(RequestRate.Auto, start: 5, stored);
        Assert.Equal(19.5, rate.Current, 3);
        Assert.Contains("learned for this base URL", _changes[0].Detail, StringComparison.Ordinal);
        Use(rate, 5);
        Assert.InRange(rate.Current, 19.5, 19.5 * 1.02);
    }

    [Fact]
    public void What_is_learned_is_the_highest_rate_used_in_full_without_a_429_kept_under_the_one_that_drew_it()
    {
        var rate = Create(RequestRate.Auto, start: 10);
        Use(rate, 3);
        var sent = _time.GetTimestamp();
        var drew = rate.Current;
        Throttle(rate, sent);
        Use(rate, 8);
        var learned = rate.Learned()!;
        Assert.Equal(LearnedRate.FromProbing, learned.Source);
        Assert.InRange(learned.RequestsPerSecond, 10, drew * RateController.StoredMargin + 0.001);
    }

    [Fact]
    public void A_second_sent_under_its_allowance_proves_the_rate_it_sent_at_not_the_one_it_was_allowed()
    {
        // Allowed 30/s and more, a client on a busy machine sends at 92 % of it (still "used in full"), with no 429: the
        // quota is only known to take what was sent. Crediting the allowance stored 31.1/s for a hidden quota of 30.
        var stored = new LearnedRate(30, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1));
        var rate = Create(RequestRate.Auto, start: 5, stored);
        Use(rate, 6, share: 0.92);
        var allowed = rate.Current;
        var learned = rate.Learned()!.RequestsPerSecond;
        Assert.InRange(learned, 0.9 * 30 * RateController.StoredMargin, 0.93 * allowed * RateController.StoredMargin);
    }

    [Fact]
    public void The_stored_rate_sits_just_under_the_ceiling_found_never_at_it()
    {
        // Started from a stored 20/s that ran clean all night: the next night starts just under it (at least 0.95 of it,
        // so it is not slower for nothing), not right at the edge where its first seconds would draw 429s.
        var stored = new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1));
        var rate = Create(RequestRate.Auto, start: 5, stored);
        Use(rate, 6);
        var ceiling = rate.Current;
        var learned = rate.Learned()!.RequestsPerSecond;
        Assert.InRange(learned, 0.95 * 20, ceiling * RateController.StoredMargin + 0.001);
        Assert.True(learned < ceiling, $"{learned} stored for a clean ceiling of {ceiling}");
    }

    [Fact]
    public void A_rapid_second_cut_lowers_the_rate_but_not_the_ceiling_that_is_stored()
    {
        // From a stored 20/s, used in full: the first cut is at the ceiling the quota shows.
        var rate = Create(RequestRate.Auto, start: 5, new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1)));
        Use(rate, 3);
        var drew = rate.Current;
        var sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Throttle(rate, sent);
        var afterFirst = rate.Current;
        // More 429s within the same second, on requests sent after the cut: a rapid cut.
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Throttle(rate, _time.GetTimestamp() - 1, RateController.BurstThrottles + 3);
        Assert.True(rate.Current < afterFirst, $"the second cut lowers the rate now: {rate.Current} after {afterFirst}");
        Use(rate, 10);
        Assert.InRange(
            rate.Learned()!.RequestsPerSecond,
            (drew * RateController.StoredMargin * 0.98) - 0.01,
            drew * RateController.StoredMargin + 0.001
        );
    }

    [Fact]
    public void Few_answers_and_few_refusals_at_a_cut_are_no_dropped_quota_the_cut_is_the_ordinary_one()
    {
        // Requests that hang (or answers slow to come, or a run's own pacing after a cut) make what the server let through
        // look low, as a dropped quota would; but the server refused only the three 429s that drew the cut (issue 38: busy
        // records first in the order cut night 2 from 19.3/s to 12.4/s this way).
        var rate = Create(RequestRate.Auto, start: 5, new LearnedRate(20, LearnedRate.FromProbing, DateTimeOffset.UtcNow.AddDays(-1)));
        Use(rate, 3);
        Use(rate, 1.5, answer: false);
        var drew = rate.Current;
        Throttle(rate, _time.GetTimestamp() - 1);
        Assert.InRange(rate.Current, drew * RateController.Beta * 0.99, drew * RateController.Beta * 1.01);
        Assert.DoesNotContain("dropped", _changes[^1].Detail, StringComparison.Ordinal);
        Assert.InRange(rate.Learned()!.RequestsPerSecond, 0.95 * 20, drew * RateController.StoredMargin + 0.001);
    }
}
