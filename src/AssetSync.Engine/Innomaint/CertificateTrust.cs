using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AssetSync.Innomaint;

/// <summary>
/// Decides whether Innomaint's TLS certificate is accepted: the system's roots, plus the roots of -CertificateAuthorityPath.
/// The host name is always checked; revocation is checked as .NET checks it for an HTTPS client (not at all, unless the
/// system's policy says otherwise), and so is the purpose: with the extra roots as without, the certificate must be made for
/// server authentication. Remembers why the last certificate was refused, and which requests were in flight then, so the
/// run can say it for those requests and for no later one.
/// </summary>
internal sealed class CertificateTrust
{
    /// <summary>The server-authentication purpose (id-kp-serverAuth), which the system's own check requires of a server.</summary>
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private readonly X509Certificate2Collection? _extraRoots;
    private readonly bool _skipCheck;
    private Rejection? _lastRejection;
    private long _requests;

    /// <summary>The system's roots plus <paramref name="extraRoots"/>; <paramref name="skipCheck"/> is -SkipCertificateCheck (every certificate
    /// accepted, as its help warns).</summary>
    public CertificateTrust(X509Certificate2Collection? extraRoots, bool skipCheck = false)
    {
        _extraRoots = extraRoots is { Count: > 0 } ? extraRoots : null;
        _skipCheck = skipCheck;
    }

    /// <summary>Why the last certificate was refused (subject, issuer, chain status), or null when none was.</summary>
    public string? LastRejection => Volatile.Read(ref _lastRejection)?.Why;

    /// <summary>A request is about to be sent: its ticket, for <see cref="RejectionFor"/>.</summary>
    public long BeginRequest() => Interlocked.Increment(ref _requests);

    /// <summary>
    /// Why a certificate was refused while the request holding <paramref name="ticket"/> was in flight, or null: a refusal
    /// from before that request began belongs to another request, and must not label this one's unrelated TLS failure.
    /// </summary>
    public string? RejectionFor(long ticket) => Volatile.Read(ref _lastRejection) is { } r && r.LastTicket >= ticket ? r.Why : null;

    /// <summary>
    /// The certificates of a PEM file (one or more BEGIN CERTIFICATE blocks) or a DER file (one certificate).
    /// Throws <see cref="SyncConfigurationException"/> naming the file and what is wrong with it.
    /// </summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        const string setting = "CertificateAuthorityPath";
        if (!File.Exists(path))
        {
            throw new SyncConfigurationException(
                $"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) does not exist. Give the path of the root certificate, "
                    + $"PEM or DER.",
                setting
            );
        }
        // The extra roots decide whom the token is sent to: a file others may write is no root of trust.
        TrustedFile.Check(Path.GetFullPath(path), setting, "CA file");
        var certificates = new X509Certificate2Collection();
        try
        {
            var bytes = File.ReadAllBytes(path);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SyncConfigurationException(
                $"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) could not be read as certificates ({ex.GetType().Name}: "
                    + $"{ex.Message}). "
                    + "Give a PEM file with one or more '-----BEGIN CERTIFICATE-----' blocks, or a DER (.cer) file.",
                setting
            );
        }
        if (certificates.Count == 0)
        {
            throw new SyncConfigurationException(
                $"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) holds no certificate. Give a PEM or DER certificate "
                    + $"file (not a private key).",
                setting
            );
        }
        return certificates;
    }

    /// <summary>The handler's RemoteCertificateValidationCallback.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None || _skipCheck)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return Reject("the server sent no certificate");
        }
        var owned = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var disposeOwned = owned;
        var cert = certificate as X509Certificate2 ?? owned!;
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            // Never trusted, whatever the roots: a certificate for another name is another server.
            return Reject($"the certificate is for another name ({Describe(cert)}; RemoteCertificateNameMismatch)");
        }
        if (_extraRoots is null)
        {
            return Reject($"the certificate's chain is not trusted ({Describe(cert)}; {Statuses(chain)})");
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = chain?.ChainPolicy.RevocationMode ?? X509RevocationMode.NoCheck;
        custom.ChainPolicy.RevocationFlag = chain?.ChainPolicy.RevocationFlag ?? X509RevocationFlag.ExcludeRoot;
        // The system's check asks for a server's purpose; a chain rebuilt here must ask for it too, or a certificate made
        // for client authentication or e-mail under the same root would pass for Innomaint's.
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain is not null)
        {
            // The intermediates the server sent travel in the original chain's extra store.
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }
        if (custom.Build(cert))
        {
            return true;
        }
        return Reject($"the certificate's chain is not trusted, not even with -CertificateAuthorityPath ({Describe(cert)}; {Statuses(custom)})");
    }

    private bool Reject(string why)
    {
        // Every request begun so far may be the one whose connection this was.
        Volatile.Write(ref _lastRejection, new Rejection(Interlocked.Read(ref _requests), why));
        return false;
    }

    private sealed record Rejection(long LastTicket, string Why);

    /// <summary>Subject and issuer as the certificate states them: untrusted text, made inert.</summary>
    private static string Describe(X509Certificate2 cert) =>
        $"subject '{TextSafety.Inert(cert.Subject, 200)}', issuer '{TextSafety.Inert(cert.Issuer, 200)}'";

    private static string Statuses(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
        return statuses.Length == 0 ? "chain status: none given" : "chain status: " + string.Join(", ", statuses);
    }
}
