<#
.SYNOPSIS
The scheduled job: sync every asset, retry the failures, report what is left.

.DESCRIPTION
Runs Invoke-CmmsSync -BatchSize 0 (in -Order: by default where a refresh buys the most freshness, never-synced
assets and those older than -MaxSyncAge first), then Invoke-CmmsRetryFailed. With -MaxDuration
both share that window: the batch stops taking assets when it is spent (the rest go first next time),
and the retry gets what is left. Writes a transcript and a CSV of the assets still failing into
-LogPath, keeping the newest -Keep of each. With -LogRetentionDays, ic3_sync_log rows older than
that are removed at the end (Remove-CmmsSyncLog: short batches; no status changes).

Exit codes, for the scheduler (every code but 0 means "look at this"):
  0  all is well: the runs completed and failed assets (deferred ones not counted) are at most
     -MaxFailedPercent of the register (any at all with -FailOnAnyFailure); or this host skipped
     because another held the run (-IfRunning Skip, the default: a standby server)
  2  a run failed or could not start, anything before the sync included: credentials refused,
     database unreachable, Innomaint unreachable, missing schema, bad settings, a time window
     that decided no asset,
     or cancelled (Ctrl+C, or SIGTERM from systemctl stop or a scheduler's time limit: the run is
     recorded as cancelled, and the transcript and the failure CSV are still written)
  3  the runs completed, but failed assets are above -MaxFailedPercent (see the CSV)
  The script never exits 1 itself: 1 is pwsh's own code for a script that could not start (a
  mistyped parameter), so it too means "look at this".

Settings are resolved as the cmdlets resolve them: a parameter of this script, then the environment
(ASSETSYNC_CONNECTION_STRING, ASSETSYNC_BASE_URL, ASSETSYNC_API_TOKEN), then the settings file
(-ConfigurationPath or ASSETSYNC_CONFIGURATION), then the default. Every parameter of this script can be
a key of the settings file, so the task's action needs only -ConfigurationPath. Secrets never go in
the file: the token and the logins come from a SecretManagement vault by name (ApiTokenSecretName,
DatabaseCredentialSecretName, ProxyCredentialSecretName, SecretVault), from a credential file made
once by the task's account (CredentialPath), or from the environment.

.EXAMPLE
pwsh -NoProfile -File Invoke-CmmsScheduledSync.ps1 -ConfigurationPath C:\AssetSync\assetsync.psd1
Everything from the settings file; the token from the vault it names (ApiTokenSecretName).

.EXAMPLE
pwsh -NoProfile -File Invoke-CmmsScheduledSync.ps1 -LogPath C:\AssetSync\logs -CredentialPath C:\AssetSync\token.xml

