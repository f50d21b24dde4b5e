using Npgsql;

namespace AssetSync.Storage;

/// <summary>The session advisory lock that lets one run at a time work on a database; released on dispose.</summary>
internal sealed class RunLock(NpgsqlConnection connection) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
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
