using Npgsql;

namespace AssetSync.Storage;

/// <summary>Turns Npgsql's exceptions into AssetSync's, so no Npgsql type crosses the engine's surface.</summary>
internal static class DatabaseErrors
{
    public static DatabaseUnavailableException Unavailable(string target, NpgsqlException ex) =>
        new(
            (
                StoreConnections.IsTransient(ex)
                    ? $"The IC3 database at {target} could not be reached, even after retries: "
                    : $"The IC3 database at {target} refused the operation: "
            )
                + StoreConnections.Describe(ex)
                + $". Check -ConnectionString (or {SyncSettings.ConnectionStringVariable}) and that PostgreSQL is running.",
            ex,
            target
        );

    public static async Task<T> Guard<T>(string target, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw Unavailable(target, ex);
        }
    }

    public static async IAsyncEnumerable<T> Guard<T>(
        string target,
        IAsyncEnumerable<T> source,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default
    )
    {
        await using var e = source.GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            try
            {
                more = await e.MoveNextAsync().ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                throw Unavailable(target, ex);
            }
            if (!more)
            {
                yield break;
            }
            yield return e.Current;
        }
    }
}