.EXAMPLE
pwsh -NoProfile -File Invoke-CmmsScheduledSync.ps1 -RequestsPerSecond Auto -MaxDuration 04:00:00
Learns the quota (or uses the one Innomaint states) and starts each night where the last ended.
#>
[CmdletBinding()]
param(
    # A settings file (.psd1; Get-Help about_AssetSync): every parameter below can be a key in it, and this script then needs
    # nothing else on its command line. Default: $env:ASSETSYNC_CONFIGURATION. A parameter given here wins over the file.
    [string] $ConfigurationPath,

    # Folder for transcripts and failure CSVs, writable by this account only; created (owner-only) if missing. Default: the
    # account's own, %LOCALAPPDATA%\AssetSync\Logs on Windows, ~/.local/state/AssetSync/logs elsewhere (never the shared temp folder).
    [string] $LogPath,

    # How many transcripts and CSVs to keep (default 14; its range is declared once, in the settings catalogue).
    [int] $Keep,

    # A credential saved with Export-Clixml whose password is the API token.
    [string] $CredentialPath,

    [string] $ConnectionString,
    # The database login, apart from the connection string (or DatabaseCredentialSecretName).
    [pscredential] $DatabaseCredential,
    [string] $BaseUrl,
    [string] $AssetPath,

    # The API quota, as the sync cmdlets take it: a number (a hard ceiling), or Auto (use the quota Innomaint
    # states, or learn it and remember it in cmms_rate_state for the next night). The rest as the sync cmdlets take them.
    [ValidateScript({ "$_" -eq 'Auto' -or ("$_" -as [double]) -gt 0 }, ErrorMessage = "'{0}' is not a rate: give requests per second greater than 0 (for example 5), or Auto.")]
    [object] $RequestsPerSecond,
    [double] $RetryIntervalSec,
    [int] $MaximumRetryCount,
    [int] $ThrottleLimit,
    [int] $CircuitBreakerThreshold,
    # Retries of the run's database work after a lost connection (waits of 0.5 s up to 8 s); 0 exits 2 at once.
    [int] $DatabaseMaximumRetryCount,

    # The per-attempt timeout in seconds, as the sync cmdlets take it (and check it).
    [double] $TimeoutSec,

    # The job's time window: seconds (7200) or a TimeSpan (02:00:00); none by default. At least -TimeoutSec, and below
    # the scheduler's own time limit for the task.
    [ValidateScript({ ($_ -is [timespan] -and $_ -gt [timespan]::Zero) -or ("$_" -match ':' -and ("$_" -as [timespan]) -gt [timespan]::Zero) -or ("$_" -as [double]) -gt 0 },
        ErrorMessage = "'{0}' is not a duration: give seconds greater than 0 (for example 7200) or a TimeSpan (for example 02:00:00).")]
    [object] $MaxDuration,

    # The batch's order, as Invoke-CmmsSync takes it: ChangeRate (the default: where a refresh buys the most freshness) or
    # Stalest (a round robin).
    [ValidateSet('ChangeRate', 'Stalest')]
    [string] $Order,

    # ChangeRate's floor: an asset not verified for this long goes first (default 30 days): a TimeSpan (30.00:00:00) or seconds.
    [ValidateScript({ ($_ -is [timespan] -and $_ -gt [timespan]::Zero) -or ("$_" -match ':' -and ("$_" -as [timespan]) -gt [timespan]::Zero) -or ("$_" -as [double]) -gt 0 },
        ErrorMessage = "'{0}' is not a duration: give a TimeSpan (for example 30.00:00:00) or seconds greater than 0.")]
    [object] $MaxSyncAge,

    # ChangeRate's weight of each criticality, as Invoke-CmmsSync takes it (@{ High = 5; Medium = 2 }): critical devices
    # first. Checked by the cmdlet before anything is sent; from the file, Invoke-CmmsSync reads it itself.
    [hashtable] $CriticalityWeight,

    # The way out to Innomaint, as the sync cmdlets take it.
    [uri] $Proxy,
    [pscredential] $ProxyCredential,
    [switch] $ProxyUseDefaultCredentials,
    [switch] $NoProxy,
    [string] $CertificateAuthorityPath,

    # Remove ic3_sync_log rows older than this many days after the runs; 0 (the default) keeps everything.
    [int] $LogRetentionDays,

    # When another run holds the database (another host runs the same schedule): Skip (the job's default: exit 0),
    # Wait for it, or Fail (exit 2).
    [ValidateSet('Fail', 'Wait', 'Skip')]
    [string] $IfRunning,

    # Failed assets (deferred ones not counted), as a percentage of the register, above which the job exits 3 (default 5).
    [double] $MaxFailedPercent,

    # Exit 3 on any failed asset (deferred ones not counted), whatever -MaxFailedPercent says.
    [switch] $FailOnAnyFailure,

    # An asset without a success for this long is stale; the job reports how many there are (default 7 days).
    [timespan] $StaleAfter,

    # Write the last run's figures and the register's state here (a .prom file for a textfile collector).
    [string] $MetricsPath,

    # Secrets from a SecretManagement vault (Get-Secret), by name: the API token (a SecureString, or a PSCredential whose
    # password is the token), the database login and the proxy login (PSCredentials). -SecretVault names the vault.
    [string] $SecretVault,
    [string] $ApiTokenSecretName,
    [string] $DatabaseCredentialSecretName,
    [string] $ProxyCredentialSecretName
)

