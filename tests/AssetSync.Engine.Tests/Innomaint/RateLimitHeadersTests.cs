using System.Net.Http.Headers;
using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

public class RateLimitHeadersTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);

    private static RateLimitStatement Read(params (string Name, string Value)[] headers)
    {
        using var response = new HttpResponseMessage();
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }
        return RateLimitHeaders.Read(response.Headers, Now, Cap);
    }

    [Fact]
    public void No_headers_say_nothing()
    {
        var s = Read();
        Assert.True(s.IsEmpty);
        Assert.Empty(s.Malformed);
    }

    [Fact]
    public void Ietf_policy_and_limit_give_the_quota_per_second_and_what_remains()
    {
        var s = Read(("RateLimit-Policy", "\"default\";q=10;w=1"), ("RateLimit", "\"default\";r=4;t=1"));
        Assert.Equal(10, s.QuotaPerSecond);
        Assert.Equal("RateLimit-Policy", s.QuotaHeader);
        Assert.Equal(4, s.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Reset);
        Assert.Empty(s.Malformed);
    }

    [Fact]
    public void A_policy_over_a_longer_window_and_several_policies_give_the_slowest_sustained_rate()
    {
        Assert.Equal(2, Read(("RateLimit-Policy", "\"burst\";q=120;w=60")).QuotaPerSecond);
        Assert.Equal(0.5, Read(("RateLimit-Policy", "\"burst\";q=100;w=10, \"daily\";q=43200;w=86400")).QuotaPerSecond);
        // Without w the window is one second; other parameters are allowed.
        Assert.Equal(7, Read(("RateLimit-Policy", "default;q=7;pk=:abc:")).QuotaPerSecond);
    }

    [Fact]
    public void Legacy_headers_with_delta_seconds_and_with_a_unix_time()
    {
        var delta = Read(("X-RateLimit-Limit", "20"), ("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", "2"));
        Assert.Equal((20.0, 3, TimeSpan.FromSeconds(2)), (delta.QuotaPerSecond!.Value, delta.Remaining!.Value, delta.Reset!.Value));
        Assert.Equal("X-RateLimit-Limit", delta.QuotaHeader);

        var epoch = Read(
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", Now.AddSeconds(3).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))
        );
        Assert.Equal(0, epoch.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(3), epoch.Reset);
        // A reset in the past is now.
        Assert.Equal(
            TimeSpan.Zero,
            Read(
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", Now.AddSeconds(-30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))
            ).Reset
        );
    }

    [Fact]
    public void Both_styles_together_give_the_tighter_of_each()
    {
        var s = Read(
            ("RateLimit-Policy", "\"default\";q=10;w=1"),
            ("RateLimit", "\"default\";r=6;t=1"),
            ("X-RateLimit-Limit", "8"),
            ("X-RateLimit-Remaining", "2"),
            ("X-RateLimit-Reset", "1")
        );
        Assert.Equal(8, s.QuotaPerSecond);
        Assert.Equal(2, s.Remaining);
    }

    [Theory]
    [InlineData("RateLimit-Policy", "lots", "RateLimit-Policy")]
    [InlineData("RateLimit-Policy", "\"default\";q=-5;w=1", "RateLimit-Policy")]
    [InlineData("RateLimit-Policy", "\"default\";q=10;w=0", "RateLimit-Policy")]
    [InlineData("RateLimit", "\"default\";t=1", "RateLimit")]
    [InlineData("RateLimit", "\"default\";r=abc;t=1", "RateLimit")]
    [InlineData("X-RateLimit-Limit", "ten", "X-RateLimit-Limit")]
    [InlineData("X-RateLimit-Remaining", "-1", "X-RateLimit-Remaining")]
    public void A_malformed_header_is_ignored_and_named(string name, string value, string named)
    {
        var s = Read((name, value), ("X-RateLimit-Reset", "1"));
        Assert.Null(s.QuotaPerSecond);
        Assert.Null(s.Remaining);
        Assert.Contains(s.Malformed, m => m.StartsWith(named + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_header_does_not_spoil_a_good_one()
    {
        var s = Read(("RateLimit-Policy", "\"default\";q=10;w=1"), ("X-RateLimit-Remaining", "many"));
        Assert.Equal(10, s.QuotaPerSecond);
        Assert.Single(s.Malformed);
    }

    // Issue 36: headers that threw outside the client's try (every good answer a network failure) or parked the gate for a year.

    [Fact]
    public void An_epoch_millisecond_reset_is_read_as_milliseconds_and_never_throws()
    {
        var ms = Now.AddSeconds(3).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var s = Read(("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", ms));
        Assert.Equal(0, s.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(3), s.Reset);
        Assert.Empty(s.Malformed);
    }

    [Theory]
    [InlineData("X-RateLimit-Reset", "99999999999999999999999999999")] // a Unix time past any date
    [InlineData("X-RateLimit-Reset", "9999999999")] // a Unix time in the year 2286
    [InlineData("X-RateLimit-Reset", "999999999")] // delta seconds: 31 years
    public void A_legacy_reset_past_any_sane_window_is_capped_at_the_retry_after_cap(string name, string value)
    {
        var s = Read(("X-RateLimit-Remaining", "0"), (name, value));
        Assert.Equal(Cap, s.Reset);
    }

    [Theory]
    [InlineData("\"default\";r=0;t=31536000")] // a year
    [InlineData("\"default\";r=0;t=99999999999999999999999999999999999999")] // past what a TimeSpan holds
    public void An_ietf_reset_past_any_sane_window_is_capped_at_the_retry_after_cap(string value)
    {
        var s = Read(("RateLimit", value));
        Assert.Equal(0, s.Remaining);
        Assert.Equal(Cap, s.Reset);
    }

    [Fact]
    public void A_quota_past_what_a_double_holds_is_malformed_not_infinite()
    {
        var huge = new string('9', 300);
        var s = Read(("RateLimit-Policy", $"\"default\";q={huge};w=0.{new string('0', 300)}1"));
        Assert.Null(s.QuotaPerSecond);
        Assert.NotEmpty(s.Malformed);
    }

    [Fact]
    public void Every_hostile_header_at_once_reads_without_throwing_and_waits_no_longer_than_the_cap()
    {
        var s = Read(
            ("RateLimit-Policy", "\"default\";q=10;w=1"),
            ("RateLimit", "\"default\";r=0;t=31536000"),
            ("X-RateLimit-Limit", "10"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1765000000000000000000")
        );
        Assert.Equal(10, s.QuotaPerSecond);
        Assert.Equal(0, s.Remaining);
        Assert.True(s.Reset <= Cap, $"reset {s.Reset}");
    }
}
