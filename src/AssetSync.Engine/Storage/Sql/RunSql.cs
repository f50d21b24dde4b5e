namespace AssetSync.Storage;

/// <summary>Statements of the run lock and the run's row in cmms_sync_log: start, progress, finish, interrupted.</summary>
internal static class RunSql
{
    /// <summary>Key of the session advisory lock that lets one run at a time work on a database.</summary>
    public const long RunLockKey = 0x4173_7365_7453_796E; // "AssetSyn"

    public const string TryRunLock = "SELECT pg_try_advisory_lock($1), pg_backend_pid()";

    public const string RunUnlock = "SELECT pg_advisory_unlock($1)";

    /// <summary>The granted run lock ($1 its key) of this database, as pg_locks shows it: one row, or none.</summary>
    private const string RunLockRows = """
        SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1
        """;

    /// <summary>The pid of the session holding the run lock, if any.</summary>
    public const string RunLockHolder = $"{RunLockRows} LIMIT 1";

    /// <summary>Whether any session of this database holds the run lock (a 'running' row without it is an orphan).</summary>
    public const string RunLockHeld = $"SELECT EXISTS ({RunLockRows})";

    public const string LatestRunningRun = $"""
        SELECT id, host, os_user, started_at FROM cmms_sync_log
        WHERE sync_type = {RegisterSql.SyncType} AND status = {RunStatusNames.RunningSql} ORDER BY id DESC LIMIT 1
        """;

    /// <summary>
    /// Runs left 'running' by a process that died; only called while holding the run lock. Their counts
    /// are reconciled from their log rows, since the process died before it could close them. $1 the new run.
    /// </summary>
    public const string MarkInterrupted = $"""
        UPDATE cmms_sync_log r
        SET status = {RunStatusNames.InterruptedSql}, assets_synced = c.ok, failed = c.bad, unchanged = c.same,
            -- total was the selection, written at the start: what was not decided was not reached.
            total = GREATEST(COALESCE(r.total, 0), c.ok + c.bad + COALESCE(r.skipped, 0)),
            not_reached = GREATEST(COALESCE(r.total, 0) - c.ok - c.bad - COALESCE(r.skipped, 0), 0)
        FROM (SELECT o.id,
                     count(l.serialnumber) FILTER (WHERE l.status = {LogStatus.SuccessSql}) AS ok,
                     count(l.serialnumber) FILTER (WHERE l.status = {LogStatus.SuccessSql} AND l.unchanged) AS same,
                     count(l.serialnumber) FILTER (WHERE l.status = {LogStatus.ErrorSql}) AS bad
              FROM cmms_sync_log o LEFT JOIN ic3_sync_log l ON l.run_id = o.id
              WHERE o.sync_type = {RegisterSql.SyncType} AND o.status = {RunStatusNames.RunningSql} AND o.id <> $1
              GROUP BY o.id) c
        WHERE r.id = c.id
        """;

    /// <summary>A running run's live counts, so other sessions see how far it got.</summary>
    public const string UpdateRunProgress = $"""
        UPDATE cmms_sync_log SET assets_synced = $2, failed = $3, skipped = $4
        WHERE id = $1 AND status = {RunStatusNames.RunningSql}
        """;

    /// <summary>$1 mode, $2 batch size, $3 offset, $4 host, $5 user, $6 total (the selection), $7 skipped.</summary>
    public const string StartRun = $"""
        INSERT INTO cmms_sync_log (sync_type, status, assets_synced, duration_ms, synced_at, mode, started_at, total, failed, skipped,
            batch_size, offset_start, host, os_user)
        VALUES ({RegisterSql.SyncType}, {RunStatusNames.RunningSql}, 0, 0, now(), $1, now(), $6, 0, $7, $2, $3, $4, $5)
        RETURNING id, started_at
        """;

    /// <summary>
    /// Closes the run row and, when @base_url and @learned_rate are given, stores the learned rate: one statement, so
    /// both commit together or neither does.
    /// </summary>
    public const string FinishRun = """
        WITH run AS (
            UPDATE cmms_sync_log
            SET status = @status, assets_synced = @succeeded, failed = @failed, skipped = @skipped,
                total = @succeeded + @failed + @skipped + @not_reached,
                finished_at = now(), synced_at = now(), duration_ms = @duration_ms, error_message = @error,
                unchanged = @unchanged, volatile_answers = @volatile_answers, stamped_answers = @stamped_answers, not_reached =
                    @not_reached, stopped_by = @stopped_by, requests = @requests,
                throttled = @throttled, requests_per_second = @requests_per_second
            WHERE id = @run_id
            RETURNING finished_at
        ), rate AS (
            INSERT INTO cmms_rate_state AS r (base_url, requests_per_second, source, learned_at)
            SELECT @base_url, @learned_rate, @learned_source, now()
            WHERE @base_url::text IS NOT NULL AND @learned_rate::double precision IS NOT NULL
            ON CONFLICT (base_url) DO UPDATE
            SET requests_per_second = EXCLUDED.requests_per_second, source = EXCLUDED.source, learned_at = EXCLUDED.learned_at
        )
        SELECT finished_at FROM run
        """;

    /// <summary>The rate learned for base URL $1, if any.</summary>
    public const string LearnedRate = "SELECT requests_per_second, source, learned_at FROM cmms_rate_state WHERE base_url = $1";
}