$ErrorActionPreference = 'Stop'
$stamp = Get-Date -Format 'yyyyMMdd-HHmmss-fff'
$transcript = $null
$csv = $null
$logging = $false
$exitCode = 2
$failures = $null
$skipped = $false
$sync = $null
$status = $null
$runError = $null
$failedSummary = $null
$statusParameters = @{}
try {
    # The module this script ships with, else whatever AssetSync is installed. Loaded first, so even a log folder
    # that cannot be used still gets its event (1002).
    $bundled = Join-Path $PSScriptRoot '../../AssetSync.psd1'
    if (Test-Path $bundled) { Import-Module $bundled } else { Import-Module AssetSync }

    # Every setting resolved as the cmdlets resolve it (parameter, environment, settings file, default), from the one
    # declaration of each (Get-CmmsSyncConfiguration); a bad settings file stops here, exit 2, with the reason.
    $configuration = if ($ConfigurationPath) { @{ ConfigurationPath = $ConfigurationPath } } else { @{} }
    $resolved = @{}
    foreach ($setting in Get-CmmsSyncConfiguration @configuration) { $resolved[$setting.Name] = $setting }
    $bound = $PSBoundParameters
    function Get-JobSetting([string] $Name) {
        if ($bound.ContainsKey($Name)) { return $bound[$Name] }
        $resolved[$Name].Value
    }
    # The job's own settings given here are checked against the same declarations as the file's (the file's were checked
    # when it was read): a value out of range stops the job, exit 2, before anything is written or removed.
    foreach ($name in 'Keep', 'LogRetentionDays', 'MaxFailedPercent') {
        if ($bound.ContainsKey($name) -and ($why = [AssetSync.SyncSettings]::Find($name).CheckRange($bound[$name]))) {
            throw [AssetSync.SyncConfigurationException]::new("-$name $($bound[$name]): $why.", $name)
        }
    }
    $LogPath = Get-JobSetting 'LogPath'
    if (-not $LogPath) { $LogPath = [AssetSync.TrustedFile]::DefaultLogFolder }
    $transcript = Join-Path $LogPath "assetsync-$stamp.log"
    $csv = Join-Path $LogPath "failures-$stamp.csv"
    $Keep = Get-JobSetting 'Keep'
    $MaxFailedPercent = Get-JobSetting 'MaxFailedPercent'
    $FailOnAnyFailure = [bool](Get-JobSetting 'FailOnAnyFailure')
    $StaleAfter = Get-JobSetting 'StaleAfter'
    $LogRetentionDays = Get-JobSetting 'LogRetentionDays'
    $TimeoutSec = Get-JobSetting 'TimeoutSec'
    $CredentialPath = Get-JobSetting 'CredentialPath'
    # The job's own default is Skip (a standby server runs the same schedule); a parameter or the file can say otherwise.
    $IfRunning = if ($bound.ContainsKey('IfRunning')) { $IfRunning } elseif ($resolved['IfRunning'].Source -eq 'File') { "$($resolved['IfRunning'].Value)" } else { 'Skip' }

    # Inside the error handling: an unusable -LogPath exits 2 with the reason, never pwsh's own 1.
    try {
        # Created owner-only, and refused when another account owns it or others may write it.
        $LogPath = [AssetSync.TrustedFile]::EnsurePrivateFolder($LogPath, 'LogPath')
        $transcript = Join-Path $LogPath "assetsync-$stamp.log"
        $csv = Join-Path $LogPath "failures-$stamp.csv"
        Start-Transcript -Path $transcript | Out-Null
        $logging = $true
    } catch {
        throw "The log folder -LogPath '$LogPath' cannot be used: $($_.Exception.Message)"
    }

    # Sync settings given to this script go to the cmdlets as parameters; the rest they resolve themselves from the same
    # environment and settings file.
    $common = @{} + $configuration
    foreach ($name in 'ConnectionString', 'DatabaseCredential', 'BaseUrl', 'AssetPath', 'RequestsPerSecond', 'RetryIntervalSec', 'MaximumRetryCount',
        'ThrottleLimit', 'TimeoutSec', 'CircuitBreakerThreshold', 'DatabaseMaximumRetryCount', 'Proxy', 'ProxyCredential', 'ProxyUseDefaultCredentials', 'NoProxy',
        'CertificateAuthorityPath', 'MetricsPath') {
        if ($bound.ContainsKey($name)) { $common[$name] = $bound[$name] }
    }
    if ($CredentialPath) {
        # Whoever may write the credential file chooses the token: refused unless only its owner may.
        $CredentialPath = (Resolve-Path -LiteralPath $CredentialPath).ProviderPath
        [AssetSync.TrustedFile]::Check($CredentialPath, 'CredentialPath', 'credential file')
        $common.Credential = Import-Clixml -Path $CredentialPath
    }

    # Secrets by name from a SecretManagement vault, where one is installed; never written anywhere.
    $vaultArgs = @{}
    if ($vault = Get-JobSetting 'SecretVault') { $vaultArgs.Vault = $vault }
    foreach ($pair in @(@('ApiTokenSecretName', 'ApiToken'), @('DatabaseCredentialSecretName', 'DatabaseCredential'), @('ProxyCredentialSecretName', 'ProxyCredential'))) {
        $secretName = Get-JobSetting $pair[0]
        if (-not $secretName -or $common.ContainsKey($pair[1])) { continue }
        if (-not (Get-Command Get-Secret -ErrorAction SilentlyContinue)) {
            throw "$($pair[0]) names the secret '$secretName', but SecretManagement is not installed for this account: Install-PSResource Microsoft.PowerShell.SecretManagement (and a vault such as Microsoft.PowerShell.SecretStore), or give $($pair[1]) another way."
        }
        $secret = Get-Secret -Name $secretName @vaultArgs -ErrorAction Stop
        if ($pair[1] -eq 'ApiToken' -and $secret -is [pscredential]) { $common.Credential = $secret } else { $common[$pair[1]] = $secret }
    }
    $statusParameters = @{} + $configuration
    foreach ($name in 'ConnectionString', 'DatabaseCredential') { if ($common.ContainsKey($name)) { $statusParameters[$name] = $common[$name] } }

    $window = [Diagnostics.Stopwatch]::StartNew()
    # A bare number is seconds, as the cmdlets take it (a [timespan] parameter would read 90 as 90 ticks).
    # (Not assigned back to $MaxDuration: its validation would run again on $null.)
    $duration = Get-JobSetting 'MaxDuration'
    if ($null -ne $duration -and $duration -isnot [timespan]) {
        $duration = if ("$duration" -match ':') { [timespan]"$duration" } else { [timespan]::FromSeconds([double]"$duration") }
    }
    $budget = if ($null -ne $duration) { @{ MaxDuration = $duration } } else { @{} }
    # The order is the batch's alone (retry-failed is never ordered by it); from the file, Invoke-CmmsSync reads it itself.
    $ordering = @{}
    foreach ($name in 'Order', 'MaxSyncAge', 'CriticalityWeight') { if ($bound.ContainsKey($name)) { $ordering[$name] = $bound[$name] } }
    $sync = Invoke-CmmsSync -BatchSize 0 -Summary -IfRunning $IfRunning @common @budget @ordering -WarningAction Continue
    if ($sync.Status -eq 'skipped') {
        # A standby server: the other host has the run. All is well here.
        Write-Host "Skipped: $($sync.Error)"
        $exitCode = 0
        $skipped = $true
    } else {
        Write-Host ("Sync run {0}: {1}, {2} succeeded ({3} unchanged, {9} of them with volatile fields only), {4} failed, {5} not reached; {6} requests, {7} throttled (429), {8:0.##} requests/s." -f $sync.RunId, [AssetSync.RunStatusNames]::Name($sync.Status), $sync.Succeeded, $sync.Unchanged, $sync.Failed, $sync.NotReached, $sync.Requests, $sync.Throttled, $sync.RequestsPerSecond, $sync.VolatileAnswers)
        if ($null -ne $sync.LearnedRequestsPerSecond) { Write-Host ("Learned rate: {0:0.##} requests/s ({1}); the next Auto run starts from it." -f $sync.LearnedRequestsPerSecond, $sync.LearnedRateSource) }
        if ($sync.Status -ne 'complete') { throw "Sync run $($sync.RunId) ended $([AssetSync.RunStatusNames]::Name($sync.Status))." }
        if ($sync.StoppedBy -eq 'max_duration' -and ($sync.Succeeded + $sync.Failed) -eq 0) {
            # Not a quiet night: the window was too short for even one asset.
            throw "Sync run $($sync.RunId) decided no asset: the time window ($duration) ended it with $($sync.NotReached) not reached. Give a longer -MaxDuration."
        }

        $left = if ($budget.Count) { $duration - $window.Elapsed } else { $null }
        if ($null -ne $left -and $left.TotalSeconds -lt $TimeoutSec) {
            Write-Host 'The time window is spent; the retry of failed assets waits for the next run.'
        } else {
            if ($null -ne $left) { $budget.MaxDuration = $left }
            # The lock is this job's own from here: the batch run just released it.
            $retry = Invoke-CmmsRetryFailed -Summary -IfRunning Wait @common @budget
            Write-Host ("Retry run {0}: {1}, {2} succeeded, {3} failed." -f $retry.RunId, [AssetSync.RunStatusNames]::Name($retry.Status), $retry.Succeeded, $retry.Failed)
            if ($retry.Status -ne 'complete') { throw "Retry run $($retry.RunId) ended $([AssetSync.RunStatusNames]::Name($retry.Status))." }
        }

        if ($LogRetentionDays -gt 0) {
            $removed = Remove-CmmsSyncLog -OlderThan ([timespan]::FromDays($LogRetentionDays)) -Confirm:$false @statusParameters
            Write-Host "Removed $($removed.Removed) ic3_sync_log row(s) older than $LogRetentionDays day(s)."
        }

        $failures = @(Get-CmmsSyncFailure @statusParameters)
        Write-Host "$($failures.Count) asset(s) still failing; listed in $csv"
        $status = Get-CmmsSyncStatus @statusParameters -StaleAfter $StaleAfter
        # Deferred assets (not in Innomaint, refused requests) wait days by design: they do not count against the threshold.
        $failing = [math]::Max(0, $status.FailedAssets - $status.DeferredAssets)
        $percent = if ($status.TotalAssets -gt 0) { 100.0 * $failing / $status.TotalAssets } else { 0 }
        Write-Host ("{0} failed asset(s) not deferred: {1:0.##} % of {2} (threshold {3} %); {4} stale (no success for {5})." -f $failing, $percent, $status.TotalAssets, $MaxFailedPercent, $status.StaleAssets, $StaleAfter)
        $exitCode = if ($percent -gt $MaxFailedPercent -or ($FailOnAnyFailure -and $failing -gt 0)) { 3 } else { 0 }
    }
} catch {
    # Also a stop by SIGTERM (systemctl stop, a scheduler's time limit): the run was cancelled cleanly.
    Write-Host "AssetSync run failed: $($_.Exception.Message)"
    # Standard error too: with no transcript (an unusable -LogPath), the scheduler's log is the only place left.
    [Console]::Error.WriteLine("AssetSync run failed: $($_.Exception.Message)")
    if ($_.ErrorDetails.RecommendedAction) { Write-Host "Next: $($_.ErrorDetails.RecommendedAction)" }
    $runError = $_.Exception.Message
    if ($_.Exception.PSObject.Properties['Summary'] -and $_.Exception.Summary) { $failedSummary = $_.Exception.Summary }
    $exitCode = 2
} finally {
    # One event per night for the Event Log (Windows) or the journal (Linux): 1000-1003, and 1004 when the register is stale.
    try {
        if (Get-Command Write-CmmsSyncEvent -ErrorAction SilentlyContinue) {
            $eventArgs = @{ MaxFailedPercent = $MaxFailedPercent; FailOnAnyFailure = [bool]$FailOnAnyFailure; PassThru = $true }
            if ($exitCode -eq 2) {
                # The failed run's own summary when there is one; the error says why either way.
                $summary = $failedSummary ?? $(if ($sync -and $sync.Status -ne 'complete') { $sync })
                if ($summary) { $eventArgs.Summary = $summary }
                $eventArgs.RunError = $runError ?? 'the run did not complete'
            } else {
                $eventArgs.Summary = $sync
                if ($status) { $eventArgs.Status = $status }
            }
            foreach ($e in Write-CmmsSyncEvent @eventArgs) { Write-Host ("Event {0} ({1}): {2}" -f $e.EventId, $e.Level, $e.Message) }
        }
    } catch {
        Write-Host "The run's event could not be written: $($_.Exception.Message)"
    }
    # The failure list is written on every path, a failed or stopped run included (not by a standby that skipped,
    # nor where the log folder could not be used).
    if (-not $skipped -and $logging) { try {
        if ($null -eq $failures) { $failures = @(Get-CmmsSyncFailure @statusParameters) }
        # Cells a spreadsheet could take for a formula (=, +, -, @, tab, CR) are quoted with a leading '.
        $failures | Select-Object -Property SerialNumber, AssetCode, AssetName, Department, ErrorKind, HttpStatus, Attempts, Error, FailedAt, FailingSince, ConsecutiveFailures, NextAttemptAt, RunId |
            ForEach-Object {
                foreach ($p in $_.PSObject.Properties) { if ($p.Value -is [string]) { $p.Value = [AssetSync.TextSafety]::CsvCell($p.Value) } }
                $_
            } | Export-Csv -Path $csv -NoTypeInformation
        if (-not (Test-Path $csv)) { Set-Content -Path $csv -Value '"SerialNumber","AssetCode","AssetName","Department","ErrorKind","HttpStatus","Attempts","Error","FailedAt","FailingSince","ConsecutiveFailures","NextAttemptAt","RunId"' }
    } catch {
        Write-Host "The failure list could not be written: $($_.Exception.Message)"
    } }
    if ($logging) {
        Stop-Transcript | Out-Null
        # Keep the newest $Keep of each kind of file; never fewer than one (the transcript just written).
        if ($Keep -ge 1) { foreach ($pattern in 'assetsync-*.log', 'failures-*.csv') {
            Get-ChildItem -Path $LogPath -Filter $pattern | Sort-Object Name -Descending | Select-Object -Skip $Keep | Remove-Item -Force -ErrorAction SilentlyContinue
        } }
    }
}
exit $exitCode
