namespace AssetSync;

/// <summary>
/// Every setting of AssetSync, declared once (its default from <see cref="SyncDefaults"/>). The cmdlets resolve each one
/// parameter → environment variable → settings file → default through this list, the settings file's keys are exactly these
/// names, Get-CmmsSyncConfiguration shows them, and the scheduled job reads its own from it.
/// </summary>
public static class SyncSettings
{
    /// <summary>The environment variable of the IC3 connection string.</summary>
    public const string ConnectionStringVariable = "ASSETSYNC_CONNECTION_STRING";

    /// <summary>The environment variable of Innomaint's base URL.</summary>
    public const string BaseUrlVariable = "ASSETSYNC_BASE_URL";

    /// <summary>The environment variable of the API token.</summary>
    public const string ApiTokenVariable = "ASSETSYNC_API_TOKEN";

    /// <summary>The environment variable naming the settings file when -ConfigurationPath is not given.</summary>
    public const string ConfigurationVariable = "ASSETSYNC_CONFIGURATION";

    private static SettingDefinition Db(string name, object? value, string help, string? variable = null, bool secret = false) =>
        new(name, SettingScope.Database, value, help)
        {
            EnvironmentVariable = variable,
            IsSecret = secret,
            ValueType = secret ? typeof(object) : typeof(string),
        };

    private static SettingDefinition Sync<T>(string name, object? value, string help, string? variable = null, bool secret = false) =>
        new(name, SettingScope.Sync, value, help)
        {
            EnvironmentVariable = variable,
            IsSecret = secret,
            ValueType = typeof(T),
        };

    private static SettingDefinition Job<T>(string name, object? value, string help) =>
        new(name, SettingScope.Job, value, help) { ValueType = typeof(T) };

