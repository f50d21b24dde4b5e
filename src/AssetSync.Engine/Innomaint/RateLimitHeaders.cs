using System.Globalization;
using System.Net.Http.Headers;

namespace AssetSync.Innomaint;

/// <summary>
/// Reads the rate-limit headers the contract lists, in both styles: the IETF draft's <c>RateLimit-Policy</c> /
/// <c>RateLimit</c> (structured-field lists: <c>"default";q=10;w=1</c>, <c>"default";r=4;t=1</c>) and the legacy
/// <c>X-RateLimit-Limit</c> / <c>-Remaining</c> / <c>-Reset</c> (delta seconds, or a Unix time above 1,000,000,000).
/// Lenient where it costs nothing (decimals, spaces, a missing <c>w</c> meaning one second), never guessing otherwise:
/// a value that cannot be read makes that header say nothing, and its name goes to <see cref="RateLimitStatement.Malformed"/>.
/// </summary>
internal static class RateLimitHeaders
{
    /// <summary>Above this, X-RateLimit-Reset is a Unix time rather than a number of seconds (as the contract says).</summary>
    private const double EpochThreshold = 1_000_000_000;

    /// <summary>
    /// Above this, a Unix time is in milliseconds (as some gateways send it): in seconds it would be after the year 33,000,
    /// while in milliseconds it is any date after 2001. Read as seconds it would overflow a date.
    /// </summary>
    private const double EpochMillisecondsThreshold = 1_000_000_000_000;

    /// <summary>Values longer than this are not read: a header is a few dozen characters, and parsing must stay cheap.</summary>
    private const int MaxLength = 512;

    /// <summary>
    /// What <paramref name="headers"/> say. Never throws: any reset is capped at <paramref name="maxReset"/> (the cap on a
    /// Retry-After, 60 s by default), so a header can neither overflow the arithmetic nor park the run for a year.
    /// </summary>
    public static RateLimitStatement Read(HttpResponseHeaders headers, DateTimeOffset now, TimeSpan maxReset)
    {
        List<string>? malformed = null;
        double? quota = null;
        string? quotaHeader = null;
        int? remaining = null;
        TimeSpan? reset = null;

        if (Value(headers, "RateLimit-Policy") is { } policy)
        {
            // Several policies (a burst and a daily one): the slowest sustained rate is what the client may keep up.
            if (TryParseList(policy, "q", "w", out var items))
            {
                foreach (var (q, w) in items)
                {
                    // A quota past what a double holds (a 300-digit q over a 300-digit fraction of a second) says nothing either.
                    if (q < 0 || w is <= 0 || !double.IsFinite(q / (w ?? 1)))
                    {
                        (malformed ??= []).Add("RateLimit-Policy (q must be 0 or more, w more than 0)");
                        items = [];
                        break;
                    }
                }
                foreach (var (q, w) in items)
                {
                    var perSecond = q / (w ?? 1);
                    if (quota is null || perSecond < quota)
                    {
                        (quota, quotaHeader) = (perSecond, "RateLimit-Policy");
                    }
                }
            }
            else
            {
                (malformed ??= []).Add("RateLimit-Policy (expected e.g. \"default\";q=10;w=1)");
            }
        }
        if (Value(headers, "RateLimit") is { } limit)
        {
            if (TryParseList(limit, "r", "t", out var items) && items.All(i => i.Item1 >= 0 && i.Item2 is null or >= 0))
            {
                // The tightest window decides what may be sent.
                foreach (var (r, t) in items)
                {
                    if (remaining is null || r < remaining)
                    {
                        remaining = (int)Math.Min(int.MaxValue, Math.Floor(r));
                        reset = t is { } seconds ? Seconds(seconds, maxReset) : null;
                    }
                }
            }
            else
            {
                (malformed ??= []).Add("RateLimit (expected e.g. \"default\";r=4;t=1)");
            }
        }
        if (Value(headers, "X-RateLimit-Limit") is { } xLimit)
        {
            // The legacy headers do not say their window; Innomaint's quota is per second (contract), so one second.
            if (TryNumber(xLimit, out var n) && n >= 0)
            {
                if (quota is null || n < quota)
                {
                    (quota, quotaHeader) = (n, "X-RateLimit-Limit");
                }
            }
            else
            {
                (malformed ??= []).Add("X-RateLimit-Limit (expected a number of requests)");
            }
        }
        if (Value(headers, "X-RateLimit-Remaining") is { } xRemaining)
        {
            if (TryNumber(xRemaining, out var n) && n >= 0)
            {
                TimeSpan? xReset = null;
                if (Value(headers, "X-RateLimit-Reset") is { } xResetText)
                {
                    if (TryNumber(xResetText, out var s) && s >= 0)
                    {
                        xReset = s > EpochThreshold ? UntilUnixTime(s, now, maxReset) : Seconds(s, maxReset);
                    }
                    else
                    {
                        (malformed ??= []).Add("X-RateLimit-Reset (expected seconds, or a Unix time)");
                    }
                }
                if (remaining is null || n < remaining)
                {
                    remaining = (int)Math.Min(int.MaxValue, Math.Floor(n));
                    reset = xReset;
                }
            }
            else
            {
                (malformed ??= []).Add("X-RateLimit-Remaining (expected a number of requests)");
            }
        }
        if (quota is null && remaining is null && malformed is null)
        {
            return RateLimitStatement.None;
        }
        return new RateLimitStatement(quota, remaining, reset) { QuotaHeader = quotaHeader, Malformed = (IReadOnlyList<string>?)malformed ?? [] };
    }

