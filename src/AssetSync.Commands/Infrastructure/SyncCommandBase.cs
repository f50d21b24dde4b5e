using System.Management.Automation;
using System.Net;
using System.Security;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// The parameters every sync cmdlet shares (named after Invoke-RestMethod and ForEach-Object -Parallel)
/// and the one way a sync is run: options from parameters and environment, -WhatIf, progress,
/// verbose retries, one result object per asset or one summary.
/// </summary>
public abstract class SyncCommandBase : DatabaseCommandBase
{
    /// <summary>Innomaint's base URL. Defaults to $env:ASSETSYNC_BASE_URL.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BaseUrl { get; set; }

    /// <summary>The API token. Defaults to $env:ASSETSYNC_API_TOKEN.</summary>
    [Parameter]
    [SecureStringTransformation]
    [ValidateNotNull]
    public SecureString? ApiToken { get; set; }

    /// <summary>A credential whose password is the API token (the user name is ignored).</summary>
    [Parameter]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>Path template with {serialnumber}; default /api/v1/assets/{serialnumber}.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string AssetPath { get; set; } = SyncDefaults.AssetPath;

    /// <summary>Retries after the first attempt, 0 to 10.</summary>
    [Parameter]
    [ValidateSetting(nameof(MaximumRetryCount))]
    public int MaximumRetryCount { get; set; } = SyncDefaults.MaximumRetryCount;

    /// <summary>Base backoff in seconds (fractions allowed): waits of 1×, 2×, 4× this.</summary>
    [Parameter]
    [ValidateSetting(nameof(RetryIntervalSec))]
    public double RetryIntervalSec { get; set; } = SyncDefaults.RetryIntervalSeconds;

    /// <summary>Per-attempt timeout in seconds.</summary>
    [Parameter]
    [ValidateSetting(nameof(TimeoutSec))]
    public double TimeoutSec { get; set; } = SyncDefaults.TimeoutSeconds;

    /// <summary>
    /// The API quota, shared by every request of the run, retries included: a number (a hard ceiling that rate-limit headers
    /// can only lower), or Auto (use the quota the API states; else learn it, starting from the rate stored for this base URL).
    /// </summary>
    [Parameter]
    [RequestRateTransformation]
    [ArgumentCompleter(typeof(Completion.RequestRateCompleter))]
    [ValidateNotNull]
    public RequestRate RequestsPerSecond { get; set; } = RequestRate.Fixed(SyncDefaults.RequestsPerSecond);

    /// <summary>Requests in flight at once.</summary>
    [Parameter]
    [ValidateSetting(nameof(ThrottleLimit))]
    public int ThrottleLimit { get; set; } = SyncDefaults.ThrottleLimit;

    /// <summary>
    /// Assets in a row failing transient/network/timeout (assets known to fail that way not counted) before an asset that
    /// synced before is asked about; if it does not answer either, the run stops. 0 turns it off.
    /// </summary>
    [Parameter]
    [ValidateSetting(nameof(CircuitBreakerThreshold))]
    public int CircuitBreakerThreshold { get; set; } = SyncDefaults.CircuitBreakerThreshold;

    /// <summary>404s in a row from the start of a run, with nothing succeeded, that mean the base URL or asset path is wrong; 0 turns the check
    /// off.</summary>
    [Parameter]
    [ValidateSetting(nameof(AssetPathSuspectThreshold))]
    public int AssetPathSuspectThreshold { get; set; } = SyncDefaults.AssetPathSuspectThreshold;

    /// <summary>
    /// Retries of the run's database work after a lost connection or a server restart (waits of 0.5, 1, 2, 4, then 8 s); 0 fails
    /// the run at once with AssetSync.DatabaseUnavailable.
    /// </summary>
    [Parameter]
    [ValidateSetting(nameof(DatabaseMaximumRetryCount))]
    public int DatabaseMaximumRetryCount { get; set; } = SyncDefaults.DatabaseMaximumRetryCount;

    /// <summary>Send the token over plain http to a host that is not this machine (Invoke-RestMethod's convention). Prints a warning.</summary>
    [Parameter]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>Wait for a run already in progress on this database instead of failing at once (the same as -IfRunning Wait).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>
    /// When another run holds this database's run lock: Fail (the default: the error AssetSync.SyncRunInProgress), Wait
    /// (as -Wait, up to -WaitTimeoutSec), or Skip (a warning and a summary whose Status is skipped; no run row). Skip is
    /// for a standby server that runs the same schedule.
    /// </summary>
    [Parameter]
    public IfRunningAction IfRunning { get; set; } = IfRunningAction.Fail;

