using Npgsql;

namespace AssetSync.Storage;

/// <summary>
/// Keeps the planner's picture of the log and state tables no staler than the run itself. An upgrade's ANALYZE can record
/// a seed-era database's tables with one row each; the first night then inserts thousands, every group's
/// <see cref="AssetStateSql.RecordOutcomes"/> is planned for one row (measured: 145-170 ms a group where 25 ms is usual)
/// until autovacuum comes round. Once a run has written as many rows as the statistics say the tables hold (at least
/// <see cref="MinimumGrowth"/>), they are refreshed: a doubling, so a run refreshes at most a few times, and a register
/// with years of history (where a night adds a sliver) never.
/// </summary>
internal sealed class PlannerStatistics(StoreConnections db, SyncObserver? observer)
{
    /// <summary>Fewer rows than this never call for a refresh: a small table is planned well enough whatever it says.</summary>
    public const long MinimumGrowth = 2000;

    private int _refreshing;
    private long _believed = -1;
    private long _written;

    /// <summary>How many times this run refreshed the statistics (for tests and -Verbose).</summary>
    public int Refreshes { get; private set; }

    /// <summary>A group's <paramref name="rows"/> were committed: refreshes the statistics when the run has outgrown them.</summary>
    public async ValueTask WrittenAsync(long rows, CancellationToken ct)
    {
        var written = Interlocked.Add(ref _written, rows);
        var believed = Volatile.Read(ref _believed);
        if (believed >= 0 && written < Math.Max(MinimumGrowth, believed))
        {
            return;
        }
        // One refresh at a time; a writer that finds one under way goes on with its group.
        if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }
        try
        {
            if (_believed < 0)
            {
                _believed = await BelievedAsync(ct).ConfigureAwait(false);
                if (Volatile.Read(ref _written) < Math.Max(MinimumGrowth, _believed))
                {
                    return;
                }
            }
            var grown = Volatile.Read(ref _written);
            var started = Environment.TickCount64;
            await db.WithConnection(
                    async (conn, token) =>
                    {
                        await using var cmd = new NpgsqlCommand(StatisticsSql.Refresh, conn);
                        return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    },
                    ct
                )
                .ConfigureAwait(false);
            Refreshes++;
            var before = _believed;
            _believed = await BelievedAsync(ct).ConfigureAwait(false);
            Interlocked.Add(ref _written, -grown);
            observer?.Verbose(
                $"Planner statistics refreshed: the run had written {grown:N0} rows where they said {before:N0}; now {_believed:N0} "
                    + $"({Environment.TickCount64 - started} ms)."
            );
        }
        catch (PostgresException ex)
        {
            // Statistics are an optimisation: a refusal never fails a group that is already committed.
            observer?.Verbose($"Planner statistics could not be refreshed ({ex.SqlState}: {ex.MessageText}); autovacuum will.");
            _believed = long.MaxValue;
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private ValueTask<long> BelievedAsync(CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(StatisticsSql.BelievedRows, conn);
                return Convert.ToInt64(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            },
            ct
        );
}
