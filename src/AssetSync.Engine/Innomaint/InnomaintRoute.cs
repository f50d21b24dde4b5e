using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;

namespace AssetSync.Innomaint;

/// <summary>
/// The way out of the building: builds the one HTTP handler from the settings (the proxy, explicit or from the environment,
/// and its login; the extra trusted roots; no redirects, no cookies) and recognises the faults that belong to the way out
/// rather than to an asset: a proxy that refuses (407, a refused CONNECT, its own 502/504, no connection) and a certificate
/// that is not trusted. Those stop the run as <see cref="ProxyRefusedException"/> or <see cref="InnomaintUnreachableException"/>;
/// no asset is marked for them.
/// </summary>
internal sealed partial class InnomaintRoute
{
    private readonly SyncOptions _options;

    private InnomaintRoute(SyncOptions options, Uri baseUrl, ProxyRoute proxy, CertificateTrust trust)
    {
        _options = options;
        BaseUrl = baseUrl;
        Proxy = proxy;
        Trust = trust;
    }

    public Uri BaseUrl { get; }

    /// <summary>Direct, or which proxy, and from where.</summary>
    public ProxyRoute Proxy { get; }

    /// <summary>The certificate check, and why it last refused.</summary>
    public CertificateTrust Trust { get; }

    /// <summary>
    /// The route of <paramref name="options"/> whose other settings are checked (<see cref="SyncOptions.ValidatedRoute"/> calls it),
    /// to <paramref name="baseUrl"/> as that check parsed it; reads the CA file, if any.
    /// </summary>
    internal static InnomaintRoute Create(SyncOptions options, Uri baseUrl)
    {
        var proxy = ProxyRoute.Resolve(options, baseUrl, HttpClient.DefaultProxy);
        if (baseUrl.Scheme == Uri.UriSchemeHttp && proxy.ViaProxy && !options.AllowUnencryptedAuthentication)
        {
            // Plain http is allowed to a loopback host because the token stays on this machine; through a proxy it does not.
            throw new SyncConfigurationException(
                $"The base URL '{baseUrl.GetLeftPart(UriPartial.Authority)}' uses plain http, and requests to it go {proxy}: the API token would "
                    + $"travel to the proxy "
                    + "unencrypted, whatever the host. Use https, pass -NoProxy to go direct (or add the host to NO_PROXY), or pass "
                    + "-AllowUnencryptedAuthentication if you accept that risk.",
                nameof(SyncOptions.BaseUrl)
            );
        }
        var roots = options.CertificateAuthorityPath is { Length: > 0 } path ? CertificateTrust.LoadAuthorities(path) : null;
        return new InnomaintRoute(options, baseUrl, proxy, new CertificateTrust(roots, options.SkipCertificateCheck));
    }

    /// <summary>True when the token would cross a network in clear: plain http to a host that is not this machine, or through a proxy.</summary>
    public bool SendsTokenInClear => BaseUrl.Scheme == Uri.UriSchemeHttp && (Proxy.ViaProxy || !SyncOptions.IsLoopback(BaseUrl));

    /// <summary>A route that goes direct and trusts the system's roots only (tests with their own handler).</summary>
    public static InnomaintRoute Direct(Uri baseUrl) =>
        new(new SyncOptions(), baseUrl, ProxyRoute.Resolve(new SyncOptions { NoProxy = true }, baseUrl, null), new CertificateTrust(null));

    /// <summary>
    /// The primary handler of the Innomaint HTTP client, holding at most <paramref name="maxConnections"/> connections (the
    /// request gate's bound on requests in flight, which the caller knows; the route does not).
    /// </summary>
    public SocketsHttpHandler CreateHandler(int maxConnections)
    {
        var o = _options;
        var handler = new SocketsHttpHandler
        {
            // Never follow a redirect: the Authorization header would travel with it.
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = maxConnections,
            ConnectTimeout = o.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        };
        if (o.NoProxy)
        {
            handler.UseProxy = false;
        }
        else if (o.Proxy is { } proxy)
        {
            // BypassProxyOnLocal stays false: an explicit proxy carries every request, as Invoke-RestMethod's -Proxy does.
            var webProxy = new WebProxy(proxy) { BypassProxyOnLocal = false };
            if (o.ProxyCredential is { } credential)
            {
                webProxy.Credentials = credential;
            }
            else if (o.ProxyUseDefaultCredentials)
            {
                webProxy.UseDefaultCredentials = true;
            }
            handler.Proxy = webProxy;
            handler.UseProxy = true;
        }
        else if (o.ProxyCredential is { } credential)
        {
            // The environment's or the system's proxy, with this login.
            handler.DefaultProxyCredentials = credential;
        }
        else if (o.ProxyUseDefaultCredentials)
        {
            handler.DefaultProxyCredentials = CredentialCache.DefaultCredentials;
        }
        handler.SslOptions.RemoteCertificateValidationCallback = Trust.Validate;
        return handler;
    }

