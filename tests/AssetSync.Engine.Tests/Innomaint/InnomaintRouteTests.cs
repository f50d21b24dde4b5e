using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AssetSync.Innomaint;

namespace AssetSync.Tests.Innomaint;

/// <summary>The way out: which proxy and from where, which faults stop the run, which certificates are trusted.</summary>
public class InnomaintRouteTests
{
    private static readonly Uri Base = new("https://cmms.example.org");

    private static SyncOptions Options(Action<SyncOptions>? change = null)
    {
        var o = new SyncOptions
        {
            BaseUrl = Base.AbsoluteUri,
            ApiToken = "t",
            ConnectionString = "Host=db;Database=ic3",
        };
        change?.Invoke(o);
        return o;
    }

    [Fact]
    public void An_explicit_proxy_is_named_from_Proxy_without_its_login()
    {
        var route = ProxyRoute.Resolve(Options(o => o.Proxy = new Uri("http://proxy.hospital.local:3128")), Base, null);
        Assert.Equal("via proxy http://proxy.hospital.local:3128 (from -Proxy)", route.ToString());
    }

    [Fact]
    public void NoProxy_goes_direct_whatever_the_default_proxy_says()
    {
        var route = ProxyRoute.Resolve(Options(o => o.NoProxy = true), Base, new WebProxy("http://proxy:3128"));
        Assert.False(route.ViaProxy);
        Assert.Equal("direct (-NoProxy)", route.ToString());
    }

    [Fact]
    public void The_system_proxy_is_named_when_no_environment_variable_gives_it()
    {
        var route = ProxyRoute.Resolve(Options(), Base, new WebProxy("http://sys-proxy.invalid:8080"));
        Assert.Equal("via proxy http://sys-proxy.invalid:8080 (from the system proxy settings)", route.ToString());
    }

    [Fact]
    public void A_bypassed_default_proxy_means_direct()
    {
        var route = ProxyRoute.Resolve(Options(), Base, new WebProxy("http://proxy:3128") { BypassList = [@"cmms\.example\.org"] });
        Assert.False(route.ViaProxy);
    }

