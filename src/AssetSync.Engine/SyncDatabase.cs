using AssetSync.Storage;

namespace AssetSync;

/// <summary>
/// The IC3 database as AssetSync sees it, without the API: schema upgrades, the status summary,
/// current failures and a preview of a selection. Errors surface as <see cref="AssetSyncException"/>s.
/// </summary>
public sealed class SyncDatabase : IAsyncDisposable
{
    private readonly SyncStore _store;

    /// <summary>Opens (lazily) the database named by <paramref name="connectionString"/>; validates it first.</summary>
    public SyncDatabase(string connectionString) : this(connectionString, TimeProvider.System)
    {
    }

    internal SyncDatabase(string connectionString, TimeProvider time, int maxRetryCount = 2)
    {
        DatabaseSettings.ValidateConnectionString(connectionString);
        _store = new SyncStore(connectionString, maxRetryCount, TimeSpan.FromMilliseconds(250), time);
    }

    /// <summary>host:port/database, for messages.</summary>
    public string Target => _store.Target;

    /// <summary>The schema version this module needs.</summary>
    public static int RequiredSchemaVersion => SchemaCatalog.LatestVersion;

    /// <summary>All of the module's migrations, in order.</summary>
    public static IReadOnlyList<SchemaMigration> AllMigrations => SchemaCatalog.Migrations;

    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) =>
        DatabaseErrors.Guard(Target, () => _store.GetSchemaVersionAsync(cancellationToken).AsTask());

    /// <summary>Migrations not yet applied to this database, in order. Reads only.</summary>
    public async Task<IReadOnlyList<SchemaMigration>> GetPendingMigrationsAsync(CancellationToken cancellationToken = default)
    {
        var version = await GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
        return SchemaCatalog.Migrations.Where(m => m.Version > version).ToList();
    }

    /// <summary>Applies one migration in its own transaction. False when another session had applied it already.</summary>
    public Task<bool> ApplyMigrationAsync(SchemaMigration migration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return DatabaseErrors.Guard(Target, () => _store.ApplyMigrationAsync(migration, cancellationToken).AsTask());
    }

    /// <summary>Throws <see cref="SchemaMissingException"/> unless the schema is current.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) =>
        DatabaseErrors.Guard(Target, async () =>
        {
            await _store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    /// <summary>The status partition, LastSyncAt and the latest <paramref name="lastRuns"/> runs.</summary>
    public async Task<SyncStatus> GetStatusAsync(int lastRuns = 5, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastRuns);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await DatabaseErrors.Guard(Target, () => _store.GetStatusAsync(lastRuns, cancellationToken).AsTask()).ConfigureAwait(false);
    }

    /// <summary>The assets whose current state is error, oldest failure first. Streamed.</summary>
    public async IAsyncEnumerable<SyncFailure> GetFailuresAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var f in DatabaseErrors.Guard(Target, _store.GetFailuresAsync(cancellationToken), cancellationToken).ConfigureAwait(false))
        {
            yield return f;
        }
    }

    /// <summary>
    /// Everything Export-CmmsSyncReport shows: the status with the latest <paramref name="lastRuns"/> runs,
    /// failures by kind, the <paramref name="top"/> assets failing for longest, and up to <paramref name="top"/> never-synced ones.
    /// Failures are streamed, and only the top ones are kept.
    /// </summary>
    public async Task<SyncReport> GetReportAsync(int lastRuns = 20, int top = 25, CancellationToken cancellationToken = default)
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
        var never = await DatabaseErrors.Guard(Target, () => _store.GetNeverSyncedAsync(top, cancellationToken).AsTask()).ConfigureAwait(false);
        return new SyncReport
        {
            GeneratedAt = DateTimeOffset.UtcNow,
            Database = Target,
            Status = status,
            FailuresByKind = byKind.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList(),
            OldestFailing = oldestList,
            NeverSynced = never,
        };
    }

    /// <summary>How many assets a selection holds now (serials mode: the number of serial numbers given).</summary>
    public Task<long> CountAsync(AssetSelection selection, CancellationToken cancellationToken = default) =>
        DatabaseErrors.Guard(Target, () => _store.CountAsync(selection, cancellationToken).AsTask());

    /// <summary>The serial numbers a run with this selection would sync, in order; writes nothing.</summary>
    public IAsyncEnumerable<string> PreviewAsync(AssetSelection selection, CancellationToken cancellationToken = default) =>
        DatabaseErrors.Guard(Target, Select(_store, selection, skipped: null, cancellationToken), cancellationToken);

    /// <summary>The serial numbers of a selection, streamed. In serials mode, those not in the master list are counted in <paramref name="skipped"/>.</summary>
    internal static async IAsyncEnumerable<string> Select(SyncStore store, AssetSelection selection, Action<string>? skipped,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        switch (selection.Mode)
        {
            case "batch":
                await foreach (var s in store.SelectBatchAsync(selection.BatchSize, selection.Offset, ct).ConfigureAwait(false))
                {
                    yield return s;
                }
                break;
            case "retry_failed":
                await foreach (var s in store.SelectFailedAsync(selection.BatchSize, ct).ConfigureAwait(false))
                {
                    yield return s;
                }
                break;
            default:
                var known = await store.KnownSerialsAsync(selection.SerialNumbers!, ct).ConfigureAwait(false);
                foreach (var s in selection.SerialNumbers!)
                {
                    if (known.Contains(s))
                    {
                        yield return s;
                    }
                    else
                    {
                        skipped?.Invoke(s);
                    }
                }
                break;
        }
    }

    internal SyncStore Store => _store;

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