    /// <summary>
    /// The run-stopping fault an exception of SendAsync stands for, or null when it is the asset's own trouble.
    /// <paramref name="ticket"/> is the request's from <see cref="CertificateTrust.BeginRequest"/>: only a certificate refused
    /// while it was in flight explains its TLS failure.
    /// </summary>
    public SyncRunFailedException? FaultOf(Exception ex, long ticket = long.MinValue)
    {
        if (
            ex
                is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }
                    or HttpRequestException { InnerException: AuthenticationException }
            && Trust.RejectionFor(ticket) is { } problem
        )
        {
            return new InnomaintUnreachableException(BaseUrl.GetLeftPart(UriPartial.Authority), problem);
        }
        if (!Proxy.ViaProxy)
        {
            return null;
        }
        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError } tunnel)
        {
            var status = TunnelStatus().Match(tunnel.Message) is { Success: true } m
                ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                : (int?)null;
            return status is 407 or 401
                ? LoginRefused(status.Value)
                : Refused(
                    status is null
                        ? "it refused to open a tunnel (CONNECT) to Innomaint"
                        : $"it answered {status} to the tunnel request (CONNECT) to {BaseUrl.Authority}",
                    "Check that the proxy allows CONNECT to Innomaint's host and port (its allow list, ConnectPort or ACL), and that Innomaint "
                        + "answers from the proxy's side."
                );
        }
        if (
            ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
            || ex.InnerException is SocketException or TimeoutException
        )
        {
            return Refused(
                $"it did not accept a connection ({Root(ex)})",
                "Check the proxy's host and port (-Proxy, or HTTPS_PROXY/HTTP_PROXY) and that it is running; pass -NoProxy if Innomaint is "
                    + "reached directly."
            );
        }
        return null;
    }

    /// <summary>The run-stopping fault an answer stands for: a 407, or a 502/504 the proxy made itself.</summary>
    public SyncRunFailedException? FaultOf(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        // tinyproxy answers a wrong login with its own 401 rather than a 407: the proxy's mark tells it from Innomaint's.
        if (status == 407 || (Proxy.ViaProxy && status is 401 or 403 && MadeByProxy(response.Headers)))
        {
            return LoginRefused(status);
        }
        if (Proxy.ViaProxy && status is 500 or 502 or 503 or 504 && MadeByProxy(response.Headers))
        {
            return Refused(
                $"it answered {status} itself: it could not reach Innomaint at {BaseUrl.Authority}",
                "Check that the proxy can reach Innomaint (its DNS, firewall and allow list)."
            );
        }
        return null;
    }

    /// <summary>
    /// The first requests of a run all failed before any answer (refused, timed out). Through a proxy, that is the proxy
    /// not answering (or nothing answering through it): <see cref="ProxyRefusedException"/>; direct, Innomaint unreachable.
    /// </summary>
    public SyncRunFailedException Unreachable(int attempts, string cause) =>
        Proxy.ViaProxy
            ? Refused(
                $"no answer came through it: the first {attempts} requests of the run failed before any answer ({UserInfo().Replace(cause, "//")})",
                "Check that the proxy is up and answers from this server (-Proxy, or HTTPS_PROXY/HTTP_PROXY), and that it can reach Innomaint; "
                    + "pass -NoProxy if Innomaint is reached directly."
            )
            : new InnomaintUnreachableException(BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'), attempts, cause);

    /// <summary>
    /// An answer the proxy wrote itself rather than forwarded: RFC 9209's Proxy-Status naming an error, or the marks of common
    /// proxies (Squid's X-Squid-Error; tinyproxy's Server header on its own error pages). Every intermediary may add a
    /// Proxy-Status to what it forwards (RFC 9209 §2), so one without <c>error=</c> is Innomaint's answer passed on.
    /// </summary>
    private static bool MadeByProxy(HttpResponseHeaders headers) =>
        (headers.TryGetValues("Proxy-Status", out var statuses) && statuses.Any(NamesAnError))
        || headers.Contains("X-Squid-Error")
        || (
            headers.TryGetValues("Server", out var servers)
            && servers.Any(s =>
                s.Contains("tinyproxy", StringComparison.OrdinalIgnoreCase) || s.Contains("squid", StringComparison.OrdinalIgnoreCase)
            )
        );

    /// <summary>True when a Proxy-Status field value has a member with an <c>error</c> parameter: <c>ExampleCDN;
    /// error=http_request_error</c>.</summary>
    internal static bool NamesAnError(string proxyStatus) => ProxyStatusError().IsMatch(proxyStatus);

    private ProxyRefusedException LoginRefused(int status) =>
        Refused(
            _options.ProxyCredential is not null || _options.ProxyUseDefaultCredentials
                ? $"it refused the login (HTTP {status} from the proxy after the credentials were sent)"
                : $"it asks for a login (HTTP {status}, Proxy Authentication Required) and none was given",
            "Pass the proxy account with -ProxyCredential (or ProxyCredentialSecretName in the job), or -ProxyUseDefaultCredentials for a proxy "
                + "that takes the service account's Windows login; check that the account may use the proxy."
        );

    private ProxyRefusedException Refused(string cause, string advice) => new(Proxy.Proxy ?? "(the system's proxy)", Proxy.Source, cause, advice);

    private static string Root(Exception ex)
    {
        var root = ex.GetBaseException();
        // Exception texts name host and port at most; a proxy URL's login is cut out all the same.
        return UserInfo().Replace(root.Message, "//");
    }

    // A parameter is ";" key ["=" value]; the key is lowercase (RFC 8941 §3.1.2), spaces around ";" allowed.
    [GeneratedRegex(@";\s*error\s*=")]
    private static partial Regex ProxyStatusError();

    [GeneratedRegex(@"status code '(\d{3})'")]
    private static partial Regex TunnelStatus();

    [GeneratedRegex(@"//[^/@\s]+@")]
    private static partial Regex UserInfo();
}
