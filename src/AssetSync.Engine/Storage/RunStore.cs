using AssetSync.Domain;
using Npgsql;
using static AssetSync.Storage.DbValues;

namespace AssetSync.Storage;

/// <summary>
/// The run's lock and its row in cmms_sync_log: who holds the lock and how long to wait for it, the row opened
/// 'running' (and rows of dead processes marked interrupted), live progress, the row closed with the learned rate.
/// </summary>
internal sealed class RunStore(StoreConnections db)
{
    /// <summary>Takes the database's run lock on a connection of its own, held until the lock is disposed.</summary>
    /// <remarks>
    /// The lock rule, in one place (-IfRunning): Fail, a held lock fails at once naming its holder; Skip, a held lock comes
    /// back as skipped (no exception, nothing written); Wait, the lock is tried every <see cref="SyncDefaults.LockPollInterval"/>
    /// until the holder ends or <paramref name="waitTimeout"/> passes, and <paramref name="observer"/> is told who it waits for.
    /// </remarks>
    public async Task<LockAcquisition> AcquireLockAsync(
        IfRunningAction ifRunning,
        TimeSpan waitTimeout,
        TimeProvider time,
        SyncObserver observer,
        CancellationToken ct
    )
    {
        var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        try
        {
            var started = time.GetTimestamp();
            RunInProgress? holder = null;
            while (true)
            {
                if (await RunLock.TryTakeAsync(conn, db.DataSource, ct).ConfigureAwait(false) is { } taken)
                {
                    if (holder is not null)
                    {
                        observer.WaitingForRun(holder, time.GetElapsedTime(started), waitTimeout, done: true);
                    }
                    return LockAcquisition.Acquired(taken);
                }
                var waited = time.GetElapsedTime(started);
                holder = await GetRunningRunAsync(conn, ct).ConfigureAwait(false) ?? new RunInProgress(null, null, null, null);
                if (ifRunning == IfRunningAction.Skip)
                {
                    // A standby server's turn: not an error. Nothing is written, the lock's connection goes back.
                    await conn.DisposeAsync().ConfigureAwait(false);
                    return LockAcquisition.SkippedFor(holder);
                }
                if (ifRunning != IfRunningAction.Wait)
                {
                    throw new SyncRunLockedException(holder);
                }
                if (waited >= waitTimeout)
                {
                    observer.WaitingForRun(holder, waited, waitTimeout, done: true);
                    throw new SyncRunLockedException(holder, waited);
                }
                observer.WaitingForRun(holder, waited, waitTimeout, done: false);
                await Task.Delay(SyncDefaults.LockPollInterval, time, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<RunInProgress?> GetRunningRunAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(RunSql.LatestRunningRun, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false)
            ? new RunInProgress(reader.Long("id"), reader.Text("host"), reader.Text("os_user"), reader.Timestamp("started_at"))
            : null;
    }

    /// <summary>Writes the run's row, 'running', and marks runs whose process died as interrupted.</summary>
    /// <param name="selection">What the run selects.</param>
    /// <param name="selected">Assets the run took on (selected plus skipped): the row's total from the start.</param>
    /// <param name="skipped">Of them, serial numbers not in the register.</param>
    /// <param name="host">The machine running it.</param>
    /// <param name="user">The account running it.</param>
    /// <param name="ct">Cancels the statement.</param>
    public ValueTask<(long RunId, DateTimeOffset StartedAt)> StartAsync(
        AssetSelection selection,
        int selected,
        int skipped,
        string host,
        string user,
        CancellationToken ct
    ) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var tx = await conn.BeginTransactionAsync(token).ConfigureAwait(false);
                long id;
                DateTimeOffset startedAt;
                await using (var cmd = new NpgsqlCommand(RunSql.StartRun, conn, tx))
                {
                    cmd.Parameters.Add(Text(selection.Mode.Name));
                    cmd.Parameters.Add(Int(selection.Mode == SelectionMode.Serials ? null : selection.BatchSize));
                    cmd.Parameters.Add(Int(selection.Mode == SelectionMode.Batch ? selection.Offset : null));
                    cmd.Parameters.Add(Text(host));
                    cmd.Parameters.Add(Text(user));
                    cmd.Parameters.Add(Int(selected));
                    cmd.Parameters.Add(Int(skipped));
                    await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                    await reader.ReadAsync(token).ConfigureAwait(false);
                    id = reader.Long("id")!.Value;
                    startedAt = reader.Timestamp("started_at")!.Value;
                }
                await using (var mark = new NpgsqlCommand(RunSql.MarkInterrupted, conn, tx))
                {
                    mark.Parameters.Add(Long(id));
                    await mark.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                await tx.CommitAsync(token).ConfigureAwait(false);
                return (id, startedAt);
            },
            ct
        );

    /// <summary>Brings a running run's counts up to date (live counts for other sessions). Not retried: the next update follows.</summary>
    public async Task UpdateProgressAsync(long runId, int succeeded, int failed, int skipped, CancellationToken ct)
    {
        // Not through the retry policy: a missed update is only late; the next round (every 2 s) tries again.
        await using var conn = await db.DataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(RunSql.UpdateRunProgress, conn);
        cmd.Parameters.Add(Long(runId));
        cmd.Parameters.Add(Int(succeeded));
        cmd.Parameters.Add(Int(failed));
        cmd.Parameters.Add(Int(skipped));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Closes the run's row with its status and figures, storing the learned rate in the same statement.</summary>
    public ValueTask<DateTimeOffset> FinishAsync(
        long runId,
        RunStatus status,
        int succeeded,
        int failed,
        int skipped,
        long durationMs,
        string? error,
        RunFigures figures,
        CancellationToken ct
    ) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(RunSql.FinishRun, conn);
                // Named, not numbered: the statement (RunSql.FinishRun) and this list need not keep one order.
                cmd.Parameters.Add(Long(runId).Named("run_id"));
                cmd.Parameters.Add(Text(status.Name()).Named("status"));
                cmd.Parameters.Add(Int(succeeded).Named("succeeded"));
                cmd.Parameters.Add(Int(failed).Named("failed"));
                cmd.Parameters.Add(Int(skipped).Named("skipped"));
                cmd.Parameters.Add(Int(Milliseconds(durationMs)).Named("duration_ms"));
                cmd.Parameters.Add(Text(error).Named("error"));
                cmd.Parameters.Add(Int(figures.Unchanged).Named("unchanged"));
                cmd.Parameters.Add(Int(figures.VolatileAnswers).Named("volatile_answers"));
                cmd.Parameters.Add(Int(figures.StampedAnswers).Named("stamped_answers"));
                cmd.Parameters.Add(Int(figures.NotReached).Named("not_reached"));
                cmd.Parameters.Add(Text(figures.StoppedBy).Named("stopped_by"));
                cmd.Parameters.Add(Int(figures.Requests).Named("requests"));
                cmd.Parameters.Add(Int(figures.Throttled).Named("throttled"));
                cmd.Parameters.Add(Double(figures.RequestsPerSecond).Named("requests_per_second"));
                cmd.Parameters.Add(Text(figures.Learned is null ? null : figures.BaseUrl).Named("base_url"));
                cmd.Parameters.Add(Double(figures.Learned?.RequestsPerSecond).Named("learned_rate"));
                cmd.Parameters.Add(Text(figures.Learned?.Source).Named("learned_source"));
                var finished = await cmd.ExecuteScalarAsync(token).ConfigureAwait(false);
                return finished is DateTime dt ? Utc(dt) : DateTimeOffset.UtcNow;
            },
            ct
        );

    /// <summary>What an earlier run learned about the quota of <paramref name="baseUrl"/>; null when nothing.</summary>
    public ValueTask<LearnedRate?> GetLearnedRateAsync(string baseUrl, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(RunSql.LearnedRate, conn);
                cmd.Parameters.Add(Text(baseUrl));
                await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                return await reader.ReadAsync(token).ConfigureAwait(false)
                    ? new LearnedRate(reader.Double("requests_per_second")!.Value, reader.Text("source")!, reader.Timestamp("learned_at")!.Value)
                    : null;
            },
            ct
        );
}
