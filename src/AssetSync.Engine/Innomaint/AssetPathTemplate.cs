namespace AssetSync.Innomaint;

/// <summary>
/// The asset path template, e.g. <c>/api/v1/assets/{serialnumber}</c>. The serial number is
/// percent-encoded as ONE path segment, so <c>/</c>, <c>?</c>, <c>#</c>, <c>%</c> and <c>..</c>
/// can never change which resource is asked for.
/// </summary>
internal sealed class AssetPathTemplate
{
    public const string Placeholder = "{serialnumber}";
    public const string Default = SyncDefaults.AssetPath;

    private readonly string _prefix;
    private readonly string _suffix;

    public AssetPathTemplate(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var at = template.IndexOf(Placeholder, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            throw new SyncConfigurationException(
                $"The asset path '{template}' has no {Placeholder} placeholder. Use a template such as '{Default}'.",
                "AssetPath"
            );
        }
        if (template.IndexOf(Placeholder, at + 1, StringComparison.OrdinalIgnoreCase) >= 0)
        {
            throw new SyncConfigurationException($"The asset path '{template}' holds {Placeholder} more than once.", "AssetPath");
        }
        if (template.IndexOfAny(['?', '#']) is var q && q >= 0 && q < at)
        {
            throw new SyncConfigurationException(
                $"The asset path '{template}' puts {Placeholder} after a query or fragment; it must be a path segment.",
                "AssetPath"
            );
        }
        _prefix = template[..at];
        _suffix = template[(at + Placeholder.Length)..];
        Template = template;
    }

    public string Template { get; }

    /// <summary>The relative path and query for one serial number.</summary>
    public string Expand(string serialNumber) => _prefix + EncodeSegment(serialNumber) + _suffix;

    /// <summary>RFC 3986 unreserved characters pass; every other UTF-8 byte is %XX. "." and ".." are encoded too.</summary>
    internal static string EncodeSegment(string value)
    {
        var escaped = Uri.EscapeDataString(value);
        // EscapeDataString leaves '.' alone; a segment of only dots would be removed or climb the path.
        if (escaped.Length > 0 && escaped.AsSpan().Trim('.').IsEmpty)
        {
            escaped = escaped.Replace(".", "%2E", StringComparison.Ordinal);
        }
        return escaped;
    }
}
