namespace AssetSync;

/// <summary>
/// The forward proxy on the way to Innomaint refused to carry the run's requests: it asked for a login it did not get
/// or did not accept (407), refused the CONNECT tunnel, answered 502/504 itself, or did not accept a connection at all.
/// A fault of the way out, never of an asset: the run stops at once and no asset is marked failed or deferred.
/// </summary>
public sealed class ProxyRefusedException : SyncRunFailedException
{
    /// <summary>Creates the error. <paramref name="proxy"/> is shown as scheme://host:port only, never with a login.</summary>
    public ProxyRefusedException(string proxy, string source, string cause, string advice)
        : base(
            $"The proxy {proxy} ({source}) refused the request to Innomaint: {cause}. The run was stopped; no asset was marked failed or "
                + $"deferred. {advice}"
        )
    {
        Proxy = proxy;
        ProxySource = source;
        Cause = cause;
    }

    /// <summary>The proxy, as scheme://host:port.</summary>
    public string Proxy { get; }

    /// <summary>Where the proxy setting came from: -Proxy, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY or the system settings.</summary>
    public string ProxySource { get; }

    /// <summary>What the proxy did, in our own words (and its status code).</summary>
    public string Cause { get; }
}
