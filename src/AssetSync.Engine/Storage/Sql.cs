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

    public const string CreateSchemaVersionTable = """
        CREATE TABLE IF NOT EXISTS assetsync_schema_version (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )
        """;

    public const string SchemaLock = "SELECT pg_advisory_xact_lock($1)";

    public const string RecordMigration = "INSERT INTO assetsync_schema_version (version, description) VALUES ($1, $2)";

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
        SET status = 'interrupted', assets_synced = c.ok, failed = c.bad, total = c.ok + c.bad
        FROM (SELECT o.id,
                     count(l.serialnumber) FILTER (WHERE l.status = 'success') AS ok,
                     count(l.serialnumber) FILTER (WHERE l.status = 'error') AS bad
              FROM cmms_sync_log o LEFT JOIN ic3_sync_log l ON l.run_id = o.id
              WHERE o.sync_type = 'api_sync' AND o.status = 'running' AND o.id <> $1
              GROUP BY o.id) c
        WHERE r.id = c.id
        """;

    /// <summary>A running run's live counts, so other sessions see how far it got.</summary>
    public const string UpdateRunProgress = """
        UPDATE cmms_sync_log SET assets_synced = $2, failed = $3, total = $2 + $3, skipped = $4
        WHERE id = $1 AND status = 'running'
        """;

    public const string StartRun = """
        INSERT INTO cmms_sync_log (sync_type, status, assets_synced, duration_ms, synced_at, mode, started_at, total, failed, skipped, batch_size, offset_start, host, os_user)
        VALUES ('api_sync', 'running', 0, 0, now(), $1, now(), 0, 0, 0, $2, $3, $4, $5)
        RETURNING id, started_at
        """;

    public const string FinishRun = """
        UPDATE cmms_sync_log
        SET status = $2, assets_synced = $3, failed = $4, skipped = $5, total = $3 + $4,
            finished_at = now(), synced_at = now(), duration_ms = $6, error_message = $7
        WHERE id = $1
        RETURNING finished_at
        """;

    public const string CountBatch = $"SELECT count(DISTINCT cmms_asset_id) FROM ic3_asset_master WHERE {Linked}";

    /// <summary>First page of the batch order: report_seq_no (nulls last), then asset_id.</summary>
    public const string BatchFirstPage = $"""
        SELECT cmms_asset_id, report_seq_no, asset_id FROM ic3_asset_master
        WHERE {Linked}
        ORDER BY report_seq_no NULLS LAST, asset_id
        LIMIT $1 OFFSET $2
        """;

    /// <summary>Next page after a row whose report_seq_no is not null (keyset: no OFFSET rescans).</summary>
    public const string BatchNextPageAfterSeq = $"""
        SELECT cmms_asset_id, report_seq_no, asset_id FROM ic3_asset_master
        WHERE {Linked}
          AND (report_seq_no IS NULL OR report_seq_no > $2 OR (report_seq_no = $2 AND asset_id > $3))
        ORDER BY report_seq_no NULLS LAST, asset_id
        LIMIT $1
        """;

    /// <summary>Next page after a row whose report_seq_no is null.</summary>
    public const string BatchNextPageInNulls = $"""
        SELECT cmms_asset_id, report_seq_no, asset_id FROM ic3_asset_master
        WHERE {Linked} AND report_seq_no IS NULL AND asset_id > $2
        ORDER BY asset_id
        LIMIT $1
        """;

    /// <summary>Assets whose current state (latest api_sync row by id) is error, in serial order, after $1.</summary>
    public const string FailedPage = """
        SELECT c.serialnumber FROM (
            SELECT DISTINCT ON (serialnumber) serialnumber, status FROM ic3_sync_log
            WHERE sync_type = 'api_sync' AND serialnumber IS NOT NULL AND ($1::text IS NULL OR serialnumber > $1)
            ORDER BY serialnumber, id DESC) c
        WHERE c.status = 'error'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = c.serialnumber)
        ORDER BY c.serialnumber
        LIMIT $2
        """;

    public const string CountFailed = """
        SELECT count(*) FROM (
            SELECT DISTINCT ON (serialnumber) serialnumber, status FROM ic3_sync_log
            WHERE sync_type = 'api_sync' AND serialnumber IS NOT NULL
            ORDER BY serialnumber, id DESC) c
        WHERE c.status = 'error'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = c.serialnumber)
        """;

    /// <summary>An asset that synced before and is still in the register: the asset-path check asks Innomaint for it.</summary>
    public const string LastSucceededSerial = $"""
        SELECT l.serialnumber FROM ic3_sync_log l
        WHERE l.sync_type = 'api_sync' AND l.status = 'success'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = l.serialnumber AND {Linked})
        ORDER BY l.id DESC LIMIT 1
        """;

    public const string KnownSerials = $"SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE cmms_asset_id = ANY($1) AND {Linked}";

    public const string EnrichMaster = """
        UPDATE ic3_asset_master SET
            asset_code = $2, asset_name = $3, category = $4, make = $5, model = $6, department = $7,
            location_site = $8, location_building = $9, location_floor = $10, location_room = $11,
            cmms_status = $12, criticality = $13, install_date = $14, warranty_expiry = $15,
            cmms_last_modified = $16, cmms_payload = $17, cmms_synced_at = now()
        WHERE cmms_asset_id = $1
        """;

    public const string DeleteSchedules = "DELETE FROM ic3_asset_pm_schedule WHERE cmms_asset_id = $1";

    public const string InsertSchedules = """
        INSERT INTO ic3_asset_pm_schedule (cmms_asset_id, schedule_id, task, frequency_days, next_due, synced_at)
        SELECT $1, s.schedule_id, s.task, s.frequency_days, s.next_due, now()
        FROM unnest($2::text[], $3::text[], $4::integer[], $5::date[]) AS s(schedule_id, task, frequency_days, next_due)
        """;

    public const string InsertAssetLog = """
        INSERT INTO ic3_sync_log (serialnumber, sync_type, status, error_message, synced_at, run_id, attempts, http_status, error_kind, duration_ms)
        VALUES ($1, 'api_sync', $2, $3, now(), $4, $5, $6, $7, $8)
        ON CONFLICT (run_id, serialnumber) WHERE run_id IS NOT NULL DO NOTHING
        """;

    /// <summary>Assets with no api_sync row at all, in sync order.</summary>
    public const string NeverSynced = """
        SELECT m.cmms_asset_id FROM ic3_asset_master m
        WHERE m.cmms_asset_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ic3_sync_log l WHERE l.serialnumber = m.cmms_asset_id AND l.sync_type = 'api_sync')
        ORDER BY m.report_seq_no NULLS LAST, m.asset_id
        LIMIT $1
        """;

    public const string Status = $"""
        WITH cur AS (
            SELECT DISTINCT ON (serialnumber) serialnumber, status FROM ic3_sync_log
            WHERE sync_type = 'api_sync' AND serialnumber IS NOT NULL
            ORDER BY serialnumber, id DESC),
        m AS (SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE {Linked})
        SELECT count(*),
               count(*) FILTER (WHERE cur.status = 'success'),
               count(*) FILTER (WHERE cur.status IS NOT NULL AND cur.status <> 'success'),
               count(*) FILTER (WHERE cur.status IS NULL),
               (SELECT max(COALESCE(finished_at, synced_at)) FROM cmms_sync_log WHERE sync_type = 'api_sync' AND status <> 'running'),
               (SELECT count(*) FROM ic3_asset_master WHERE NOT ({Linked}) OR cmms_asset_id IS NULL)
        FROM m LEFT JOIN cur ON cur.serialnumber = m.cmms_asset_id
        """;

    /// <summary>The latest runs; a row still 'running' has its counts read from its log rows, which are always exact.</summary>
    public const string LastRuns = """
        SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.total, r.assets_synced, r.failed, r.skipped, r.duration_ms,
               r.error_message, r.host, r.os_user, lc.ok, lc.bad
        FROM cmms_sync_log r
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE l.status = 'success') AS ok, count(*) FILTER (WHERE l.status = 'error') AS bad
            FROM ic3_sync_log l WHERE l.run_id = r.id) lc ON r.status = 'running'
        WHERE r.sync_type = 'api_sync'
        ORDER BY r.id DESC LIMIT $1
        """;

    /// <summary>Current failures, with when each began failing: its first error after its last success.</summary>
    public const string Failures = """
        SELECT c.serialnumber, c.error_kind, c.http_status, c.attempts, c.error_message, c.synced_at, c.run_id,
               (SELECT min(e.synced_at) FROM ic3_sync_log e
                WHERE e.serialnumber = c.serialnumber AND e.sync_type = 'api_sync'
                  AND e.id > COALESCE((SELECT max(s.id) FROM ic3_sync_log s
                                       WHERE s.serialnumber = c.serialnumber AND s.sync_type = 'api_sync' AND s.status = 'success'), 0))
        FROM (
            SELECT DISTINCT ON (serialnumber) serialnumber, status, error_kind, http_status, attempts, error_message, synced_at, run_id
            FROM ic3_sync_log
            WHERE sync_type = 'api_sync' AND serialnumber IS NOT NULL
            ORDER BY serialnumber, id DESC) c
        WHERE c.status = 'error'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = c.serialnumber)
        ORDER BY c.synced_at, c.serialnumber
        """;
}
