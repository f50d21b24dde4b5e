namespace AssetSync.Storage;

/// <summary>Every statement AssetSync runs. Values always travel as parameters, never in the text.</summary>
internal static class Sql
{
    /// <summary>Key of the session advisory lock that lets one run at a time work on a database.</summary>
    public const long RunLockKey = 0x4173_7365_7453_796E; // "AssetSyn"

    /// <summary>Key of the transaction advisory lock that serialises schema upgrades.</summary>
    public const long SchemaLockKey = 0x4173_7365_7453_6368; // "AssetSch"

    /// <summary>
    /// A register row AssetSync can sync: its cmms_asset_id holds something besides whitespace. An empty or
    /// blank one is treated like NULL (unlinked): never requested, never counted as an asset.
    /// </summary>
    public const string Linked = "cmms_asset_id IS NOT NULL AND cmms_asset_id ~ '[^[:space:]]'";

    public const string SchemaVersionTableExists = "SELECT to_regclass('assetsync_schema_version') IS NOT NULL";

    public const string SchemaVersion = "SELECT COALESCE(max(version), 0) FROM assetsync_schema_version";

    public const string TryRunLock = "SELECT pg_try_advisory_lock($1), pg_backend_pid()";

    /// <summary>The pid of the session holding the run lock, if any.</summary>
    public const string RunLockHolder = """
        SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1
        LIMIT 1
        """;

    public const string RunUnlock = "SELECT pg_advisory_unlock($1)";

    /// <summary>Whether any session of this database holds the run lock (a 'running' row without it is an orphan).</summary>
    public const string RunLockHeld = """
        SELECT EXISTS (
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid AND objsubid = 1)
        """;

    public const string LatestRunningRun = """
        SELECT id, host, os_user, started_at FROM cmms_sync_log
        WHERE sync_type = 'api_sync' AND status = 'running' ORDER BY id DESC LIMIT 1
        """;

    /// <summary>
    /// Runs left 'running' by a process that died; only called while holding the run lock. Their counts
    /// are reconciled from their log rows, since the process died before it could close them.
    /// </summary>
    public const string MarkInterrupted = """
        UPDATE cmms_sync_log r
        SET status = 'interrupted', assets_synced = c.ok, failed = c.bad, unchanged = c.same,
            -- total was the selection, written at the start: what was not decided was not reached.
            total = GREATEST(COALESCE(r.total, 0), c.ok + c.bad + COALESCE(r.skipped, 0)),
            not_reached = GREATEST(COALESCE(r.total, 0) - c.ok - c.bad - COALESCE(r.skipped, 0), 0)
        FROM (SELECT o.id,
                     count(l.serialnumber) FILTER (WHERE l.status = 'success') AS ok,
                     count(l.serialnumber) FILTER (WHERE l.status = 'success' AND l.unchanged) AS same,
                     count(l.serialnumber) FILTER (WHERE l.status = 'error') AS bad
              FROM cmms_sync_log o LEFT JOIN ic3_sync_log l ON l.run_id = o.id
              WHERE o.sync_type = 'api_sync' AND o.status = 'running' AND o.id <> $1
              GROUP BY o.id) c
        WHERE r.id = c.id
        """;

    /// <summary>A running run's live counts, so other sessions see how far it got.</summary>
    public const string UpdateRunProgress = """
        UPDATE cmms_sync_log SET assets_synced = $2, failed = $3, skipped = $4
        WHERE id = $1 AND status = 'running'
        """;

    public const string StartRun = """
        INSERT INTO cmms_sync_log (sync_type, status, assets_synced, duration_ms, synced_at, mode, started_at, total, failed, skipped, batch_size, offset_start, host, os_user)
        VALUES ('api_sync', 'running', 0, 0, now(), $1, now(), $6, 0, $7, $2, $3, $4, $5)
        RETURNING id, started_at
        """;

