using AssetSync.Storage;
using AssetSync.Storage.Migrations;

namespace AssetSync;

/// <summary>
/// The IC3 database as AssetSync sees it, without the API: schema upgrades, the status summary,
/// current failures and a preview of a selection. Errors surface as <see cref="AssetSyncException"/>s.
/// </summary>
public sealed class SyncDatabase : IAsyncDisposable
{
    private readonly SyncStore _store;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    /// <summary>Opens (lazily) the database named by <paramref name="connectionString"/>; validates it first.</summary>
    public SyncDatabase(string connectionString)
        : this(connectionString, TimeProvider.System) { }

    internal SyncDatabase(string connectionString, TimeProvider time, int maxRetryCount = SyncDefaults.InteractiveDatabaseRetryCount)
    {
        DatabaseSettings.ValidateConnectionString(connectionString);
        _store = new SyncStore(connectionString, DatabaseRetryOptions.Interactive with { MaxRetryCount = maxRetryCount }, time);
        _connectionString = connectionString;
        _time = time;
    }

    /// <summary>host:port/database, for messages.</summary>
    public string Target => _store.Target;

    /// <summary>The schema version this module needs.</summary>
    public static int RequiredSchemaVersion => SchemaPlan.LatestVersion;

    /// <summary>All of the module's schema versions and their steps, in order (no costs: those need a database).</summary>
    public static IReadOnlyList<SchemaMigration> AllMigrations { get; } =
        SchemaPlan
            .Versions.Select(v => new SchemaMigration(
                v.Version,
                v.Description,
                string.Join("\n\n", v.Steps.Select(s => s.Sql.Trim())),
                v.Steps.Select(s => s.Describe(null, false)).ToList()
            ))
            .ToList();

    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) =>
        DatabaseErrors.Guard(Target, () => _store.GetSchemaVersionAsync(cancellationToken).AsTask());

    /// <summary>Versions not yet applied to this database, in order, each step with its rows and estimated time here. Reads only.</summary>
    public async Task<IReadOnlyList<SchemaMigration>> GetPendingMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var ctx = CreateMigrationSource(null, null, null);
        return await DatabaseErrors.Guard(Target, () => new MigrationRunner(ctx.Context).PlanAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies one version, step by step, resuming after the last step (or backfill batch) a previous attempt completed.
    /// False when it was applied already. A failing step throws <see cref="SchemaUpgradeException"/>, never retried blindly.
    /// </summary>
    public Task<bool> ApplyMigrationAsync(SchemaMigration migration, CancellationToken cancellationToken = default) =>
        ApplyMigrationAsync(migration, null, null, cancellationToken);

    /// <inheritdoc cref="ApplyMigrationAsync(SchemaMigration, CancellationToken)"/>
    /// <param name="migration">The version to apply.</param>
    /// <param name="cancellationToken">Stops after the current batch's transaction rolls back; a rerun resumes.</param>
    /// <param name="progress">Each step's progress (backfills: rows done, rows in all, time left).</param>
    /// <param name="verbose">Each step's name and duration, lock waits and resumptions.</param>
    public async Task<bool> ApplyMigrationAsync(
        SchemaMigration migration,
        IProgress<SchemaStepProgress>? progress,
        Action<string>? verbose,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(migration);
        await using var ctx = CreateMigrationSource(progress, verbose, null);
        return await DatabaseErrors
            .Guard(Target, () => new MigrationRunner(ctx.Context).ApplyAsync(migration.Version, cancellationToken))
            .ConfigureAwait(false);
    }

    /// <summary>For tests and benches: an upgrade with its own settings (batch hooks, lock timeouts).</summary>
    internal async Task<bool> ApplyMigrationAsync(int version, Func<MigrationContext, MigrationContext> configure, CancellationToken ct)
    {
        await using var ctx = CreateMigrationSource(null, null, configure);
        return await new MigrationRunner(ctx.Context).ApplyAsync(version, ct).ConfigureAwait(false);
    }

    private MigrationSource CreateMigrationSource(
        IProgress<SchemaStepProgress>? progress,
        Action<string>? verbose,
        Func<MigrationContext, MigrationContext>? configure
    )
    {
        // The process's one data source for this connection string. Each migration command sets no timeout of its own
        // (CommandTimeout = 0 on each): a backfill batch or an index build on years of history may take minutes, and a
        // timeout would only turn progress into a failure. Each step bounds its own lock waits instead.
        var dataSource = Storage.DataSources.For(_connectionString);
        var context = new MigrationContext
        {
            DataSource = dataSource,
            Time = _time,
            Target = Target,
            Progress = progress,
            Verbose = verbose ?? (_ => { }),
        };
        return new MigrationSource(configure is null ? context : configure(context));
    }

    private sealed class MigrationSource(MigrationContext context) : IAsyncDisposable
    {
        public MigrationContext Context { get; } = context;

        // The data source is shared (DataSources): nothing to dispose.
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Throws <see cref="SchemaMissingException"/> unless the schema is current.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => DatabaseErrors.Guard(Target, async () =>
        {
            await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    /// <summary>How long ago a last success may be before the asset counts as stale, by default.</summary>
    public static TimeSpan DefaultStaleAfter => SyncDefaults.StaleAfter;

    /// <summary>The status partition, freshness, LastSyncAt, LastSuccessAt and the latest <paramref name="lastRuns"/> runs.</summary>
    public Task<SyncStatus> GetStatusAsync(int lastRuns = 5, CancellationToken cancellationToken = default) =>
        GetStatusAsync(lastRuns, DefaultStaleAfter, cancellationToken);

    /// <inheritdoc cref="GetStatusAsync(int, CancellationToken)"/>
    /// <param name="lastRuns">How many of the latest runs to include.</param>
    /// <param name="staleAfter">An asset last synced longer ago than this (or never) is stale.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public async Task<SyncStatus> GetStatusAsync(int lastRuns, TimeSpan staleAfter, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastRuns);
        if (staleAfter <= TimeSpan.Zero)
        {
            throw new SyncConfigurationException(
                $"StaleAfter must be greater than zero (for example 7.00:00:00); it was {staleAfter}.",
                "StaleAfter"
            );
        }
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DatabaseErrors
            .Guard(Target, () => _store.Status.GetStatusAsync(lastRuns, staleAfter, cancellationToken).AsTask())
            .ConfigureAwait(false);
    }

    /// <summary>The assets whose current state is error, oldest latest failure first. Streamed.</summary>
    public IAsyncEnumerable<SyncFailure> GetFailuresAsync(CancellationToken cancellationToken = default) => GetFailuresAsync(null, cancellationToken);

    /// <summary>As above; <paramref name="deferred"/> true keeps only deferred assets, false only those not deferred.</summary>
    public async IAsyncEnumerable<SyncFailure> GetFailuresAsync(
        bool? deferred,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default
    )
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await foreach (
            var f in DatabaseErrors
                .Guard(Target, _store.Status.GetFailuresAsync(deferred, cancellationToken), cancellationToken)
                .ConfigureAwait(false)
        )
        {
            yield return f;
        }
    }

    /// <summary>
    /// Everything Export-CmmsSyncReport shows: the status with the latest <paramref name="lastRuns"/> runs,
    /// failures by kind, the <paramref name="top"/> assets failing for longest, and up to <paramref name="top"/> never-synced ones.
    /// Failures are streamed, and only the top ones are kept.
    /// </summary>
    public async Task<SyncReport> GetReportAsync(
        int lastRuns = SyncDefaults.ReportLastRuns,
        int top = SyncDefaults.ReportTop,
        CancellationToken cancellationToken = default
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var status = await GetStatusAsync(lastRuns, cancellationToken).ConfigureAwait(false);
        var byKind = new Dictionary<string, long>(StringComparer.Ordinal);
        // Max-heap on FailingSince: the newest of the kept ones leaves first.
        var oldest = new PriorityQueue<SyncFailure, DateTimeOffset>(Comparer<DateTimeOffset>.Create((a, b) => b.CompareTo(a)));
        await foreach (var f in GetFailuresAsync(cancellationToken).ConfigureAwait(false))
        {
            var kind = f.ErrorKind ?? "unknown";
            byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            if (top > 0)
            {
                oldest.Enqueue(f, f.FailingSince ?? f.FailedAt ?? DateTimeOffset.MaxValue);
                if (oldest.Count > top)
                {
                    oldest.Dequeue();
                }
            }
        }
        var oldestList = new List<SyncFailure>(oldest.Count);
        while (oldest.TryDequeue(out var f, out _))
        {
            oldestList.Add(f);
        }
        oldestList.Reverse();
        var never = await DatabaseErrors
            .Guard(Target, () => _store.Status.GetNeverSyncedAsync(top, cancellationToken).AsTask())
            .ConfigureAwait(false);
        var (histogram, stalest, changeRates) = await DatabaseErrors
            .Guard(Target, () => _store.Status.GetFreshnessAsync(top, cancellationToken).AsTask())
            .ConfigureAwait(false);
        return new SyncReport
        {
            GeneratedAt = DateTimeOffset.UtcNow,
            Database = Target,
            Status = status,
            FailuresByKind = byKind.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList(),
            OldestFailing = oldestList,
            NeverSynced = never,
            SyncAgeHistogram = histogram,
            Stalest = stalest,
            ChangeRateHistogram = changeRates,
        };
    }

    /// <summary>The serial numbers a run with this selection would sync, in order; writes nothing.</summary>
    public async IAsyncEnumerable<string> PreviewAsync(
        AssetSelection selection,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default
    )
    {
        ArgumentNullException.ThrowIfNull(selection);
        var selected = await DatabaseErrors
            .Guard(Target, async () =>
            {
                // As a run would order them: by the model the last batch run kept.
                var model =
                    selection.Mode == SelectionMode.Batch ? await _store.ChangeModel.ReadAsync(cancellationToken).ConfigureAwait(false) : null;
                return await _store.Selection.SelectAsync(selection, model, null, cancellationToken).ConfigureAwait(false);
            })
            .ConfigureAwait(false);
        foreach (var chunk in selected.Chunks(1000))
        {
            foreach (var serial in chunk)
            {
                yield return serial;
            }
        }
    }

    /// <summary>How many ic3_sync_log rows <see cref="RemoveLogAsync"/> would delete now. Reads only.</summary>
    public async Task<long> CountLogAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DatabaseErrors.Guard(Target, () => _store.Retention(_time).CountAsync(olderThan, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes ic3_sync_log rows older than <paramref name="olderThan"/> in short batches, keeping each asset's deciding row,
    /// so nothing status, failures or retry-failed report changes. Returns the rows removed.
    /// </summary>
    public async Task<long> RemoveLogAsync(
        DateTimeOffset olderThan,
        IProgress<(long Removed, long PagesDone, long Pages)>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DatabaseErrors
            .Guard(Target, () => _store.Retention(_time).RemoveAsync(olderThan, progress, cancellationToken))
            .ConfigureAwait(false);
    }

    internal SyncStore Store => _store;

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