    [Theory]
    [InlineData(407)]
    [InlineData(401)]
    public void A_tunnel_refused_for_the_login_stops_the_run_as_ProxyRefused(int status)
    {
        var route = Route(o =>
        {
            o.Proxy = new Uri("http://proxy:3128");
            o.ProxyCredential = new NetworkCredential("u", "p4ss-secret");
        });
        var fault = route.FaultOf(
            new HttpRequestException(
                HttpRequestError.ProxyTunnelError,
                $"The proxy tunnel request to proxy 'http://u:p4ss-secret@proxy:3128/' failed with status code '{status}'."
            )
        );
        var refused = Assert.IsType<ProxyRefusedException>(fault);
        Assert.Contains("refused the login", refused.Message, StringComparison.Ordinal);
        Assert.Equal("http://proxy:3128", refused.Proxy);
        Assert.DoesNotContain("p4ss-secret", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_connect_names_the_status_and_what_to_check()
    {
        var fault = Route(o => o.Proxy = new Uri("http://proxy:3128"))
            .FaultOf(
                new HttpRequestException(
                    HttpRequestError.ProxyTunnelError,
                    "The proxy tunnel request to proxy 'http://proxy:3128/' failed with status code '403'."
                )
            );
        Assert.Contains(
            "answered 403 to the tunnel request (CONNECT)",
            Assert.IsType<ProxyRefusedException>(fault).Message,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public void A_connection_failure_is_the_proxys_only_when_a_proxy_is_used()
    {
        var refused = new HttpRequestException(
            HttpRequestError.ConnectionError,
            "Connection refused (proxy:3128)",
            new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)
        );
        Assert.IsType<ProxyRefusedException>(Route(o => o.Proxy = new Uri("http://proxy:3128")).FaultOf(refused));
        Assert.Null(Route(o => o.NoProxy = true).FaultOf(refused));
    }

    [Theory]
    [InlineData(502, "tinyproxy/1.11.1", true)]
    [InlineData(504, "squid/6.1", true)]
    [InlineData(502, null, false)] // Innomaint's own 502: an asset's transient failure, retried
    [InlineData(503, "tinyproxy/1.11.1", true)]
    public void A_5xx_stops_the_run_only_when_the_proxy_made_it(int status, string? server, bool proxyMade)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        if (server is not null)
        {
            response.Headers.TryAddWithoutValidation("Server", server);
        }
        var fault = Route(o => o.Proxy = new Uri("http://proxy:3128")).FaultOf(response);
        Assert.Equal(proxyMade, fault is ProxyRefusedException);
    }

    [Fact]
    public void Innomaints_own_401_stays_a_credentials_answer()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        Assert.Null(Route(o => o.Proxy = new Uri("http://proxy:3128")).FaultOf(response));
    }

    [Fact]
    public void A_proxy_url_with_a_login_is_refused_without_repeating_it()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() => Options(o => o.Proxy = new Uri("http://u:hunter2@proxy:3128")).Validate());
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Proxy", ex.Setting);
    }

    [Fact]
    public void NoProxy_cannot_be_combined()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() =>
            Options(o =>
                {
                    o.NoProxy = true;
                    o.ProxyUseDefaultCredentials = true;
                })
                .Validate()
        );
        Assert.Equal("NoProxy", ex.Setting);
    }

    [Fact]
    public void The_handler_never_follows_redirects_and_uses_the_explicit_proxy()
    {
        using var handler = Route(o =>
            {
                o.Proxy = new Uri("http://proxy:3128");
                o.ProxyCredential = new NetworkCredential("u", "p");
            })
            .CreateHandler(8);
        Assert.False(handler.AllowAutoRedirect);
        var proxy = Assert.IsType<WebProxy>(handler.Proxy);
        Assert.False(proxy.BypassProxyOnLocal);
        Assert.NotNull(proxy.Credentials);
        using var direct = Route(o => o.NoProxy = true).CreateHandler(8);
        Assert.False(direct.UseProxy);
    }

    [Theory]
    [InlineData("ExampleCDN", false)] // added by a CDN that forwarded Innomaint's 503
    [InlineData("inspector; received-status=503", false)] // an inspecting proxy saying what it received
    [InlineData("ExampleCDN; error=http_request_error", true)]
    [InlineData("inspector; received-status=503, proxy.hospital; error=destination_unavailable", true)]
    [InlineData("proxy ;error = connection_timeout", true)]
    public void Only_a_Proxy_Status_naming_an_error_makes_a_5xx_the_proxys(string proxyStatus, bool proxyMade)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Proxy-Status", proxyStatus);
        var fault = Route(o => o.Proxy = new Uri("http://proxy:3128")).FaultOf(response);
        Assert.Equal(proxyMade, fault is ProxyRefusedException);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://[::1]:5080")]
    public void A_loopback_http_url_through_a_proxy_is_refused_unless_allowed(string url)
    {
        var ex = Assert.Throws<SyncConfigurationException>(() =>
            Route(o =>
            {
                o.BaseUrl = url;
                o.Proxy = new Uri("http://proxy:3128");
            })
        );
        Assert.Equal("BaseUrl", ex.Setting);
        Assert.Contains("via proxy http://proxy:3128", ex.Message, StringComparison.Ordinal);
        var allowed = Route(o =>
        {
            o.BaseUrl = url;
            o.Proxy = new Uri("http://proxy:3128");
            o.AllowUnencryptedAuthentication = true;
        });
        Assert.True(allowed.SendsTokenInClear);
        // Direct, plain http to this machine stays allowed and the token stays on it.
        Assert.False(
            Route(o =>
            {
                o.BaseUrl = url;
                o.NoProxy = true;
            }).SendsTokenInClear
        );
    }

    [Fact]
    public void A_base_url_that_does_not_parse_is_never_echoed_with_its_login()
    {
        var ex = Assert.Throws<SyncConfigurationException>(() => SyncOptions.ValidateBaseUrl("https://svc:hunter2-pw@cmms.example.org:44x"));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("https://***@cmms.example.org:44x", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(
            "hunter2",
            Assert.Throws<SyncConfigurationException>(() => SyncOptions.ValidateBaseUrl("svc:hunter2-pw@cmms")).Message,
            StringComparison.Ordinal
        );
    }

    private static InnomaintRoute Route(Action<SyncOptions> change) => Options(change).ValidatedRoute();
}

