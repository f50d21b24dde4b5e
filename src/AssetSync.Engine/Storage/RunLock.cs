using Npgsql;

namespace AssetSync.Storage;

/// <summary>
/// The session advisory lock that lets one run at a time work on a database; released on dispose.
/// A session lock dies with its connection, so while the run goes on a watcher checks the
/// connection every second and, after a database restart, takes the lock again on a new one.
/// If another run got it first, the watcher reports the loss and the run stops.
/// </summary>
internal sealed class RunLock(NpgsqlConnection connection, NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    private NpgsqlConnection? _connection = connection;
    private CancellationTokenSource? _watchStop;
    private Task? _watch;

    public void Watch(TimeProvider time, Action<string> warn, Action<SyncRunFailedException> lost)
    {
        _watchStop = new CancellationTokenSource();
        var token = _watchStop.Token;
        _watch = Task.Run(async () =>
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
                    var fresh = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                    if (await TryLockAsync(fresh, token).ConfigureAwait(false))
                    {
                        _connection = fresh;
                        warn("The database connection holding the run lock was lost (a restart?); the lock was taken again.");
                        continue;
                    }
                    await fresh.DisposeAsync().ConfigureAwait(false);
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
        }, CancellationToken.None);
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
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            return false;
        }
    }

    internal static async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Sql.TryRunLock, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Sql.RunLockKey });
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_watchStop is not null)
        {
            await _watchStop.CancelAsync().ConfigureAwait(false);
            await _watch!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _watchStop.Dispose();
        }
        if (_connection is not { } connection)
        {
            return;
        }
        try
        {
            await using var cmd = new NpgsqlCommand(Sql.RunUnlock, connection);
            cmd.Parameters.Add(new NpgsqlParameter { Value = Sql.RunLockKey });
            await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and the lock with it: nothing left to release.
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