    /// <summary>
    /// Closes the run row and, when $14 (base URL) and $15 (rate) are given, stores the learned rate: one statement, so
    /// both commit together or neither does.
    /// </summary>
    public const string FinishRun = """
        WITH run AS (
            UPDATE cmms_sync_log
            SET status = $2, assets_synced = $3, failed = $4, skipped = $5, total = $3 + $4 + $5 + $9,
                finished_at = now(), synced_at = now(), duration_ms = $6, error_message = $7,
                unchanged = $8, not_reached = $9, stopped_by = $10, requests = $11, throttled = $12, requests_per_second = $13
            WHERE id = $1
            RETURNING finished_at
        ), rate AS (
            INSERT INTO cmms_rate_state AS r (base_url, requests_per_second, source, learned_at)
            SELECT $14, $15, $16, now() WHERE $14::text IS NOT NULL AND $15::double precision IS NOT NULL
            ON CONFLICT (base_url) DO UPDATE
            SET requests_per_second = EXCLUDED.requests_per_second, source = EXCLUDED.source, learned_at = EXCLUDED.learned_at
        )
        SELECT finished_at FROM run
        """;

    /// <summary>The rate learned for base URL $1, if any.</summary>
    public const string LearnedRate = "SELECT requests_per_second, source, learned_at FROM cmms_rate_state WHERE base_url = $1";

    /// <summary>
    /// The register's assets, each once (two rows with one cmms_asset_id are one asset, selected and fetched once, both rows
    /// enriched: the first row's report_seq_no and asset_id place it), with their state; filtered by $2 (not synced since)
    /// and $3 (include deferred). Selections read only the serial numbers: a run reads the rest a chunk at a time.
    /// </summary>
    private const string SelectRegisterFrom = $"""
        FROM (SELECT cmms_asset_id, min(report_seq_no) AS report_seq_no, min(asset_id) AS asset_id
              FROM ic3_asset_master WHERE {Linked} GROUP BY cmms_asset_id) m
        LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = m.cmms_asset_id
        WHERE ($2::timestamptz IS NULL OR s.last_success_at IS NULL OR s.last_success_at < $2)
          AND ($3 OR s.next_attempt_at IS NULL OR s.next_attempt_at <= now())
        """;

    private const string StalestOrder = "s.last_success_at NULLS FIRST, m.report_seq_no NULLS LAST, m.asset_id";

    /// <summary>
    /// Batch, stalest first: never-synced assets (no success yet) in report_seq_no order, then the oldest last success.
    /// Assets whose last attempt failed keep their place by freshness, but take at most one place in ten ahead of the
    /// others: the k-th of them goes no earlier than after 9k of the others, so a subset that fails every night
    /// never holds up the healthy assets behind it. $1 limit (NULL: all), $2 not synced since (NULL: any), $3 include deferred.
    /// </summary>
    public const string SelectStalest = $"""
        SELECT cmms_asset_id FROM (
            SELECT m.cmms_asset_id,
                   row_number() OVER (ORDER BY {StalestOrder}) AS overall,
                   row_number() OVER (PARTITION BY s.status IS NOT DISTINCT FROM 'error' ORDER BY {StalestOrder}) AS within,
                   s.status IS NOT DISTINCT FROM 'error' AS failing
            {SelectRegisterFrom}
        ) r
        ORDER BY CASE WHEN failing THEN GREATEST(overall - within, 9 * within) + 0.5 ELSE within END, overall
        LIMIT $1
        """;

    /// <summary>Batch in the seed's order, report_seq_no (nulls last) then asset_id, from offset $4; otherwise as <see cref="SelectStalest"/>.</summary>
    public const string SelectReportOrder = $"""
        SELECT m.cmms_asset_id
        {SelectRegisterFrom}
        ORDER BY m.report_seq_no NULLS LAST, m.asset_id
        LIMIT $1 OFFSET $4
        """;

    /// <summary>Assets whose current state is error and that are still in the register, in serial order. Parameters as <see cref="SelectStalest"/>.</summary>
    public const string SelectFailed = """
        SELECT s.serialnumber
        FROM cmms_asset_sync_state s
        WHERE s.status = 'error'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = s.serialnumber)
          AND ($2::timestamptz IS NULL OR s.last_success_at IS NULL OR s.last_success_at < $2)
          AND ($3 OR s.next_attempt_at IS NULL OR s.next_attempt_at <= now())
        ORDER BY s.serialnumber
        LIMIT $1
        """;

    /// <summary>What a run needs of named assets besides their serial numbers: stored validators, and how the last attempt failed.</summary>
    public const string SelectValidators = "SELECT serialnumber, etag, last_modified, payload_sha256, CASE WHEN status = 'error' THEN error_kind END FROM cmms_asset_sync_state WHERE serialnumber = ANY($1)";

