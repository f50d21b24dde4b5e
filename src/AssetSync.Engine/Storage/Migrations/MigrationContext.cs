using Npgsql;

namespace AssetSync.Storage.Migrations;

/// <summary>What every schema step runs with. Defaults are chosen for a live IC3 database.</summary>
internal sealed class MigrationContext
{
    /// <summary>
    /// The process's shared data source for the database. Every migration command sets CommandTimeout = 0: a backfill batch
    /// or an index build may take minutes.
    /// </summary>
    public required NpgsqlDataSource DataSource { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>host:port/database, for messages.</summary>
    public required string Target { get; init; }

    public IProgress<SchemaStepProgress>? Progress { get; init; }

    public Action<string> Verbose { get; init; } = _ => { };

    /// <summary>
    /// How long a DDL statement may queue for its table lock (default 0.5 s). Past it the statement gives up and
    /// is retried later, so a long IC3 query delays the upgrade instead of every other client queueing behind it.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one DDL step keeps retrying for its lock before the upgrade stops (default 10 min).</summary>
    public TimeSpan LockWaitLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>What one backfill batch should take (default 1 s): short transactions, few round trips.</summary>
    public TimeSpan BatchTarget { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Pages in the first batch of a backfill; later ones are sized from the time it took.</summary>
    public int InitialBatchPages { get; init; } = 256;

    /// <summary>Called after each committed backfill batch (tests interrupt upgrades here).</summary>
    public Func<string, CancellationToken, Task>? AfterBatch { get; init; }
}
