using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// One place that turns the engine's typed exceptions into PowerShell error records: a unique
/// ErrorId, the right category, a useful target, and the next command to run.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception exception, object? target = null) =>
        exception switch
        {
            SyncConfigurationException e => Make(
                e,
                "AssetSync.InvalidSetting",
                ErrorCategory.InvalidArgument,
                target ?? e.Setting,
                $"Correct the {e.Setting} setting and run the command again. See Get-Help about_AssetSync."
            ),
            CredentialsRefusedException e => Make(
                e,
                "AssetSync.CredentialsRefused",
                ErrorCategory.AuthenticationError,
                target ?? e.SerialNumber,
                $"Check the API token (-ApiToken, -Credential, $env:{SyncSettings.ApiTokenVariable} or the vault), then run Invoke-CmmsSync again."
            ),
            InnomaintUnreachableException { CertificateProblem: not null } e => Make(
                e,
                "AssetSync.InnomaintUnreachable",
                ErrorCategory.SecurityError,
                target ?? e.BaseUrl,
                "Pass the issuing root CA with -CertificateAuthorityPath (or CertificateAuthorityPath in the settings file), or check -BaseUrl's "
                    + "host name, then run the command again."
            ),
            InnomaintUnreachableException e => Make(
                e,
                "AssetSync.InnomaintUnreachable",
                ErrorCategory.ConnectionError,
                target ?? e.BaseUrl,
                "Check that Innomaint answers at -BaseUrl, then run Invoke-CmmsRetryFailed."
            ),
            ProxyRefusedException e => Make(
                e,
                "AssetSync.ProxyRefused",
                ErrorCategory.ConnectionError,
                target ?? e.Proxy,
                "Check the proxy settings (-Proxy, -ProxyCredential, -ProxyUseDefaultCredentials, or HTTPS_PROXY/NO_PROXY), then run the command "
                    + "again."
            ),
            DatabaseUnavailableException e => Make(
                e,
                "AssetSync.DatabaseUnavailable",
                ErrorCategory.ConnectionError,
                target ?? e.Target,
                $"Check -ConnectionString (or $env:{SyncSettings.ConnectionStringVariable}), -DatabaseCredential and that PostgreSQL is running, "
                    + $"then run Get-CmmsSyncStatus."
            ),
            SchemaUpgradeException e => Make(
                e,
                "AssetSync.SchemaUpgradeFailed",
                ErrorCategory.OperationStopped,
                target ?? e.Target,
                "Run Initialize-CmmsSyncSchema again: it resumes at this step. If a lock wait ran out, look for the long query in "
                    + "pg_stat_activity first."
            ),
            SchemaMissingException e => Make(
                e,
                "AssetSync.SchemaMissing",
                ErrorCategory.NotInstalled,
                target ?? e.Target,
                "Run Initialize-CmmsSyncSchema against this database."
            ),
            RunLockLostException e => Make(
                e,
                "AssetSync.RunLockLost",
                ErrorCategory.ResourceBusy,
                target,
                "See the other run with Get-CmmsSyncStatus; once it ends, run Invoke-CmmsRetryFailed or Invoke-CmmsSync again."
            ),
            AssetPathSuspectException e => Make(
                e,
                "AssetSync.AssetPathSuspect",
                ErrorCategory.InvalidArgument,
                target ?? e.TriedUrl,
                "Check -BaseUrl and -AssetPath against Innomaint's API documentation, then run Invoke-CmmsSync again."
            ),
            UnexpectedSyncErrorException e => Make(
                e,
                "AssetSync.UnexpectedError",
                ErrorCategory.NotSpecified,
                target ?? e.SerialNumber,
                "Run the command again; if it recurs, report it with the transcript and $Error[0].Exception.InnerException."
            ),
            SyncRunTerminatedException e => Make(
                e,
                "AssetSync.RunTerminated",
                ErrorCategory.OperationStopped,
                target ?? e.Summary.RunId,
                "Nothing to repair: the next run carries on where this one stopped."
            ),
            SyncRunLockedException e => Make(
                e,
                "AssetSync.SyncRunInProgress",
                ErrorCategory.ResourceBusy,
                target ?? e.RunId,
                e.Waited is null
                    ? "Wait for the other run (Get-CmmsSyncStatus shows it), or add -Wait to wait for it."
                    : "See the other run with Get-CmmsSyncStatus. If it is working, raise -WaitTimeoutSec; if it is stuck, stop it on its host."
            ),
            PlatformNotSupportedException e => Make(
                e,
                "AssetSync.WindowsOnly",
                ErrorCategory.NotImplemented,
                target,
                "Nothing to do on this system: events go to the journal where systemd-cat exists."
            ),
            _ => Make(exception, "AssetSync.UnexpectedError", ErrorCategory.NotSpecified, target, null),
        };

    private static ErrorRecord Make(Exception e, string id, ErrorCategory category, object? target, string? recommendedAction)
    {
        var record = new ErrorRecord(e, id, category, target);
        if (recommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = recommendedAction };
        }
        return record;
    }
}