    /// <summary>-IfRunning, with -Wait taken as its alias; both at once must agree.</summary>
    private IfRunningAction ConflictAction()
    {
        if (!Wait)
        {
            return IfRunning;
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(IfRunning)) && IfRunning != IfRunningAction.Wait)
        {
            throw new SyncConfigurationException(
                $"-Wait means -IfRunning Wait; it cannot be given with -IfRunning {IfRunning}. Pass one of them.",
                "IfRunning"
            );
        }
        return IfRunningAction.Wait;
    }

    /// <summary>How long -Wait waits, in seconds.</summary>
    [Parameter]
    [ValidateSetting(nameof(WaitTimeoutSec))]
    public int WaitTimeoutSec { get; set; } = SyncDefaults.WaitTimeoutSeconds;

    /// <summary>Accept any TLS certificate (test systems only).</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>
    /// The forward proxy to Innomaint, as Invoke-RestMethod's -Proxy (http://proxy.example.org:3128). Without it, HTTPS_PROXY,
    /// HTTP_PROXY, ALL_PROXY and NO_PROXY apply, and on Windows the user's proxy settings, as .NET does it.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? Proxy { get; set; }

    /// <summary>The proxy's login (Basic, NTLM or Negotiate, whichever the proxy asks for).</summary>
    [Parameter]
    [Credential]
    [ValidateNotNull]
    public PSCredential? ProxyCredential { get; set; }

    /// <summary>Log in to the proxy as the account the command runs as (NTLM/Negotiate; a service account or gMSA).</summary>
    [Parameter]
    public SwitchParameter ProxyUseDefaultCredentials { get; set; }

    /// <summary>Go direct to Innomaint, ignoring HTTPS_PROXY/HTTP_PROXY and the system's proxy. Cannot be combined with the other proxy
    /// parameters.</summary>
    [Parameter]
    public SwitchParameter NoProxy { get; set; }

    /// <summary>
    /// A PEM or DER file of one or more CA certificates to trust in addition to the system's roots: the hospital's own root
    /// CA, or the one a TLS-inspecting proxy re-signs with. The host name is still checked.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>Emit one SyncRunSummary for the run instead of one result per asset.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>
    /// The run's time budget: a number of seconds (2700, as -TimeoutSec takes them) or a TimeSpan (00:45:00,
    /// (New-TimeSpan -Minutes 45)). New assets are taken only while one attempt still fits; assets in flight finish.
    /// The run ends complete with StoppedBy max_duration, leaving NotReached assets for the next run, which takes them
    /// first (stalest first). A budget shorter than one attempt (-TimeoutSec) is refused before anything is sent.
    /// </summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? MaxDuration { get; set; }

    /// <summary>
    /// Write the run's figures and the register's state to this .prom file when the run ends (also when it fails or is
    /// cancelled), in the Prometheus text format the textfile collectors of node_exporter and windows_exporter read.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricsPath { get; set; }

    /// <summary>Take deferred assets (not_found, client_error, not yet due) too. -SerialNumber always takes the assets it names.</summary>
    [Parameter]
    public SwitchParameter IncludeDeferred { get; set; }

    /// <summary>Rewrite every asset, even one Innomaint says (304) or shows (same body) is unchanged.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Builds the engine's options from the resolved settings (parameter, environment, settings file, default).</summary>
    internal SyncOptions BuildOptions()
    {
        var options = new SyncOptions
        {
            ConnectionString = ResolveConnectionString(),
            BaseUrl = BaseUrl ?? "",
            ApiToken = ResolveToken(),
            AssetPath = AssetPath,
            MaximumRetryCount = MaximumRetryCount,
            RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            Rate = RequestsPerSecond,
            ThrottleLimit = ThrottleLimit,
            CircuitBreakerThreshold = CircuitBreakerThreshold,
            AssetPathSuspectThreshold = AssetPathSuspectThreshold,
            DatabaseMaximumRetryCount = DatabaseMaximumRetryCount,
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
            SkipCertificateCheck = SkipCertificateCheck,
            Proxy = Proxy,
            ProxyCredential = ProxyCredential?.GetNetworkCredential(),
            ProxyUseDefaultCredentials = ProxyUseDefaultCredentials,
            NoProxy = NoProxy,
            CertificateAuthorityPath = CertificateAuthorityPath,
            MaxDuration = MaxDuration,
            Force = Force,
            IfRunning = ConflictAction(),
            LockWaitTimeout = TimeSpan.FromSeconds(WaitTimeoutSec),
        };
        if (MetricsPath is { } metrics && !metrics.EndsWith(".prom", StringComparison.OrdinalIgnoreCase))
        {
            throw new SyncConfigurationException(
                $"-MetricsPath must name a .prom file (the textfile collectors read *.prom only); it was '{TextSafety.Inert(metrics, 200)}'.",
                "MetricsPath"
            );
        }
        // Checked once, by the engine that takes them, before anything is sent or written.
        return options;
    }

    private string ResolveToken()
    {
        if (ApiToken is not null && Credential is not null)
        {
            throw new SyncConfigurationException("Pass either -ApiToken or -Credential, not both.", "ApiToken");
        }
        // -ApiToken holds the environment's token when neither parameter was given (Prepare); SyncOptions.Validate says what is missing.
        return (ApiToken is not null ? new NetworkCredential(string.Empty, ApiToken).Password : Credential?.GetNetworkCredential().Password) ?? "";
    }

    /// <summary>Runs one sync with <paramref name="selection"/>, streaming results (or the summary) to the pipeline.</summary>
    internal async Task RunSyncAsync(AssetSelection selection, SyncOptions options)
    {
        var whatIf = await OnPipelineThread(IsWhatIf).ConfigureAwait(false);
        var verbose = await OnPipelineThread(() => IsEnabled("Verbose", "VerbosePreference")).ConfigureAwait(false);
        var debug = await OnPipelineThread(() => IsEnabled("Debug", "DebugPreference")).ConfigureAwait(false);
        await using var engine = new SyncEngine(options);
        if (engine.SendsTokenInClear)
        {
            PostWarning(
                $"-AllowUnencryptedAuthentication is set: the API token is sent unencrypted over plain http to "
                    + $"{new Uri(options.BaseUrl).GetLeftPart(UriPartial.Authority)} "
                    + $"({engine.Route}). Anyone on the network path can read it."
            );
        }
        if (options.SkipCertificateCheck)
        {
            PostWarning(
                "-SkipCertificateCheck is set: Innomaint's TLS certificate is not checked, so the API token could be sent to an impostor. Use it "
                    + "only on test systems."
            );
        }
        if (Settings is { } file)
        {
            PostVerbose($"Settings file: {file.Path}.");
        }
        if (whatIf)
        {
            await using var database = new SyncDatabase(options.ConnectionString);
            await database.EnsureSchemaAsync(CancelToken).ConfigureAwait(false);
            var count = 0;
            await foreach (var serial in database.PreviewAsync(selection, CancelToken).ConfigureAwait(false))
            {
                count++;
                var asset = $"{TextSafety.Inert(serial, 80)} ({engine.GetAssetUri(serial).AbsolutePath})";
                Post(() => ShouldProcess(asset, "Sync asset from Innomaint"));
            }
            Post(() => ShouldProcess($"{count} asset(s) selected by {selection}", "Sync from Innomaint"));
            return;
        }

        // -Confirm and $ConfirmPreference: one question for the whole run, before anything is sent or written.
        var target = $"{selection} in {DatabaseSettings.Describe(options.ConnectionString)}, from {options.BaseUrl}";
        if (!await OnPipelineThread(() => ShouldProcess(target, "Sync assets from Innomaint")).ConfigureAwait(false))
        {
            PostVerbose("The run was declined; nothing was sent or written.");
            return;
        }

        var metricsPath = MetricsPath is null
            ? null
            : await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(MetricsPath)).ConfigureAwait(false);
        var reporter = new SyncReporter(this, verbose, debug, !Summary);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(CancelToken);
        using var signals = new StopSignals(stop);
        try
        {
            var summary = await engine.RunAsync(selection, reporter, stop.Token).ConfigureAwait(false);
            signals.RunClosed();
            reporter.Finish();
            if (summary.Status == RunStatus.Skipped)
            {
                // The engine said so (a warning); for the job and the pipeline, one summary. The metrics file stays as it was.
                PostObject(summary);
                return;
            }
            await MetricsFileWriter.WriteAsync(metricsPath, summary, options.ConnectionString, PostVerbose, PostWarning).ConfigureAwait(false);
            if (Summary)
            {
                PostObject(summary);
            }
            if (signals.Received is { } signal && summary.Status == RunStatus.Cancelled)
            {
                // A service manager asked the process to stop: end the script too, as Ctrl+C would.
                throw new SyncRunTerminatedException(signal, summary);
            }
            if (summary.Status == RunStatus.Cancelled)
            {
                PostWarning(
                    $"Run {summary.RunId} was cancelled: {summary.Succeeded} succeeded and {summary.Failed} failed before the stop; "
                        + $"{summary.NotReached} not reached were left untouched."
                );
            }
        }
        catch (SyncRunFailedException ex)
        {
            signals.RunClosed();
            reporter.Finish();
            if (ex.Summary is not null)
            {
                await MetricsFileWriter.WriteAsync(metricsPath, ex.Summary, options.ConnectionString, PostVerbose, PostWarning).ConfigureAwait(false);
            }
            if (Summary && ex.Summary is not null)
            {
                PostObject(ex.Summary);
            }
            throw;
        }
    }

    private bool IsEnabled(string parameter, string preference)
    {
        if (MyInvocation.BoundParameters.TryGetValue(parameter, out var p))
        {
            return p is SwitchParameter { IsPresent: true };
        }
        return GetVariableValue(preference) is ActionPreference pref && pref != ActionPreference.SilentlyContinue && pref != ActionPreference.Ignore;
    }
}