    /// <summary>An asset that synced before and is still in the register: the asset-path check asks Innomaint for it.</summary>
    public const string LastSucceededSerial = $"""
        SELECT s.serialnumber FROM cmms_asset_sync_state s
        WHERE s.last_success_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = s.serialnumber AND {Linked})
        ORDER BY s.last_success_at DESC LIMIT 1
        """;

    public const string KnownSerials = $"SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE cmms_asset_id = ANY($1) AND {Linked}";

    /// <summary>
    /// A group of changed assets' enrichment in one statement: $1 serials, then one array per column in
    /// the master's enrichment columns' order ($2..$17: asset code to payload). Both register rows of a doubled cmms_asset_id are enriched.
    /// </summary>
    public const string EnrichMasterGroup = """
        UPDATE ic3_asset_master m SET
            asset_code = v.asset_code, asset_name = v.asset_name, category = v.category, make = v.make, model = v.model,
            department = v.department, location_site = v.location_site, location_building = v.location_building,
            location_floor = v.location_floor, location_room = v.location_room, cmms_status = v.cmms_status,
            criticality = v.criticality, install_date = v.install_date, warranty_expiry = v.warranty_expiry,
            cmms_last_modified = v.cmms_last_modified, cmms_payload = v.cmms_payload, cmms_synced_at = now()
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[], $12::text[], $13::text[], $14::date[], $15::date[], $16::timestamptz[], $17::jsonb[])
            AS v(serial, asset_code, asset_name, category, make, model, department, location_site, location_building,
                 location_floor, location_room, cmms_status, criticality, install_date, warranty_expiry, cmms_last_modified, cmms_payload)
        WHERE m.cmms_asset_id = v.serial
        """;

    /// <summary>A group's PM schedules replaced: every schedule of the serials in $1 goes.</summary>
    public const string DeleteSchedulesGroup = "DELETE FROM ic3_asset_pm_schedule WHERE cmms_asset_id = ANY($1::text[])";

    /// <summary>A group's PM schedules, flattened: one element per schedule, $1 the serial each belongs to.</summary>
    public const string InsertSchedulesGroup = """
        INSERT INTO ic3_asset_pm_schedule (cmms_asset_id, schedule_id, task, frequency_days, next_due, synced_at)
        SELECT s.serial, s.schedule_id, s.task, s.frequency_days, s.next_due, now()
        FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::date[]) AS s(serial, schedule_id, task, frequency_days, next_due)
        """;

    /// <summary>
    /// A group of successes, each with its log row and its state row, in one statement: the one template for changed and
    /// unchanged groups. $1 serials, $2 attempts, $3 http statuses, $4 durations ms, $5 etags, $6 last-modifieds,
    /// $7 sha-256s, $8 run, $9 unchanged (the log's flag; a changed asset's last_changed_at moves to now).
    /// Returns how many were written now (a replayed group writes none twice).
    /// </summary>
    public const string LogSuccessGroup = """
        WITH v AS (
            SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::integer[], $5::text[], $6::text[], $7::bytea[])
                AS v(serial, attempts, http_status, duration_ms, etag, last_modified, sha)),
        log AS (
            INSERT INTO ic3_sync_log (serialnumber, sync_type, status, error_message, synced_at, run_id, attempts, http_status, error_kind, duration_ms, unchanged)
            SELECT v.serial, 'api_sync', 'success', NULL, now(), $8, v.attempts, v.http_status, NULL, v.duration_ms, $9 FROM v
            WHERE NOT EXISTS (SELECT 1 FROM ic3_sync_log l WHERE l.run_id = $8 AND l.serialnumber = v.serial)
            RETURNING serialnumber),
        upd AS (
            UPDATE cmms_asset_sync_state s SET
                status = 'success', consecutive_failures = 0, error_kind = NULL, http_status = NULL, error_message = NULL,
                failing_since = NULL, next_attempt_at = NULL, etag = v.etag, last_modified = v.last_modified, payload_sha256 = v.sha,
                last_changed_at = CASE WHEN $9 THEN s.last_changed_at ELSE now() END,
                last_attempt_at = now(), last_success_at = now(), last_run_id = $8
            FROM v
            WHERE s.serialnumber = v.serial AND v.serial IN (SELECT serialnumber FROM log)
            RETURNING s.serialnumber),
        ins AS (
            INSERT INTO cmms_asset_sync_state (serialnumber, status, consecutive_failures, etag, last_modified, payload_sha256,
                last_changed_at, last_attempt_at, last_success_at, last_run_id)
            SELECT v.serial, 'success', 0, v.etag, v.last_modified, v.sha, CASE WHEN $9 THEN NULL ELSE now() END, now(), now(), $8 FROM v
            WHERE v.serial IN (SELECT serialnumber FROM log) AND v.serial NOT IN (SELECT serialnumber FROM upd)
            RETURNING 1)
        SELECT count(*) FROM log
        """;