    /// <summary>A number of seconds as a wait no longer than <paramref name="cap"/>; compared as a double, so no value overflows.</summary>
    private static TimeSpan Seconds(double seconds, TimeSpan cap) =>
        seconds >= cap.TotalSeconds ? cap
        : seconds <= 0 ? TimeSpan.Zero
        : TimeSpan.FromSeconds(seconds);

    /// <summary>The wait until a Unix time (seconds, or milliseconds past <see cref="EpochMillisecondsThreshold"/>), capped.</summary>
    private static TimeSpan UntilUnixTime(double value, DateTimeOffset now, TimeSpan cap)
    {
        var seconds = value > EpochMillisecondsThreshold ? value / 1000 : value;
        return Seconds(seconds - now.ToUnixTimeMilliseconds() / 1000.0, cap);
    }

    private static string? Value(HttpResponseHeaders headers, string name)
    {
        if (!headers.TryGetValues(name, out var values))
        {
            return null;
        }
        // Repeated fields are one comma-separated list (RFC 9110 §5.3).
        var joined = string.Join(",", values);
        return joined.Length > MaxLength ? "\u0000too long" : joined;
    }

    /// <summary>
    /// A structured-field list of items with two numeric parameters: <c>"name";a=1;b=2, "other";a=3</c>.
    /// <paramref name="first"/> is required on every item, <paramref name="second"/> optional.
    /// </summary>
    private static bool TryParseList(string text, string first, string second, out List<(double, double?)> items)
    {
        items = [];
        foreach (var member in SplitOutsideQuotes(text, ','))
        {
            var parts = SplitOutsideQuotes(member, ';');
            if (parts.Count < 2 || !IsItemName(parts[0]))
            {
                return false;
            }
            double? a = null,
                b = null;
            foreach (var parameter in parts.Skip(1))
            {
                var kv = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
                if (kv.Length != 2)
                {
                    return false;
                }
                // Other parameters (pk, a partition key) are allowed and say nothing about the rate.
                if (kv[0] != first && kv[0] != second)
                {
                    continue;
                }
                if (!TryNumber(kv[1], out var value))
                {
                    return false;
                }
                if (kv[0] == first)
                {
                    a = value;
                }
                else
                {
                    b = value;
                }
            }
            if (a is null)
            {
                return false;
            }
            items.Add((a.Value, b));
        }
        return items.Count > 0;
    }

    private static bool IsItemName(string name) =>
        (name.Length >= 2 && name[0] == '"' && name[^1] == '"')
        || (name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '*') && name.All(c => c > ' ' && c < 127 && c != '"'));

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == separator && !quoted)
            {
                parts.Add(text[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(text[start..].Trim());
        return parts;
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
