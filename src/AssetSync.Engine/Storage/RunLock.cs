using Npgsql;

namespace AssetSync.Storage;

/// <summary>
/// The session advisory lock that lets one run at a time work on a database; released on dispose.
/// A session lock dies with its connection, so while the run goes on a watcher checks the
/// connection every second and, after a database restart, takes the lock again on a new one.
/// If another run got it first, the watcher reports the loss and the run stops.
/// </summary>
internal sealed class RunLock : IAsyncDisposable
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private NpgsqlConnection? _connection;
    private CancellationTokenSource? _watchStop;
    private Task? _watch;

    private RunLock(NpgsqlConnection connection, NpgsqlDataSource dataSource, int backendPid)
    {
        _connection = connection;
        _dataSource = dataSource;
        BackendPid = backendPid;
    }

    /// <summary>pg_backend_pid() of the session holding the lock, so that after a reconnect our own orphaned session is told from another
    /// run.</summary>
    public int BackendPid { get; private set; }

    /// <summary>Takes the lock on <paramref name="connection"/>; null (connection untouched) when another session holds it.</summary>
    public static async Task<RunLock?> TryTakeAsync(NpgsqlConnection connection, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var pid = await TryLockAsync(connection, ct).ConfigureAwait(false);
        return pid is { } p ? new RunLock(connection, dataSource, p) : null;
    }

    public void Watch(TimeProvider time, Action<string> warn, Action<SyncRunFailedException> lost)
    {
        _watchStop = new CancellationTokenSource();
        var token = _watchStop.Token;
        _watch = Task.Run(
            async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(WatchInterval, time, token).ConfigureAwait(false);
                        if (await IsAliveAsync(token).ConfigureAwait(false))
                        {
                            continue;
                        }
                        // Not through the retry policy: the lock's own connection; this watch loop is its retry.
                        var fresh = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                        if (await TryLockAsync(fresh, token).ConfigureAwait(false) is { } pid)
                        {
                            _connection = fresh;
                            BackendPid = pid;
                            warn("The database connection holding the run lock was lost (a restart?); the lock was taken again.");
                            continue;
                        }
                        var holder = await HolderPidAsync(fresh, token).ConfigureAwait(false);
                        if (holder == BackendPid)
                        {
                            // Our own session, cut off from us but still alive on the server (a network break):
                            // end it, and take the lock again on the next round.
                            await TerminateAsync(fresh, holder.Value, token).ConfigureAwait(false);
                            await fresh.DisposeAsync().ConfigureAwait(false);
                            warn(
                                $"The run lock was still held by this run's own lost session (pid {holder}); that session was ended so the lock "
                                    + $"can be taken again."
                            );
                            continue;
                        }
                        await fresh.DisposeAsync().ConfigureAwait(false);
                        if (holder is null)
                        {
                            continue; // released between our two looks: try again next round
                        }
                        lost(new RunLockLostException());
                        return;
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (NpgsqlException)
                    {
                        // The database is still away; the workers deal with that. Try again next time.
                    }
                }
            },
            CancellationToken.None
        );
    }

    /// <summary>Stops the watcher, and waits for it. Called before the run row is closed, so no loss is reported after it.</summary>
    public async Task StopWatchingAsync()
    {
        if (_watchStop is null)
        {
            return;
        }
        await _watchStop.CancelAsync().ConfigureAwait(false);
        await _watch!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _watchStop.Dispose();
        _watchStop = null;
    }

    private async Task<bool> IsAliveAsync(CancellationToken ct)
    {
        if (_connection is null)
        {
            return false;
        }
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT 1", _connection);
            await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsBroken(ex))
        {
            await DisposeQuietlyAsync(_connection).ConfigureAwait(false);
            _connection = null;
            return false;
        }
    }

    /// <summary>The lock, and this session's pid; null when another session holds it.</summary>
    internal static async Task<int?> TryLockAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RunSql.TryRunLock, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = RunSql.RunLockKey });
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return reader.GetBoolean(0) ? reader.GetInt32(1) : null;
    }

    private static async Task<int?> HolderPidAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RunSql.RunLockHolder, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = RunSql.RunLockKey });
        var pid = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return pid is int p ? p : null;
    }

    private static async Task TerminateAsync(NpgsqlConnection connection, int pid, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = pid });
        await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static bool IsBroken(Exception ex) =>
        ex is NpgsqlException or InvalidOperationException or ObjectDisposedException or IOException or TimeoutException;

    private static async Task DisposeQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBroken(ex))
        {
            // A broken connection may fail even to close; it is gone either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync().ConfigureAwait(false);
        if (_connection is not { } connection)
        {
            return;
        }
        _connection = null;
        try
        {
            await using var cmd = new NpgsqlCommand(RunSql.RunUnlock, connection);
            cmd.Parameters.Add(new NpgsqlParameter { Value = RunSql.RunLockKey });
            await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBroken(ex))
        {
            // The connection is gone, and the lock with it: nothing left to release.
        }
        finally
        {
            await DisposeQuietlyAsync(connection).ConfigureAwait(false);
        }
    }
}
