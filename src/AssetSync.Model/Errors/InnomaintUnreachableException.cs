namespace AssetSync;

/// <summary>
/// Innomaint itself did not answer: connections failed before any answer came (refused, DNS, TLS, connect timeout), or
/// assets in a row failed as transient, network or timeout and an asset that synced before did not answer either.
/// The assets the stop interrupted were left undecided: none of them was marked failed.
/// </summary>
public sealed class InnomaintUnreachableException : SyncRunFailedException
{
    /// <summary>The circuit opened: <paramref name="consecutiveFailures"/> assets in a row failed, and a check of the service failed too.</summary>
    public InnomaintUnreachableException(int consecutiveFailures, string lastError)
        : base(
            $"Innomaint appears to be unreachable: {consecutiveFailures} assets in a row failed (last: {lastError}), and an asset that synced "
                + $"before did not answer either. "
                + "The run was stopped; the assets it interrupted and those not yet attempted were left untouched. Check Innomaint and -BaseUrl, "
                + "then run Invoke-CmmsRetryFailed."
        )
    {
        ConsecutiveFailures = consecutiveFailures;
        Cause = lastError;
    }

    /// <summary>No answer at all: <paramref name="attempts"/> requests in a row to <paramref name="baseUrl"/> failed at the connection, before any
    /// answer.</summary>
    public InnomaintUnreachableException(string baseUrl, int attempts, string cause)
        : base(
            $"Innomaint could not be reached at {baseUrl}: the first {attempts} requests of the run failed before any answer ({cause}). "
                + "No asset was marked failed. Check -BaseUrl (host, port, http or https) and that Innomaint is running, then run the command again."
        )
    {
        ConsecutiveFailures = attempts;
        Cause = cause;
        BaseUrl = baseUrl;
    }

    /// <summary>
    /// Innomaint's TLS certificate was not accepted: its chain is not trusted, or it is for another name. Nothing was sent
    /// over the connection; the run stops at once.
    /// </summary>
    public InnomaintUnreachableException(string baseUrl, string certificateProblem)
        : base(
            $"Innomaint at {baseUrl} could not be reached securely: {certificateProblem}. The run was stopped; no asset was marked failed. "
                + "If the hospital's own CA issued this certificate (or re-signs TLS on the way), pass its root certificate with "
                + "-CertificateAuthorityPath "
                + "(a PEM or DER file); if the certificate is for another name, check -BaseUrl."
        )
    {
        Cause = certificateProblem;
        BaseUrl = baseUrl;
        CertificateProblem = certificateProblem;
    }

    /// <summary>Why Innomaint's certificate was refused (subject, issuer, the chain status), when that stopped the run.</summary>
    public string? CertificateProblem { get; }

    /// <summary>Assets (or, before any answer, requests) in a row that failed before the run stopped.</summary>
    public int ConsecutiveFailures { get; }

    /// <summary>The last failure, as the engine described it (never holding the token).</summary>
    public string Cause { get; }

    /// <summary>The Innomaint base URL that did not answer.</summary>
    public string? BaseUrl { get; init; }
}
