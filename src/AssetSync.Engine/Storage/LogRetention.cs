using Npgsql;
using NpgsqlTypes;

namespace AssetSync.Storage;

/// <summary>
/// Deletes old ic3_sync_log rows in batches of physical pages, each in a short transaction of its own, so no lock
/// is held long and IC3 keeps writing and reading. Each asset's deciding row (its state's last run) is kept: what
/// status, failures and retry-failed report depends only on cmms_asset_sync_state, and failures show its attempts.
/// </summary>
internal sealed class LogRetention(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string Condition = """
        synced_at < $3
          AND NOT EXISTS (SELECT 1 FROM cmms_asset_sync_state s WHERE s.serialnumber = l.serialnumber AND s.last_run_id = l.run_id)
        """;

    private static readonly string Delete = $"""
        DELETE FROM ic3_sync_log l
        WHERE {PageRange.Condition("l.")} AND {Condition}
        """;

    private const string Count = $"SELECT count(*) FROM ic3_sync_log l WHERE $1::bigint IS NULL AND $2::bigint IS NULL AND {Condition}";

    private const string Pages = "SELECT pg_relation_size('ic3_sync_log') / current_setting('block_size')::bigint";

    /// <summary>What one batch should take; short enough that vacuum and other sessions never wait long.</summary>
    public TimeSpan BatchTarget { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many rows a removal would delete now (reads only).</summary>
    public async Task<long> CountAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        // Not through the retry policy: a person is waiting, and the count is asked again by running the command again.
        await using var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Count, conn);
        AddParameters(cmd, null, null, olderThan);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Deletes the rows; reports (removed so far, pages done, pages in all) after each batch. Returns rows removed.</summary>
    public async Task<long> RemoveAsync(
        DateTimeOffset olderThan,
        IProgress<(long Removed, long PagesDone, long Pages)>? progress,
        CancellationToken ct
    )
    {
        // Not through the retry policy: each batch commits alone, so after a failure the next run of the command resumes.
        await using var conn = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        long pages;
        await using (var size = new NpgsqlCommand(Pages, conn))
        {
            pages = (long)(await size.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        long removed = 0,
            cursor = 0,
            chunk = 256;
        while (cursor < pages)
        {
            var to = Math.Min(pages, cursor + chunk);
            var started = time.GetTimestamp();
            await using (var cmd = new NpgsqlCommand(Delete, conn))
            {
                // One statement, one implicit transaction: a cancelled batch rolls back whole.
                AddParameters(cmd, cursor, to, olderThan);
                removed += await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            cursor = to;
            var took = time.GetElapsedTime(started).TotalSeconds;
            chunk = PageRange.NextChunk(chunk, took, BatchTarget);
            progress?.Report((removed, cursor, pages));
        }
        return removed;
    }

    private static void AddParameters(NpgsqlCommand cmd, long? from, long? to, DateTimeOffset olderThan)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = olderThan.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }
}
