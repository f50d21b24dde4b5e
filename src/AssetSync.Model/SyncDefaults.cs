namespace AssetSync;

/// <summary>
/// Every default of AssetSync, defined once (as Polly keeps its strategies' defaults beside their options). The options,
/// the cmdlets' parameters, the help and the README take their values from here; a test compares each with them.
/// </summary>
public static class SyncDefaults
{
    // ---- the API ------------------------------------------------------------------------------------------------

    /// <summary>The asset path template of the Innomaint contract.</summary>
    public const string AssetPath = "/api/v1/assets/{serialnumber}";

    /// <summary>Retries after the first attempt (4 attempts in all), as the Go service did.</summary>
    public const int MaximumRetryCount = 3;

    /// <summary>The most retries -MaximumRetryCount takes.</summary>
    public const int MaxMaximumRetryCount = 10;

    /// <summary>The base backoff in seconds: waits of 1, 2, 4 s.</summary>
    public const double RetryIntervalSeconds = 1;

    /// <summary>The longest base backoff -RetryIntervalSec takes, in seconds (an hour).</summary>
    public const double MaxRetryIntervalSeconds = 3600;

    /// <summary>The per-attempt timeout in seconds (body included).</summary>
    public const double TimeoutSeconds = 15;

    /// <summary>The shortest per-attempt timeout taken, in seconds.</summary>
    public const double MinTimeoutSeconds = 0.001;

    /// <summary>The longest per-attempt timeout taken, in seconds (a day).</summary>
    public const double MaxTimeoutSeconds = 86400;

    /// <summary>The longest wait a server's Retry-After can ask for, in seconds.</summary>
    public const double MaxRetryAfterSeconds = 60;

    /// <summary>The API quota, requests per second, shared by every request of a run (retries included).</summary>
    public const double RequestsPerSecond = 5;

    /// <summary>Requests in flight at once.</summary>
    public const int ThrottleLimit = 4;

    /// <summary>The most requests in flight -ThrottleLimit takes.</summary>
    public const int MaxThrottleLimit = 1024;

    /// <summary>Assets in a row failing transient/network/timeout before the service is checked; 0 turns it off.</summary>
    public const int CircuitBreakerThreshold = 10;

    /// <summary>404s in a row from the start, nothing succeeded, that mean the path is wrong; 0 turns it off.</summary>
    public const int AssetPathSuspectThreshold = 10;

    /// <summary>The largest response body accepted, in bytes (1 MiB).</summary>
    public const long MaxResponseBytes = 1024 * 1024;

    // ---- selection and the run ----------------------------------------------------------------------------------

    /// <summary>Assets a batch run takes when no -BatchSize is given.</summary>
    public const int BatchSize = 100;

    /// <summary>The order a batch run takes its assets in: where a refresh buys the most freshness.</summary>
    public const SyncOrder Order = SyncOrder.ChangeRate;