/// <summary>Extra roots trusted besides the system's; the host name always checked.</summary>
public sealed class CertificateTrustTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("assetsync-ca-").FullName;
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _leaf;

    public CertificateTrustTests()
    {
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Test Hospital Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=cmms.example.org", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _leaf = leafRequest.Create(_root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), [1, 2, 3, 4]);
    }

    [Fact]
    public void Loads_one_or_more_certificates_from_PEM_and_one_from_DER()
    {
        var pem = Path.Combine(_folder, "ca.pem");
        File.WriteAllText(pem, _root.ExportCertificatePem() + "\n" + _leaf.ExportCertificatePem());
        Assert.Equal(2, CertificateTrust.LoadAuthorities(pem).Count);
        var der = Path.Combine(_folder, "ca.cer");
        File.WriteAllBytes(der, _root.RawData);
        Assert.Equal(_root.Thumbprint, Assert.Single(CertificateTrust.LoadAuthorities(der)).Thumbprint);
    }

    [Fact]
    public void Refuses_a_file_with_no_certificate_naming_the_setting()
    {
        var key = Path.Combine(_folder, "key.pem");
        File.WriteAllText(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Assert.Equal("CertificateAuthorityPath", Assert.Throws<SyncConfigurationException>(() => CertificateTrust.LoadAuthorities(key)).Setting);
        Assert.Throws<SyncConfigurationException>(() => CertificateTrust.LoadAuthorities(Path.Combine(_folder, "missing.pem")));
    }

    [Fact]
    public void A_chain_error_passes_with_the_extra_root_and_fails_without_it_naming_the_status()
    {
        // As SslStream hands it over for an HTTPS client: revocation as .NET does it by default (not checked).
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var withRoot = new CertificateTrust([_root]);
        Assert.True(withRoot.Validate(this, _leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
        var without = new CertificateTrust(null);
        chain.Build(_leaf);
        Assert.False(without.Validate(this, _leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains("subject 'CN=cmms.example.org', issuer 'CN=Test Hospital Root'", without.LastRejection, StringComparison.Ordinal);
        Assert.Contains("chain status: ", without.LastRejection, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.3.6.1.5.5.7.3.2", false)] // client authentication only
    [InlineData("1.3.6.1.5.5.7.3.4", false)] // e-mail protection only
    [InlineData("1.3.6.1.5.5.7.3.1", true)] // server authentication
    public void A_certificate_under_the_extra_root_must_be_made_for_server_authentication(string purpose, bool accepted)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=cmms.example.org", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(purpose)], critical: false));
        using var leaf = request.Create(_root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5), [5, 6, 7, 8]);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var trust = new CertificateTrust([_root]);
        Assert.Equal(accepted, trust.Validate(this, leaf, chain, SslPolicyErrors.RemoteCertificateChainErrors));
        if (!accepted)
        {
            Assert.Contains("NotValidForUsage", trust.LastRejection, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_refusal_labels_the_requests_in_flight_then_and_no_later_one()
    {
        var trust = new CertificateTrust(null);
        var during = trust.BeginRequest();
        Assert.False(trust.Validate(this, _leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.NotNull(trust.RejectionFor(during));
        var later = trust.BeginRequest();
        Assert.Null(trust.RejectionFor(later));
    }

    [Fact]
    public void A_ca_file_others_may_write_is_refused_naming_who()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var pem = Path.Combine(_folder, "shared-ca.pem");
        File.WriteAllText(pem, _root.ExportCertificatePem());
        File.SetUnixFileMode(
            pem,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherWrite
        );
        var ex = Assert.Throws<SyncConfigurationException>(() => CertificateTrust.LoadAuthorities(pem));
        Assert.Equal("CertificateAuthorityPath", ex.Setting);
        Assert.Contains("every other user (mode 0646)", ex.Message, StringComparison.Ordinal);
        File.SetUnixFileMode(pem, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Single(CertificateTrust.LoadAuthorities(pem));
    }

    [Fact]
    public void A_name_mismatch_is_refused_even_with_the_root()
    {
        var trust = new CertificateTrust([_root]);
        Assert.False(trust.Validate(this, _leaf, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains("for another name", trust.LastRejection, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _root.Dispose();
        _leaf.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
