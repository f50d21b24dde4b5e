using Npgsql;
using Polly;
using Polly.Retry;

namespace AssetSync.Storage;

/// <summary>
/// What every store shares: the process's <see cref="NpgsqlDataSource"/> for the connection string, the policy for
/// transient database errors (connection lost, server restarting; separate from the API's), the outage warnings, and
/// a run's bound on the connections it holds.
/// </summary>
internal sealed class StoreConnections
{
    private readonly ResiliencePipeline _retry;
    private readonly DatabaseOutageMonitor _outage;
    private readonly SemaphoreSlim? _bound;

    /// <param name="connectionString">The IC3 database.</param>
    /// <param name="retry">How transient errors are retried.</param>
    /// <param name="time">The clock of the waits.</param>
    /// <param name="observer">Told of outages and of their end.</param>
    /// <param name="connectionLimit">At most this many statements hold a connection at once; null: no bound of its own.</param>
    public StoreConnections(
        string connectionString,
        DatabaseRetryOptions retry,
        TimeProvider time,
        SyncObserver? observer = null,
        int? connectionLimit = null
    )
    {
        DataSource = DataSources.For(connectionString);
        Target = DatabaseSettings.Describe(connectionString);
        _outage = new DatabaseOutageMonitor(Target, time, observer ?? SyncObserver.None);
        _bound = connectionLimit is { } n ? new SemaphoreSlim(n, n) : null;
        ConnectionLimit = connectionLimit;

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time };
        if (retry.MaxRetryCount > 0)
        {
            pipeline.AddRetry(
                new RetryStrategyOptions
                {
                    MaxRetryAttempts = retry.MaxRetryCount,
                    BackoffType = DelayBackoffType.Exponential,
                    Delay = retry.Interval,
                    MaxDelay = retry.MaxInterval,
                    ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(IsTransient),
                    OnRetry = args =>
                    {
                        // After a restart every pooled connection is dead: drop the idle ones so the retry gets a fresh one.
                        DataSource.Clear();
                        _outage.Retrying(Describe(args.Outcome.Exception), args.AttemptNumber + 1, retry.MaxRetryCount, args.RetryDelay);
                        return default;
                    },
                }
            );
        }
        _retry = pipeline.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>host:port/database, for messages. Never the password.</summary>
    public string Target { get; }

    /// <summary>The bound on connections held at once (the run lock's own aside); null: none of its own (status, reports).</summary>
    public int? ConnectionLimit { get; }

    public static bool IsTransient(NpgsqlException ex) => ex.IsTransient || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" };

    /// <summary>An error as a message may show it: the server's words or the client's, never the connection string.</summary>
    public static string Describe(Exception? ex) =>
        ex switch
        {
            PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
            NpgsqlException { InnerException: { } inner } npg => $"{npg.Message} ({inner.Message})",
            null => "unknown",
            _ => ex.Message,
        };

    /// <summary>Runs <paramref name="action"/> under the bound and the transient-error policy.</summary>
    public async ValueTask<T> WithRetry<T>(Func<CancellationToken, ValueTask<T>> action, CancellationToken ct)
    {
        T result;
        if (_bound is not null)
        {
            await _bound.WaitAsync(ct).ConfigureAwait(false);
        }
        try
        {
            result = await _retry.ExecuteAsync(static (a, token) => a(token), action, ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (IsTransient(ex))
        {
            _outage.GaveUp();
            throw;
        }
        finally
        {
            _bound?.Release();
        }
        _outage.Answered();
        return result;
    }

    /// <summary>A connection the caller holds beyond one statement (the run lock, a streamed read), opened under the policy.</summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct) => WithRetry(t => DataSource.OpenConnectionAsync(t), ct);

    /// <summary>Opens a connection and runs <paramref name="action"/> on it, under <see cref="WithRetry{T}"/>.</summary>
    public ValueTask<T> WithConnection<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> action, CancellationToken ct) =>
        WithRetry(
            async token =>
            {
                await using var conn = await DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                return await action(conn, token).ConfigureAwait(false);
            },
            ct
        );

    /// <summary>An outage the run rode out is told even when the run ends before it settled.</summary>
    public void Flush() => _outage.Flush();
}
