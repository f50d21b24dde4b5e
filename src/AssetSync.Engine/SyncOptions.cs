namespace AssetSync;

/// <summary>
/// Every setting of a sync run. Defaults come from <see cref="SyncDefaults"/>; the settings a user gives are declared once, with
/// their ranges and help, in <see cref="SyncSettings"/> (docs/reference.md's table is made from it). <see cref="Validate"/> is the
/// one check of them all, made once per run by the engine that takes them.
/// </summary>
public sealed class SyncOptions
{
    /// <summary>The environment variable the cmdlets take the base URL from when -BaseUrl is not given.</summary>
    public const string BaseUrlVariable = SyncSettings.BaseUrlVariable;

    /// <summary>The environment variable the cmdlets take the API token from when neither -ApiToken nor -Credential is given.</summary>
    public const string ApiTokenVariable = SyncSettings.ApiTokenVariable;

    /// <summary>Npgsql connection string of the IC3 database.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Absolute http or https URL of Innomaint, e.g. https://cmms.example.org.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The bearer token. A secret: it is sent in the Authorization header and nowhere else.</summary>
    public string ApiToken { get; set; } = "";

    /// <summary>Path template holding {serialnumber}.</summary>
    public string AssetPath { get; set; } = SyncDefaults.AssetPath;

    /// <summary>Retries after the first attempt, for the kinds the contract marks transient.</summary>
    public int MaximumRetryCount { get; set; } = SyncDefaults.MaximumRetryCount;

    /// <summary>The base backoff: retry n waits RetryInterval × 2^(n-1).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(SyncDefaults.RetryIntervalSeconds);

    /// <summary>Per-attempt timeout: the whole answer, body included, must arrive within it.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(SyncDefaults.TimeoutSeconds);

    /// <summary>The longest wait a server's Retry-After can ask for.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(SyncDefaults.MaxRetryAfterSeconds);

    /// <summary>
    /// The API quota: a hard ceiling that a quota stated in rate-limit headers can only lower. <see cref="double.PositiveInfinity"/>
    /// turns the limit off. With <see cref="AdaptiveRate"/>, the rate to start from when nothing is learned for the base URL yet.
    /// </summary>
    public double RequestsPerSecond { get; set; } = SyncDefaults.RequestsPerSecond;

    /// <summary>
    /// -RequestsPerSecond Auto: use the quota the API states in its headers; without one, start from the rate learned for this
    /// base URL (cmms_rate_state), or from <see cref="RequestsPerSecond"/>, grow while no 429 comes, cut on a 429, and store
    /// what was learned when the run closes. Requests in flight grow with the rate, up to 16x <see cref="ThrottleLimit"/> (at most 256).
    /// </summary>
    public bool AdaptiveRate { get; set; }

