namespace AssetSync.Storage;

/// <summary>How a transient database error (connection lost, server restarting) is retried: exponential waits from <see cref="Interval"/>.</summary>
internal sealed record DatabaseRetryOptions(int MaxRetryCount, TimeSpan Interval)
{
    /// <summary>The longest single wait.</summary>
    public TimeSpan MaxInterval { get; init; } = SyncDefaults.DatabaseMaxRetryInterval;

    /// <summary>A sync run's: it rides out a database restart (<see cref="SyncDefaults.DatabaseMaximumRetryCount"/>).</summary>
    public static DatabaseRetryOptions ForRun(SyncOptions options) => new(options.DatabaseMaximumRetryCount, options.DatabaseRetryInterval);

    /// <summary>Status, reports and upkeep: a person or a monitor waits, so fewer, shorter retries.</summary>
    public static DatabaseRetryOptions Interactive { get; } =
        new(SyncDefaults.InteractiveDatabaseRetryCount, SyncDefaults.InteractiveDatabaseRetryInterval);
}