    /// <summary>
    /// The freshness floor of <see cref="SyncOrder.ChangeRate"/>: an asset not verified for longer goes first whatever its
    /// estimated rate, so a deletion or a missed change is found within this time (30 days).
    /// </summary>
    public static TimeSpan MaxSyncAge { get; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The share of a <see cref="SyncOrder.ChangeRate"/> run's places (among verified assets inside the floor) kept for a random
    /// sample of audits, so every estimate keeps meeting new observations and the gauge is checked: one place in twenty. With change
    /// points finding the assets that turn busy, a tenth cost the drifting register more than it found (docs/performance.md).
    /// </summary>
    public const double AuditShare = 0.05;

    /// <summary>
    /// The share of an asset's earlier change observations each new one keeps, for the order: a memory of about twenty
    /// observations, counted in the asset's own visits, not in days, so no tempo is assumed. A rate that drifts is followed
    /// as visits come, and a first sync's long look back fades. Shorter memories cost the ideal register more of the
    /// order's gain than they bought the drifting one (docs/performance.md: 0.9 measured 0.86x of Stalest where 1.0 gave 0.80x).
    /// </summary>
    public const double ChangeMemory = 0.95;

    /// <summary>
    /// How many times better the register's prior must explain a change than an asset's own recent history did before that
    /// history is dropped for the order (a change point): a quiet asset that turns busy shows it by a change found soon after
    /// the one before it, which its history of years calls a fluke and the register's busy assets do not. A Bayes factor,
    /// dimensionless, so no tempo is assumed. 2, from the model of the benchmark's register over three seeds
    /// (tests/Bench/freshness-model.py): 3 followed a drift less well (0.80-0.82x of Stalest against 0.78-0.80x), 1.5 began
    /// to cost the ideal register (+0.01). A busy asset turning quiet has its own test (<see cref="QuietSpanEvidence"/>).
    /// </summary>
    public const double ChangePointEvidence = 2;

    /// <summary>
    /// How many times better the register's prior must explain an asset's quiet span (no change since the visit that last saw
    /// one) than the asset's recent history before the span did, for that history to be dropped (a change point): a busy asset
    /// that turns quiet, which the memory alone keeps ranked busy for twenty visits. A Bayes factor, like
    /// <see cref="ChangePointEvidence"/>, but far stricter: a busy or monthly asset's ordinary quiet spells are tested on every
    /// unchanged visit. From the model of the benchmark's register (tests/Bench/freshness-model.py, QUIET=): 300 took the
    /// drift from 0.81x to 0.76x of Stalest and cost the ideal register nothing; 100 cost it 0.01, 20 cost it 0.05.
    /// </summary>
    public const double QuietSpanEvidence = 300;

    /// <summary>Failed assets a retry-failed run takes when no -BatchSize is given: 0, all of them (the Go service's behaviour).</summary>
    public const int RetryBatchSize = 0;

    /// <summary>How long -Wait waits for another run, in seconds (10 minutes).</summary>
    public const int WaitTimeoutSeconds = 600;

    /// <summary>How often a waiting run looks at the lock again.</summary>
    public static TimeSpan LockPollInterval { get; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long each closing write of a stopping run may take (held results, the run's row).</summary>
    public static TimeSpan CloseTimeout { get; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a group of results in flight may take to commit, Ctrl+C or not: longer than the database retries' waits
    /// (0.5 + 1 + 2 + 4 + 8 s), so a restart during the last group loses nothing.
    /// </summary>
    public static TimeSpan GroupWriteTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a service manager's stop signal waits for the run to close its row: the run's own close, and some.</summary>
    public static TimeSpan StopSignalWait { get; } = CloseTimeout + TimeSpan.FromSeconds(5);

    // ---- the database -------------------------------------------------------------------------------------------

    /// <summary>Retries of a transient database error during a run: enough to ride out a server restart.</summary>
    public const int DatabaseMaximumRetryCount = 5;

    /// <summary>The most database retries a run may be given: 20 waits of up to 8 s ride out a restart of a few minutes.</summary>
    public const int MaxDatabaseMaximumRetryCount = 20;

    /// <summary>The base wait between a run's database retries; doubling.</summary>
    public static TimeSpan DatabaseRetryInterval { get; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest single wait between database retries.</summary>
    public static TimeSpan DatabaseMaxRetryInterval { get; } = TimeSpan.FromSeconds(8);

    /// <summary>Retries of status, reports and upkeep: a person or a monitor is waiting, so fewer and shorter.</summary>
    public const int InteractiveDatabaseRetryCount = 2;

    /// <summary>The base wait of status, reports and upkeep retries.</summary>
    public static TimeSpan InteractiveDatabaseRetryInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the metrics file's read of the register may take after a run.</summary>
    public static TimeSpan MetricsReadTimeout { get; } = TimeSpan.FromSeconds(15);

    // ---- status and reports -------------------------------------------------------------------------------------

    /// <summary>An asset is stale when it should have fresh data and has not for this long.</summary>
    public static TimeSpan StaleAfter { get; } = TimeSpan.FromDays(7);

    /// <summary>Runs Get-CmmsSyncStatus lists.</summary>
    public const int StatusLastRuns = 5;

    /// <summary>Runs the report charts.</summary>
    public const int ReportLastRuns = 20;

    /// <summary>Assets each of the report's lists shows.</summary>
    public const int ReportTop = 25;

    /// <summary>Failed assets (deferred ones not counted), as a percentage of the register, above which a run's event is a warning.</summary>
    public const double MaxFailedPercent = 5;

    // ---- the scheduled job --------------------------------------------------------------------------------------

    /// <summary>Transcripts and failure CSVs the scheduled job keeps, of each kind.</summary>
    public const int JobKeep = 14;

    /// <summary>The most transcripts and CSVs the job keeps.</summary>
    public const int MaxJobKeep = 10000;

    /// <summary>The longest the job's log retention may be, in days (a century).</summary>
    public const int MaxLogRetentionDays = 36500;
}
