namespace AssetSync.Storage;

/// <summary>
/// AssetSync's database work, by concern: <see cref="Runs"/> (the lock and the run's row), <see cref="Selection"/> (which
/// assets, and what a run needs of them), <see cref="States"/> (every asset's outcome), <see cref="Status"/> (status and
/// reports), <see cref="ChangeModel"/> (the register's change rates). They share one <see cref="StoreConnections"/>: the data source, the
/// transient-error policy and the bound.
/// </summary>
internal sealed class SyncStore : IAsyncDisposable
{
    public SyncStore(
        string connectionString,
        DatabaseRetryOptions retry,
        TimeProvider time,
        SyncObserver? observer = null,
        int? connectionLimit = null
    )
    {
        Connections = new StoreConnections(connectionString, retry, time, observer, connectionLimit);
        Runs = new RunStore(Connections);
        Selection = new SelectionStore(Connections);
        States = new AssetStateStore(Connections, new PlannerStatistics(Connections, observer));
        Status = new StatusStore(Connections);
        ChangeModel = new ChangeModelStore(Connections);
    }

    private StoreConnections Connections { get; }

    public RunStore Runs { get; }

    public SelectionStore Selection { get; }

    public AssetStateStore States { get; }

    public StatusStore Status { get; }

    public ChangeModelStore ChangeModel { get; }

    /// <summary>host:port/database, for messages. Never the password.</summary>
    public string Target => Connections.Target;

    /// <summary>Log retention over this store's connections.</summary>
    public LogRetention Retention(TimeProvider time) => new(Connections.DataSource, time);

    public ValueTask<int> GetSchemaVersionAsync(CancellationToken ct) =>
        Connections.WithConnection((conn, token) => Migrations.MigrationRunner.GetVersionAsync(conn, token), ct);

    /// <summary>Throws <see cref="SchemaMissingException"/> unless the schema is at the version this module needs.</summary>
    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        var version = await GetSchemaVersionAsync(ct).ConfigureAwait(false);
        if (version < Migrations.SchemaPlan.LatestVersion)
        {
            throw new SchemaMissingException(version, Migrations.SchemaPlan.LatestVersion) { Target = Target };
        }
    }

    public ValueTask DisposeAsync()
    {
        Connections.Flush();
        // The data source is shared by everything that uses this connection string in the process (DataSources): kept.
        return ValueTask.CompletedTask;
    }
}