    /// <summary>Every setting, in the order Get-CmmsSyncConfiguration shows them.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        Db(
            "ConnectionString",
            null,
            "Npgsql connection string of the IC3 database; without a password when -DatabaseCredential gives the login.",
            ConnectionStringVariable
        ),
        Db("DatabaseCredential", null, "The database login (user name and password), apart from the connection string.", secret: true),
        Sync<string>("BaseUrl", null, "Innomaint's base URL (https).", BaseUrlVariable),
        Sync<object>("ApiToken", null, "The API token (a SecureString).", ApiTokenVariable, secret: true) with
        {
            ReplacedBy = "Credential",
        },
        Sync<object>("Credential", null, "A credential whose password is the API token.", secret: true),
        Sync<string>("AssetPath", SyncDefaults.AssetPath, "The asset path template, holding {serialnumber}."),
        Sync<int>("MaximumRetryCount", SyncDefaults.MaximumRetryCount, "Retries after the first attempt, for failures that can pass.") with
        {
            Minimum = 0,
            Maximum = SyncDefaults.MaxMaximumRetryCount,
        },
        Sync<double>("RetryIntervalSec", SyncDefaults.RetryIntervalSeconds, "The base backoff in seconds: waits of 1x, 2x, 4x it.") with
        {
            Minimum = 0,
            Maximum = SyncDefaults.MaxRetryIntervalSeconds,
        },
        Sync<double>("TimeoutSec", SyncDefaults.TimeoutSeconds, "The per-attempt timeout in seconds.") with
        {
            Minimum = SyncDefaults.MinTimeoutSeconds,
            Maximum = SyncDefaults.MaxTimeoutSeconds,
        },
        Sync<RequestRate>("RequestsPerSecond", RequestRate.Fixed(SyncDefaults.RequestsPerSecond), "The API quota (a number), or Auto."),
        Sync<int>("ThrottleLimit", SyncDefaults.ThrottleLimit, "Requests in flight at once.") with
        {
            Minimum = 1,
            Maximum = SyncDefaults.MaxThrottleLimit,
        },
        Sync<int>(
            "CircuitBreakerThreshold",
            SyncDefaults.CircuitBreakerThreshold,
            "Assets in a row failing as an outage would before the service is checked; 0 turns it off."
        ) with
        {
            Minimum = 0,
        },
        Sync<int>(
            "AssetPathSuspectThreshold",
            SyncDefaults.AssetPathSuspectThreshold,
            "404s in a row from the start that mean the path is wrong; 0 turns it off."
        ) with
        {
            Minimum = 0,
        },
        Sync<int>(
            "DatabaseMaximumRetryCount",
            SyncDefaults.DatabaseMaximumRetryCount,
            "Retries of a run's database work after a lost connection or a server restart: waits of 0.5, 1, 2, 4, then 8 s; 0 fails at once."
        ) with
        {
            Minimum = 0,
            Maximum = SyncDefaults.MaxDatabaseMaximumRetryCount,
        },
        Sync<SyncOrder>(
            "Order",
            SyncDefaults.Order,
            "A batch run's order: ChangeRate (where a refresh buys the most freshness) or Stalest (a round robin)."
        ),
        Sync<TimeSpan>(
            "MaxSyncAge",
            SyncDefaults.MaxSyncAge,
            "ChangeRate's floor: an asset not verified for longer goes first, whatever its estimated rate."
        ),
        Sync<System.Collections.Hashtable>(
            "CriticalityWeight",
            null,
            "ChangeRate's weight of each criticality, @{ High = 5; Medium = 2 }: critical devices first (w·ψ); any other weighs 1. Default: every "
                + "asset 1."
        ),
        Sync<TimeSpan>("MaxDuration", null, "The run's time budget (seconds or a TimeSpan); none by default."),
        Sync<IfRunningAction>(
            "IfRunning",
            IfRunningAction.Fail,
            "When another run holds the database: Fail, Wait or Skip (the scheduled job: Skip)."
        ),
        Sync<int>("WaitTimeoutSec", SyncDefaults.WaitTimeoutSeconds, "How long Wait waits for another run, in seconds.") with
        {
            Minimum = 0,
        },
        Sync<string>("MetricsPath", null, "A .prom file for a textfile collector, written when a run ends.") with
        {
            IsPath = true,
        },
        Sync<Uri>(
            "Proxy",
            null,
            "The forward proxy to Innomaint (http://proxy:3128); none: HTTPS_PROXY/HTTP_PROXY/NO_PROXY and the system's settings."
        ),
        Sync<object>("ProxyCredential", null, "The proxy's login.", secret: true),
        Sync<bool>("ProxyUseDefaultCredentials", false, "Log in to the proxy as the account the job runs as (NTLM/Negotiate)."),
        Sync<bool>("NoProxy", false, "Go direct to Innomaint, whatever the environment says."),
        Sync<string>(
            "CertificateAuthorityPath",
            null,
            "A PEM or DER file of CA certificates trusted besides the system's roots; writable by its owner only."
        ) with
        {
            IsPath = true,
            IsTrustedFile = true,
        },
        Sync<bool>("SkipCertificateCheck", false, "Accept any TLS certificate (test systems only; a parameter only, never from a file).") with
        {
            AllowedInFile = false,
        },
        Sync<bool>(
            "AllowUnencryptedAuthentication",
            false,
            "Send the token over plain http to a host that is not this machine, or through a proxy (a parameter only, never from a file)."
        ) with
        {
            AllowedInFile = false,
        },
        new("StaleAfter", SettingScope.Status, SyncDefaults.StaleAfter, "An asset that should have fresh data and has not for this long is stale.")
        {
            ValueType = typeof(TimeSpan),
        },
        Job<string>(
            "LogPath",
            null,
            "The job's folder for transcripts and failure CSVs, writable by its account only (default: the account's own AssetSync log folder)."
        ) with
        {
            IsPath = true,
        },
        Job<int>("Keep", SyncDefaults.JobKeep, "Transcripts and CSVs the job keeps.") with
        {
            Minimum = 1,
            Maximum = SyncDefaults.MaxJobKeep,
        },
        Job<int>("LogRetentionDays", 0, "ic3_sync_log rows older than this many days are removed after the runs; 0 keeps all.") with
        {
            Minimum = 0,
            Maximum = SyncDefaults.MaxLogRetentionDays,
        },
        Job<double>(
            "MaxFailedPercent",
            SyncDefaults.MaxFailedPercent,
            "Failed assets (deferred ones not counted), as a percentage of the register, above which the job exits 3."
        ) with
        {
            Minimum = 0,
            Maximum = 100,
        },
        Job<bool>("FailOnAnyFailure", false, "The job exits 3 on any failed asset (deferred ones not counted)."),
        Job<string>("CredentialPath", null, "A credential file (Export-Clixml) whose password is the API token; writable by its owner only.") with
        {
            IsPath = true,
            IsTrustedFile = true,
        },
        Job<string>("SecretVault", null, "The SecretManagement vault the job's secrets are read from (default: the default vault)."),
        Job<string>("ApiTokenSecretName", null, "The name of the API token's secret (Get-Secret), read by the job."),
        Job<string>("DatabaseCredentialSecretName", null, "The name of the database login's secret (a PSCredential), read by the job."),
        Job<string>("ProxyCredentialSecretName", null, "The name of the proxy login's secret (a PSCredential), read by the job."),
    ];

    /// <summary>The setting named <paramref name="name"/> (ignoring case), or null.</summary>
    public static SettingDefinition? Find(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The setting a mistyped name most likely meant, or null.</summary>
    public static string? Suggest(string name) => NearestName.Find(name, All.Select(s => s.Name));
}