    /// <summary>The rate setting as -RequestsPerSecond takes it: <see cref="RequestRate.Auto"/> or a fixed number.</summary>
    public RequestRate Rate
    {
        get => AdaptiveRate ? RequestRate.Auto : RequestRate.Fixed(RequestsPerSecond);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            AdaptiveRate = value.IsAuto;
            if (value.PerSecond is { } fixedRate)
            {
                RequestsPerSecond = fixedRate;
            }
        }
    }

    /// <summary>
    /// Requests in flight at once. Latency then does not eat into the quota. A request in flight past 4x the healthy latency
    /// while answers keep coming (a hanging asset) stops holding its slot, up to 4x this many in flight in all.
    /// </summary>
    public int ThrottleLimit { get; set; } = SyncDefaults.ThrottleLimit;

    /// <summary>Consecutive assets failing transient/network/timeout that stop the run; 0 turns the breaker off.</summary>
    public int CircuitBreakerThreshold { get; set; } = SyncDefaults.CircuitBreakerThreshold;

    /// <summary>
    /// When this many assets in a row answer 404 from the start of a run and none has succeeded, the base URL or
    /// asset path is taken to be wrong: the run stops as failed and none of them is marked failed. 0 turns the check off.
    /// </summary>
    public int AssetPathSuspectThreshold { get; set; } = SyncDefaults.AssetPathSuspectThreshold;

    /// <summary>The largest response body accepted.</summary>
    public long MaxResponseBytes { get; set; } = SyncDefaults.MaxResponseBytes;

    /// <summary>Retries of a transient database error (connection lost, server restarting).</summary>
    public int DatabaseMaximumRetryCount { get; set; } = SyncDefaults.DatabaseMaximumRetryCount;

    /// <summary>Base wait between database retries; doubles each time, capped at 8 s.</summary>
    public TimeSpan DatabaseRetryInterval { get; set; } = SyncDefaults.DatabaseRetryInterval;

    /// <summary>
    /// Send the token over plain http to a host that is not this machine. Off by default: plain http is
    /// accepted only for a loopback host (127.0.0.0/8, localhost, [::1]), as the contract says.
    /// </summary>
    public bool AllowUnencryptedAuthentication { get; set; }

    /// <summary>Accept any TLS certificate. Only for test systems; the cmdlets warn when it is on.</summary>
    public bool SkipCertificateCheck { get; set; }

    /// <summary>
    /// The forward proxy every request to Innomaint goes through (http://proxy:3128). Null: .NET's default proxy applies
    /// (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY; on Windows and macOS the user's proxy settings).
    /// </summary>
    public Uri? Proxy { get; set; }

    /// <summary>The proxy's login (Basic, or NTLM/Negotiate where the proxy asks for them). A secret: never shown.</summary>
    public System.Net.NetworkCredential? ProxyCredential { get; set; }

    /// <summary>Log in to the proxy as the account the process runs as (NTLM/Negotiate; a gMSA on Windows).</summary>
    public bool ProxyUseDefaultCredentials { get; set; }

    /// <summary>Go direct to Innomaint, whatever the environment or the system says of proxies.</summary>
    public bool NoProxy { get; set; }

    /// <summary>
    /// A PEM or DER file of one or more CA certificates trusted in addition to the system's roots (a hospital's own CA, or the
    /// one a TLS-inspecting proxy signs with). The host name is still checked.
    /// </summary>
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>
    /// The run's time budget. New assets are taken only while one attempt of the usual length (a moving average of
    /// recent attempts; the attempt timeout before the first answer) still fits, and retries only while their backoff
    /// and one such attempt fit; assets in flight finish, so the run overshoots by at most one attempt timeout. The run then ends complete with
    /// StoppedBy = max_duration,
    /// and the selected assets it did not reach are counted in NotReached. Null: no budget.
    /// </summary>
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>When another run holds the database's run lock: fail at once (the default), wait up to <see cref="LockWaitTimeout"/>, or
    /// skip.</summary>
    public IfRunningAction IfRunning { get; set; } = IfRunningAction.Fail;

    /// <summary>How long <see cref="IfRunningAction.Wait"/> waits for another run (10 minutes).</summary>
    public TimeSpan LockWaitTimeout { get; set; } = TimeSpan.FromSeconds(SyncDefaults.WaitTimeoutSeconds);

    /// <summary>Rewrite every asset, even one Innomaint says (304) or shows (same body) is unchanged; no conditional requests.</summary>
    public bool Force { get; set; }

    /// <summary>Checks every setting and throws <see cref="SyncConfigurationException"/> naming the first bad one.</summary>
    public void Validate() => _ = ValidatedRoute();

    /// <summary>
    /// <see cref="Validate"/>, returning the route the settings describe: the base URL parsed and the CA file read once, here,
    /// so the engine that validates its options builds on what the check found.
    /// </summary>
    internal Innomaint.InnomaintRoute ValidatedRoute()
    {
        DatabaseSettings.ValidateConnectionString(ConnectionString);
        var baseUrl = ValidateBaseUrl(BaseUrl, AllowUnencryptedAuthentication);
        if (string.IsNullOrEmpty(ApiToken))
        {
            throw new SyncConfigurationException(
                $"No API token was given: pass -ApiToken (a SecureString) or -Credential, or set the environment variable {ApiTokenVariable}.",
                nameof(ApiToken)
            );
        }
        _ = new Innomaint.AssetPathTemplate(AssetPath);
        // The ranges of the settings a user gives are their declarations' (SyncSettings): one place for each.
        Declared("MaximumRetryCount", MaximumRetryCount);
        Declared("RetryIntervalSec", RetryInterval.TotalSeconds);
        Declared("TimeoutSec", Timeout.TotalSeconds);
        Require(MaxRetryAfter >= TimeSpan.Zero, nameof(MaxRetryAfter), "must not be negative");
        Require(RequestsPerSecond > 0 && !double.IsNaN(RequestsPerSecond), nameof(RequestsPerSecond), "must be greater than zero");
        Declared("ThrottleLimit", ThrottleLimit);
        Declared("CircuitBreakerThreshold", CircuitBreakerThreshold);
        Declared("AssetPathSuspectThreshold", AssetPathSuspectThreshold);
        Require(MaxResponseBytes is >= 1024 and <= int.MaxValue - 1, nameof(MaxResponseBytes), "must be between 1 KiB and 2 GiB");
        Declared("DatabaseMaximumRetryCount", DatabaseMaximumRetryCount);
        Require(DatabaseRetryInterval >= TimeSpan.Zero, nameof(DatabaseRetryInterval), "must not be negative");
        Declared("WaitTimeoutSec", LockWaitTimeout.TotalSeconds);
        ValidateProxy();
        Require(
            MaxDuration is null || MaxDuration > TimeSpan.Zero,
            nameof(MaxDuration),
            "must be greater than zero (seconds, or a TimeSpan such as 00:45:00)"
        );
        if (MaxDuration is { } budget && budget < Timeout)
        {
            // No asset could start: each must fit one whole attempt inside the budget.
            throw new SyncConfigurationException(
                $"MaxDuration ({FormatSeconds(budget)}) is shorter than one attempt (TimeoutSec {FormatSeconds(Timeout)}), so no asset could start. "
                    + $"Give a budget of at least {FormatSeconds(Timeout)}, or a shorter -TimeoutSec.",
                nameof(MaxDuration)
            );
        }
        return Innomaint.InnomaintRoute.Create(this, baseUrl);
    }

    /// <summary>-NoProxy alone; a proxy URL without a login in it (the login goes in ProxyCredential); one kind of proxy login.</summary>
    private void ValidateProxy()
    {
        if (NoProxy && (Proxy is not null || ProxyCredential is not null || ProxyUseDefaultCredentials))
        {
            throw new SyncConfigurationException(
                "-NoProxy cannot be combined with -Proxy, -ProxyCredential or -ProxyUseDefaultCredentials. Pass -NoProxy alone, or the proxy "
                    + "settings without it.",
                nameof(NoProxy)
            );
        }
        if (ProxyCredential is not null && ProxyUseDefaultCredentials)
        {
            throw new SyncConfigurationException(
                "-ProxyCredential and -ProxyUseDefaultCredentials cannot be combined: pass the proxy account, or use the process's own login.",
                nameof(ProxyCredential)
            );
        }
        if (Proxy is null)
        {
            return;
        }
        if (!Proxy.IsAbsoluteUri || Proxy.Scheme is not ("http" or "https" or "socks4" or "socks4a" or "socks5") || string.IsNullOrEmpty(Proxy.Host))
        {
            throw new SyncConfigurationException(
                $"The proxy '{(Proxy.IsAbsoluteUri ? Innomaint.ProxyRoute.Display(Proxy) : "(not an absolute URL)")}' is not a proxy URL: give "
                    + $"one such as http://proxy.example.org:3128 (http, https, socks4 or socks5).",
                nameof(Proxy)
            );
        }
        if (!string.IsNullOrEmpty(Proxy.UserInfo))
        {
            // Never repeated: the user info may hold the proxy's password.
            throw new SyncConfigurationException(
                $"The proxy URL {Innomaint.ProxyRoute.Display(Proxy)} carries a login; put it in -ProxyCredential instead, so it is never shown "
                    + $"or logged.",
                nameof(Proxy)
            );
        }
        if (!string.IsNullOrEmpty(Proxy.Query) || Proxy.AbsolutePath is not ("/" or ""))
        {
            throw new SyncConfigurationException(
                $"The proxy URL {Innomaint.ProxyRoute.Display(Proxy)} must be scheme://host:port, with no path or query.",
                nameof(Proxy)
            );
        }
    }

    /// <summary>Checks an Innomaint base URL: absolute, http or https, no query or fragment.</summary>
    public static Uri ValidateBaseUrl(string? baseUrl, bool allowUnencryptedAuthentication = false)
    {
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            throw new SyncConfigurationException(
                $"No Innomaint base URL was given: pass -BaseUrl or set the environment variable {BaseUrlVariable}.",
                nameof(BaseUrl)
            );
        }
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new SyncConfigurationException(
                $"The base URL '{TextSafety.Inert(TextSafety.WithoutLogin(baseUrl), 200)}' is not an absolute http or https URL. Use a URL such "
                    + $"as https://cmms.example.org "
                    + "(with no login in it: the token goes in -ApiToken).",
                nameof(BaseUrl)
            );
        }
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new SyncConfigurationException(
                $"The base URL '{uri.Scheme}://{uri.Authority.Split('@')[^1]}{uri.AbsolutePath}' must not carry a query, fragment or user info; "
                    + $"put credentials in -ApiToken.",
                nameof(BaseUrl)
            );
        }
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri) && !allowUnencryptedAuthentication)
        {
            throw new SyncConfigurationException(
                $"The base URL '{uri.GetLeftPart(UriPartial.Authority)}' uses plain http to a host that is not this machine, so the API token "
                    + $"would cross the network unencrypted. "
                    + "Use https, or pass -AllowUnencryptedAuthentication if you accept that risk (for example on an isolated test network).",
                nameof(BaseUrl)
            );
        }
        return uri;
    }

    /// <summary>127.0.0.0/8, localhost or [::1]: the only hosts plain http may carry the token to without being told.</summary>
    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.IsLoopback || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return System.Net.IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip);
    }

    private static string FormatSeconds(TimeSpan span) =>
        span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " s";

    /// <summary>Checks <paramref name="value"/> against the range declared for <paramref name="setting"/>.</summary>
    private static void Declared(string setting, double value)
    {
        if (SyncSettings.Find(setting)?.CheckRange(value) is { } why)
        {
            throw new SyncConfigurationException(
                $"{why}; it was {value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}.",
                setting
            );
        }
    }

    private static void Require(bool ok, string setting, string rule)
    {
        if (!ok)
        {
            throw new SyncConfigurationException($"{setting} {rule}.", setting);
        }
    }

    /// <summary>A copy, so a running engine never sees later changes.</summary>
    internal SyncOptions Clone() => (SyncOptions)MemberwiseClone();

    /// <inheritdoc/>
    public override string ToString() =>
        $"BaseUrl={BaseUrl}, AssetPath={AssetPath}, MaximumRetryCount={MaximumRetryCount}, RetryInterval={RetryInterval}, "
        + $"Timeout={Timeout}, RequestsPerSecond={(AdaptiveRate ? "Auto" : RequestsPerSecond)}, ThrottleLimit={ThrottleLimit}, "
        + $"Proxy={(NoProxy ? "none" : Proxy is null ? "default" : Innomaint.ProxyRoute.Display(Proxy))}, "
        + $"CertificateAuthorityPath={CertificateAuthorityPath ?? "none"}, ApiToken=***";
}