    /// <summary>
    /// A failure: log row and state row together. not_found and client_error are deferred 1, 2, 4 … days (at most 30)
    /// by consecutive failures. Returns 1 when written. $1 serial, $2 run, $3 message, $4 attempts, $5 http status, $6 kind, $7 duration ms.
    /// </summary>
    public const string LogFailure = """
        WITH log AS (
            INSERT INTO ic3_sync_log (serialnumber, sync_type, status, error_message, synced_at, run_id, attempts, http_status, error_kind, duration_ms, unchanged)
            SELECT $1, 'api_sync', 'error', $3, now(), $2, $4, $5, $6, $7, false
            WHERE NOT EXISTS (SELECT 1 FROM ic3_sync_log WHERE run_id = $2 AND serialnumber = $1)
            RETURNING 1),
        upd AS (
            UPDATE cmms_asset_sync_state s SET
                status = 'error', last_attempt_at = now(),
                failing_since = CASE WHEN s.status = 'error' THEN COALESCE(s.failing_since, now()) ELSE now() END,
                consecutive_failures = CASE WHEN s.status = 'error' THEN s.consecutive_failures + 1 ELSE 1 END,
                next_attempt_at = CASE WHEN $6::text IN ('not_found', 'client_error')
                    THEN now() + make_interval(days => LEAST(30, power(2, CASE WHEN s.status = 'error' THEN s.consecutive_failures ELSE 0 END))::int) END,
                error_kind = $6, http_status = $5, error_message = $3, last_run_id = $2
            WHERE s.serialnumber = $1 AND EXISTS (SELECT 1 FROM log)
            RETURNING 1),
        ins AS (
            INSERT INTO cmms_asset_sync_state (serialnumber, status, consecutive_failures, error_kind, http_status, error_message,
                failing_since, next_attempt_at, last_attempt_at, last_run_id)
            SELECT $1, 'error', 1, $6, $5, $3, now(),
                   CASE WHEN $6::text IN ('not_found', 'client_error') THEN now() + interval '1 day' END, now(), $2
            WHERE EXISTS (SELECT 1 FROM log) AND NOT EXISTS (SELECT 1 FROM upd)
            RETURNING 1)
        SELECT count(*) FROM log
        """;

    /// <summary>Assets with no state row (never decided), in sync order.</summary>
    public const string NeverSynced = $"""
        SELECT m.cmms_asset_id FROM ic3_asset_master m
        WHERE {Linked}
          AND NOT EXISTS (SELECT 1 FROM cmms_asset_sync_state s WHERE s.serialnumber = m.cmms_asset_id)
        ORDER BY m.report_seq_no NULLS LAST, m.asset_id
        LIMIT $1
        """;

    /// <summary>
    /// The status partition and freshness, from the state table and the register only: it costs the same after years
    /// of history. $1 is -StaleAfter. Stale means "should have fresh data and has not" (the IC3 database contract): last success
    /// longer ago than $1; or never succeeded and failing for longer than $1; or never attempted while AssetSync has
    /// been running (its first run) for longer than $1. Deferred assets are never stale: they are counted as deferred.
    /// </summary>
    public const string Status = $"""
        WITH m AS (SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE {Linked}),
        first_run AS (SELECT min(COALESCE(started_at, synced_at)) AS at FROM cmms_sync_log WHERE sync_type = 'api_sync'),
        j AS (SELECT s.status, s.last_success_at, s.next_attempt_at, now() - s.last_success_at AS age,
                     CASE
                         WHEN s.status = 'error' AND s.next_attempt_at > now() THEN false
                         WHEN s.last_success_at IS NOT NULL THEN now() - s.last_success_at > $1::interval
                         WHEN s.status = 'error' THEN COALESCE(s.failing_since, s.last_attempt_at) < now() - $1::interval
                         ELSE (SELECT at FROM first_run) < now() - $1::interval
                     END AS stale
              FROM m LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = m.cmms_asset_id)
        SELECT count(*),
               count(*) FILTER (WHERE status = 'success'),
               count(*) FILTER (WHERE status IS NOT NULL AND status <> 'success'),
               count(*) FILTER (WHERE status IS NULL),
               count(*) FILTER (WHERE status = 'error' AND next_attempt_at > now()),
               min(last_success_at) FILTER (WHERE status = 'success'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY age) FILTER (WHERE status = 'success'),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY age) FILTER (WHERE status = 'success'),
               max(age) FILTER (WHERE status = 'success'),
               count(*) FILTER (WHERE stale),
               (SELECT max(COALESCE(finished_at, synced_at)) FROM cmms_sync_log WHERE sync_type = 'api_sync' AND status <> 'running'),
               (SELECT max(COALESCE(finished_at, synced_at)) FROM cmms_sync_log WHERE sync_type = 'api_sync' AND status = 'complete'),
               (SELECT count(*) FROM ic3_asset_master WHERE NOT ({Linked}) OR cmms_asset_id IS NULL),
               sum(age) FILTER (WHERE status = 'success') AS age_sum
        FROM j
        """;

