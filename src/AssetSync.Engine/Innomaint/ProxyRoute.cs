using System.Net;

namespace AssetSync.Innomaint;

/// <summary>
/// How requests reach Innomaint: directly, or through which proxy, and where that setting came from. Worked out once per
/// engine, as the handler will route (an explicit -Proxy; else .NET's default proxy: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and
/// NO_PROXY on every system, the user's proxy settings on Windows and macOS). Shown without any login the proxy URL may carry.
/// </summary>
internal sealed class ProxyRoute
{
    private ProxyRoute(Uri? proxy, string source)
    {
        Proxy = proxy is null ? null : Display(proxy);
        Source = source;
    }

    /// <summary>The proxy as scheme://host:port; null when requests go direct.</summary>
    public string? Proxy { get; }

    /// <summary>Where the choice came from: -Proxy, -NoProxy, HTTPS_PROXY, NO_PROXY, the system proxy settings …</summary>
    public string Source { get; }

    public bool ViaProxy => Proxy is not null;

    /// <summary>The route for <paramref name="baseUrl"/> under <paramref name="options"/>; <paramref name="defaultProxy"/> is .NET's
    /// (HttpClient.DefaultProxy).</summary>
    public static ProxyRoute Resolve(SyncOptions options, Uri baseUrl, IWebProxy? defaultProxy)
    {
        if (options.NoProxy)
        {
            return new ProxyRoute(null, "-NoProxy");
        }
        if (options.Proxy is { } explicitProxy)
        {
            return new ProxyRoute(explicitProxy, "from -Proxy");
        }
        if (defaultProxy is null)
        {
            return new ProxyRoute(null, "no proxy is set");
        }
        Uri? proxy;
        try
        {
            proxy = defaultProxy.IsBypassed(baseUrl) ? null : defaultProxy.GetProxy(baseUrl);
        }
        catch (Exception ex) when (ex is InvalidOperationException or UriFormatException or PlatformNotSupportedException)
        {
            proxy = null;
        }
        if (proxy is null || proxy == baseUrl)
        {
            var bypass = FirstSet("NO_PROXY", "no_proxy");
            return new ProxyRoute(
                null,
                bypass is not null && FirstSet(VariablesFor(baseUrl)) is not null ? "the host is in NO_PROXY" : "no proxy is set"
            );
        }
        foreach (var name in VariablesFor(baseUrl))
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value && SameEndpoint(value, proxy))
            {
                return new ProxyRoute(proxy, "from " + name);
            }
        }
        return new ProxyRoute(proxy, "from the system proxy settings");
    }

    /// <summary>The environment variables .NET reads for a URL's scheme, in its order.</summary>
    private static string[] VariablesFor(Uri url) =>
        url.Scheme == Uri.UriSchemeHttps
            ? ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            : ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

    private static string? FirstSet(params string[] names) =>
        names.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static bool SameEndpoint(string value, Uri proxy)
    {
        // .NET takes "host:port" without a scheme as http://host:port.
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        return Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            && string.Equals(parsed.IdnHost, proxy.IdnHost, StringComparison.OrdinalIgnoreCase)
            && parsed.Port == proxy.Port;
    }

    /// <summary>scheme://host:port, never the user info a proxy URL can carry.</summary>
    public static string Display(Uri proxy) => $"{proxy.Scheme}://{proxy.Host}:{proxy.Port}";

    /// <summary>For -Verbose: "via proxy http://proxy:3128 (from -Proxy)" or "direct (-NoProxy)".</summary>
    public override string ToString() => ViaProxy ? $"via proxy {Proxy} ({Source})" : $"direct ({Source})";
}
