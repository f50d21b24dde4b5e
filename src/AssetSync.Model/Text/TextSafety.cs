using System.Text;

namespace AssetSync;

/// <summary>
/// Makes untrusted text (serial numbers from the register, reason phrases and messages from the API)
/// inert before it is shown: control characters, terminal escape sequences (ESC, BEL, C1 codes) and
/// bidirectional overrides are written as visible escapes such as <c>\x1b</c>, so nothing can retitle,
/// clear or recolour an operator's terminal. Objects keep the verbatim values; only display text goes through here.
/// </summary>
public static class TextSafety
{
    /// <summary>The longest message shown before it is cut with an ellipsis.</summary>
    public const int DefaultMaxLength = 500;

    /// <summary>Escapes every character that could act on a terminal; null stays null. Cuts at <paramref name="maxLength"/> characters (0: no
    /// cut).</summary>
    public static string? Inert(string? text, int maxLength = DefaultMaxLength)
    {
        if (text is null)
        {
            return null;
        }
        var clean = true;
        foreach (var c in text)
        {
            if (IsUnsafe(c))
            {
                clean = false;
                break;
            }
        }
        if (clean)
        {
            return Cut(text, maxLength);
        }
        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!IsUnsafe(c))
            {
                sb.Append(c);
            }
            else if (c <= 0xFF)
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            if (maxLength > 0 && sb.Length > maxLength + 8)
            {
                break;
            }
        }
        return Cut(sb.ToString(), maxLength);
    }

    /// <summary>
    /// A URL (or what was meant as one, even one that does not parse) with any login before its host masked:
    /// <c>https://svc:pw@host:44x</c> becomes <c>https://***@host:44x</c>. Null stays null.
    /// </summary>
    public static string? WithoutLogin(string? url)
    {
        if (url is null)
        {
            return null;
        }
        var scheme = url.IndexOf("//", StringComparison.Ordinal);
        var start = scheme >= 0 ? scheme + 2 : 0;
        var end = url.IndexOfAny(['/', '?', '#', '\\'], start);
        end = end < 0 ? url.Length : end;
        var at = end > start ? url.LastIndexOf('@', end - 1, end - start) : -1;
        return at < 0 ? url : string.Concat(url.AsSpan(0, start), "***", url.AsSpan(at));
    }

    /// <summary>True when <paramref name="text"/> holds a character that <see cref="Inert"/> would escape.</summary>
    public static bool HasUnsafe(string? text) => text is not null && text.Any(IsUnsafe);

    /// <summary>
    /// A CSV cell that a spreadsheet cannot take for a formula: a value starting with <c>=</c>, <c>+</c>, <c>-</c>,
    /// <c>@</c>, tab or CR gets a leading <c>'</c> (the OWASP rule for CSV injection).
    /// </summary>
    public static string? CsvCell(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    private static bool IsUnsafe(char c) =>
        c < 0x20
        || c == 0x7F
        || (c >= 0x80 && c <= 0x9F)
        // Bidirectional overrides and isolates can make a line read differently from what it holds.
        || (c >= '\u202A' && c <= '\u202E')
        || (c >= '\u2066' && c <= '\u2069')
        || c == '\u200E'
        || c == '\u200F';

    private static string Cut(string text, int maxLength) => maxLength > 0 && text.Length > maxLength ? text[..maxLength] + "…" : text;
}
