using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;

namespace AssetSync.Innomaint;

/// <summary>
/// Decides whether Innomaint's TLS certificate is accepted: the system's roots, plus the roots of -CertificateAuthorityPath.
/// The host name is always checked; revocation is checked as .NET checks it for an HTTPS client (not at all, unless the
/// system's policy says otherwise). Remembers why the last certificate was refused, so the run can say it.
/// </summary>
internal sealed class CertificateTrust
{
    private readonly X509Certificate2Collection? _extraRoots;
    private string? _lastRejection;

    public CertificateTrust(X509Certificate2Collection? extraRoots) => _extraRoots = extraRoots is { Count: > 0 } ? extraRoots : null;

    /// <summary>Why the last certificate was refused (subject, issuer, chain status), or null when none was.</summary>
    public string? LastRejection => Volatile.Read(ref _lastRejection);

    /// <summary>
    /// The certificates of a PEM file (one or more BEGIN CERTIFICATE blocks) or a DER file (one certificate).
    /// Throws <see cref="SyncConfigurationException"/> naming the file and what is wrong with it.
    /// </summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        const string setting = "CertificateAuthorityPath";
        if (!File.Exists(path))
        {
            throw new SyncConfigurationException($"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) does not exist. Give the path of the root certificate, PEM or DER.", setting);
        }
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
                $"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) could not be read as certificates ({ex.GetType().Name}: {ex.Message}). " +
                "Give a PEM file with one or more '-----BEGIN CERTIFICATE-----' blocks, or a DER (.cer) file.", setting);
        }
        if (certificates.Count == 0)
        {
            throw new SyncConfigurationException(
                $"The CA file '{TextSafety.Inert(path, 200)}' (-CertificateAuthorityPath) holds no certificate. Give a PEM or DER certificate file (not a private key).", setting);
        }
        return certificates;
    }

    /// <summary>The handler's RemoteCertificateValidationCallback.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
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
        Volatile.Write(ref _lastRejection, why);
        return false;
    }

    /// <summary>Subject and issuer as the certificate states them: untrusted text, made inert.</summary>
    private static string Describe(X509Certificate2 cert) =>
        $"subject '{TextSafety.Inert(cert.Subject, 200)}', issuer '{TextSafety.Inert(cert.Issuer, 200)}'";

    private static string Statuses(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
        return statuses.Length == 0 ? "chain status: none given" : "chain status: " + string.Join(", ", statuses);
    }
}