    /// <summary>The register by time since its last success, in fixed buckets (a histogram for the report).</summary>
    public const string SyncAgeHistogram = $"""
        WITH m AS (SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE {Linked}),
        a AS (SELECT now() - s.last_success_at AS age FROM m LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = m.cmms_asset_id)
        SELECT count(*) FILTER (WHERE age < interval '1 day'),
               count(*) FILTER (WHERE age >= interval '1 day' AND age < interval '2 days'),
               count(*) FILTER (WHERE age >= interval '2 days' AND age < interval '7 days'),
               count(*) FILTER (WHERE age >= interval '7 days' AND age < interval '30 days'),
               count(*) FILTER (WHERE age >= interval '30 days'),
               count(*) FILTER (WHERE age IS NULL)
        FROM a
        """;

    /// <summary>The assets whose last success is oldest, with the register's names. $1 limit.</summary>
    public const string Stalest = """
        SELECT s.serialnumber, s.last_success_at, s.status, m.asset_code, m.asset_name, m.department
        FROM cmms_asset_sync_state s
        JOIN LATERAL (SELECT asset_code, asset_name, department FROM ic3_asset_master m
                      WHERE m.cmms_asset_id = s.serialnumber ORDER BY m.asset_id LIMIT 1) m ON true
        WHERE s.last_success_at IS NOT NULL
        ORDER BY s.last_success_at, s.serialnumber
        LIMIT $1
        """;

    /// <summary>The latest runs; a row still 'running' has its counts read from its log rows, which are always exact.</summary>
    public const string LastRuns = """
        SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.total, r.assets_synced, r.failed, r.skipped, r.duration_ms,
               r.error_message, r.host, r.os_user, lc.ok, lc.bad,
               r.unchanged, r.not_reached, r.stopped_by, r.requests, r.throttled, r.requests_per_second
        FROM cmms_sync_log r
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE l.status = 'success') AS ok, count(*) FILTER (WHERE l.status = 'error') AS bad
            FROM ic3_sync_log l WHERE l.run_id = r.id) lc ON r.status = 'running'
        WHERE r.sync_type = 'api_sync'
        ORDER BY r.id DESC LIMIT $1
        """;

    /// <summary>
    /// Current failures from the state table, with the register's names and the attempts of the deciding log row (by run).
    /// $1: true = deferred only, false = not deferred only, NULL = all.
    /// </summary>
    public const string Failures = """
        SELECT s.serialnumber, s.error_kind, s.http_status, l.attempts, s.error_message, s.last_attempt_at, s.last_run_id, s.failing_since,
               s.consecutive_failures, s.next_attempt_at, s.last_success_at, m.asset_code, m.asset_name, m.department,
               COALESCE(s.next_attempt_at > now(), false)
        FROM cmms_asset_sync_state s
        JOIN LATERAL (SELECT asset_code, asset_name, department FROM ic3_asset_master m
                      WHERE m.cmms_asset_id = s.serialnumber ORDER BY m.asset_id LIMIT 1) m ON true
        LEFT JOIN LATERAL (SELECT attempts FROM ic3_sync_log l WHERE l.run_id = s.last_run_id AND l.serialnumber = s.serialnumber LIMIT 1) l ON true
        WHERE s.status = 'error'
          AND ($1::boolean IS NULL OR COALESCE(s.next_attempt_at > now(), false) = $1)
        ORDER BY s.last_attempt_at, s.serialnumber
        """;
}
