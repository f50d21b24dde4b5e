namespace AssetSync.Storage.Migrations;

/// <summary>
/// Every schema version as a list of online steps. The same steps create the schema on an empty database,
/// upgrade the seed's tables holding years of history, and take a version-1 database to version 2.
/// Rules (those of the online-migration tools PostgreSQL users trust): columns are added nullable or with a
/// constant default (no table rewrite); backfills run in batches of short transactions; indexes are built
/// CONCURRENTLY; DDL takes a short lock_timeout and is retried; every step is idempotent and records its completion.
/// Identifiers below are our own constants; no user or API value is ever spliced in.
/// </summary>
internal static class SchemaPlan
{
    public static IReadOnlyList<(int Version, string Description, IReadOnlyList<MigrationStep> Steps)> Versions { get; } =
    [
        (1, "AssetSync schema 1: the seed's tables (created if absent), their added columns, run ids, PM schedules and indexes", Version1()),
        (
            2,
            "AssetSync schema 2: per-asset state (cmms_asset_sync_state), the learned rate (cmms_rate_state), unchanged and budget columns",
            Version2()
        ),
        (
            3,
            "AssetSync schema 3: each asset's change observations (change_count, change_exposure, change_observations) and the register's change "
                + "model (cmms_change_model)",
            Version3()
        ),
        (
            4,
            "AssetSync schema 4: the fingerprint of what was written (content_sha256), observations that forget (recent_changes, "
                + "recent_exposure), and each run's answer and freshness figures",
            Version4()
        ),
    ];

    public static int LatestVersion => Versions[^1].Version;

    private static List<MigrationStep> Version1()
    {
        var steps = new List<MigrationStep>
        {
            new DdlStep(
                1,
                "1.01-tables",
                "create the seed's tables where absent, and ic3_asset_pm_schedule",
                """
                CREATE TABLE IF NOT EXISTS ic3_asset_master (
                    asset_id      bigserial PRIMARY KEY,
                    cmms_asset_id text,
                    report_seq_no integer
                );
                CREATE TABLE IF NOT EXISTS ic3_asset_pm_schedule (
                    cmms_asset_id  text NOT NULL,
                    schedule_id    text NOT NULL,
                    task           text,
                    frequency_days integer,
                    next_due       date,
                    synced_at      timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (cmms_asset_id, schedule_id)
                );
                CREATE TABLE IF NOT EXISTS ic3_sync_log (
                    serialnumber  text,
                    sync_type     text,
                    status        text,
                    error_message text,
                    synced_at     timestamptz DEFAULT now()
                );
                CREATE TABLE IF NOT EXISTS cmms_sync_log (
                    sync_type     text,
                    status        text,
                    assets_synced integer,
                    duration_ms   integer,
                    synced_at     timestamptz DEFAULT now()
                );
                """
            ),
            new DdlStep(
                1,
                "1.02-master-columns",
                "add the enrichment columns to ic3_asset_master (nullable: no rewrite)",
                """
                ALTER TABLE ic3_asset_master
                    ADD COLUMN IF NOT EXISTS asset_code         text,
                    ADD COLUMN IF NOT EXISTS asset_name         text,
                    ADD COLUMN IF NOT EXISTS category           text,
                    ADD COLUMN IF NOT EXISTS make               text,
                    ADD COLUMN IF NOT EXISTS model              text,
                    ADD COLUMN IF NOT EXISTS department         text,
                    ADD COLUMN IF NOT EXISTS location_site      text,
                    ADD COLUMN IF NOT EXISTS location_building  text,
                    ADD COLUMN IF NOT EXISTS location_floor     text,
                    ADD COLUMN IF NOT EXISTS location_room      text,
                    ADD COLUMN IF NOT EXISTS cmms_status        text,
                    ADD COLUMN IF NOT EXISTS criticality        text,
                    ADD COLUMN IF NOT EXISTS install_date       date,
                    ADD COLUMN IF NOT EXISTS warranty_expiry    date,
                    ADD COLUMN IF NOT EXISTS cmms_last_modified timestamptz,
                    ADD COLUMN IF NOT EXISTS cmms_payload       jsonb,
                    ADD COLUMN IF NOT EXISTS cmms_synced_at     timestamptz;
                """
            ),
            new DdlStep(
                1,
                "1.03-sync-log-columns",
                "add run_id, attempts, http_status, error_kind, duration_ms and a nullable id to ic3_sync_log",
                """
                CREATE SEQUENCE IF NOT EXISTS ic3_sync_log_id_seq;
                ALTER TABLE ic3_sync_log
                    ADD COLUMN IF NOT EXISTS id          bigint,
                    ADD COLUMN IF NOT EXISTS run_id      bigint,
                    ADD COLUMN IF NOT EXISTS attempts    integer,
                    ADD COLUMN IF NOT EXISTS http_status integer,
                    ADD COLUMN IF NOT EXISTS error_kind  text,
                    ADD COLUMN IF NOT EXISTS duration_ms integer;
                """
            ),
            new DdlStep(
                1,
                "1.04-run-log-columns",
                "add the run columns and a nullable id to cmms_sync_log",
                """
                CREATE SEQUENCE IF NOT EXISTS cmms_sync_log_id_seq;
                ALTER TABLE cmms_sync_log
                    ADD COLUMN IF NOT EXISTS id            bigint,
                    ADD COLUMN IF NOT EXISTS mode          text,
                    ADD COLUMN IF NOT EXISTS started_at    timestamptz,
                    ADD COLUMN IF NOT EXISTS finished_at   timestamptz,
                    ADD COLUMN IF NOT EXISTS total         integer,
                    ADD COLUMN IF NOT EXISTS failed        integer,
                    ADD COLUMN IF NOT EXISTS skipped       integer,
                    ADD COLUMN IF NOT EXISTS batch_size    integer,
                    ADD COLUMN IF NOT EXISTS offset_start  integer,
                    ADD COLUMN IF NOT EXISTS host          text,
                    ADD COLUMN IF NOT EXISTS os_user       text,
                    ADD COLUMN IF NOT EXISTS error_message text;
                """
            ),
        };
        steps.AddRange(OnlineSerialId(1, "1.1", "ic3_sync_log"));
        steps.AddRange(OnlineSerialId(1, "1.2", "cmms_sync_log"));
        steps.Add(
            new IndexStep(
                1,
                "1.30-sync-log-run-index",
                "index ic3_sync_log by run (one row per asset per run)",
                "ic3_sync_log_run_serial_key",
                "ic3_sync_log",
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ic3_sync_log_run_serial_key ON ic3_sync_log (run_id, serialnumber) WHERE run_id "
                    + "IS NOT NULL"
            )
        );
        steps.Add(
            new IndexStep(
                1,
                "1.31-master-serial-index",
                "index ic3_asset_master by serial number",
                "ic3_asset_master_cmms_asset_id_idx",
                "ic3_asset_master",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ic3_asset_master_cmms_asset_id_idx ON ic3_asset_master (cmms_asset_id)"
            )
        );
        steps.Add(
            new IndexStep(
                1,
                "1.32-master-order-index",
                "index ic3_asset_master in sync order",
                "ic3_asset_master_sync_order_idx",
                "ic3_asset_master",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ic3_asset_master_sync_order_idx ON ic3_asset_master (report_seq_no, asset_id) WHERE "
                    + "cmms_asset_id IS NOT NULL"
            )
        );
        return steps;
    }

    /// <summary>
    /// The equivalent of ADD COLUMN id bigserial without its table rewrite under ACCESS EXCLUSIVE: ids backfilled in
    /// batches (in physical, that is insertion, order), a unique index built concurrently, then the sequence default
    /// attached, and NOT NULL proven by a CHECK validated without blocking writers.
    /// </summary>
    private static IEnumerable<MigrationStep> OnlineSerialId(int version, string prefix, string table)
    {
        var seq = table + "_id_seq";
        var check = table + "_id_not_null";
        yield return new PageBackfillStep(
            version,
            $"{prefix}0-{table}-id-backfill",
            $"number the existing rows of {table} (id), in batches",
            table,
            $"""
            UPDATE {table} SET id = nextval('{seq}')
            WHERE {PageRange.Condition()} AND id IS NULL
            """,
            1.8
        );
        yield return new IndexStep(
            version,
            $"{prefix}1-{table}-id-index",
            $"unique index on {table} (id)",
            $"{table}_id_key",
            table,
            $"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {table}_id_key ON {table} (id)"
        );
        yield return new DdlStep(
            version,
            $"{prefix}2-{table}-id-default",
            $"attach the id sequence to {table}, number rows added meanwhile",
            $"""
            -- This transaction holds ACCESS EXCLUSIVE from the first ALTER on: readers queue behind it. The few rows added since
            -- the backfill are found through the unique index on id, never by a scan of the whole table, whatever the
            -- planner's statistics say right after the backfill (a sequential scan of 18 M rows held readers 1.7 s).
            SET LOCAL enable_seqscan = off;
            ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{seq}');
            ALTER SEQUENCE {seq} OWNED BY {table}.id;
            -- Past the highest id already there (a table that had ids of its own); an untouched sequence stays untouched.
            SELECT setval('{seq}', m) FROM (SELECT max(id) AS m FROM {table}) x
            WHERE m IS NOT NULL AND m >= (SELECT last_value FROM {seq});
            UPDATE {table} SET id = nextval('{seq}') WHERE id IS NULL;
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{check}' AND conrelid = '{table}'::regclass)
                   AND NOT (SELECT attnotnull FROM pg_attribute WHERE attrelid = '{table}'::regclass AND attname = 'id') THEN
                    ALTER TABLE {table} ADD CONSTRAINT {check} CHECK (id IS NOT NULL) NOT VALID;
                END IF;
            END $$;
            """
        );
        yield return new DdlStep(
            version,
            $"{prefix}3-{table}-id-validate",
            $"prove {table}.id is never NULL (a scan that blocks no reader or writer)",
            $"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{check}' AND conrelid = '{table}'::regclass AND NOT convalidated) THEN
                    ALTER TABLE {table} VALIDATE CONSTRAINT {check};
                END IF;
            END $$;
            """
        );
        yield return new DdlStep(
            version,
            $"{prefix}4-{table}-id-not-null",
            $"make {table}.id NOT NULL (no scan: the CHECK proves it)",
            $"""
            ALTER TABLE {table} ALTER COLUMN id SET NOT NULL;
            ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};
            """
        );
    }

    /// <summary>The log rows of one batch ($1, $2: its pages) that decide an asset's state.</summary>
    private static string Chunk(string a) =>
        $"{PageRange.Condition(a)} AND {a}sync_type = 'api_sync' AND {a}serialnumber IS NOT NULL AND {a}status IN ({LogStatus.SuccessSql}, "
        + $"{LogStatus.ErrorSql})";

    private static string ChunkRows => Chunk("");

    // A failing asset's next attempt as the run would have set it: its kind's deferral from its last failure.
    private static string PublishedNextAttempt =>
        DeferralSql.NextAttempt("b.error_kind", "GREATEST(b.failures, 1) - 1", "b.last_at", DeferralSql.KindsLiteral, DeferralSql.MaxDaysLiteral);

    private static List<MigrationStep> Version2() =>
        [
            new DdlStep(
                2,
                "2.01-log-columns",
                "add unchanged to ic3_sync_log and the budget and rate columns to cmms_sync_log (constant defaults: no rewrite)",
                """
                ALTER TABLE ic3_sync_log ADD COLUMN IF NOT EXISTS unchanged boolean NOT NULL DEFAULT false;
                ALTER TABLE cmms_sync_log
                    ADD COLUMN IF NOT EXISTS unchanged           integer,
                    ADD COLUMN IF NOT EXISTS not_reached         integer,
                    ADD COLUMN IF NOT EXISTS stopped_by          text,
                    ADD COLUMN IF NOT EXISTS requests            integer,
                    ADD COLUMN IF NOT EXISTS throttled           integer,
                    ADD COLUMN IF NOT EXISTS requests_per_second double precision;
                """
            ),
            new DdlStep(
                2,
                "2.02-state-tables",
                "create cmms_asset_sync_state, cmms_rate_state and the backfill's work table",
                """
                -- Column order matters for the WAL: a run rewrites every synced asset's row, and for an unchanged asset only
                -- the last three columns differ. PostgreSQL logs a same-page (HOT) update as the bytes that differ between the
                -- common prefix and suffix, so keeping them together at the end makes that update cost a few dozen bytes.
                CREATE TABLE IF NOT EXISTS cmms_asset_sync_state (
                    serialnumber         text PRIMARY KEY,
                    status               text NOT NULL,
                    consecutive_failures integer NOT NULL DEFAULT 0,
                    error_kind           text,
                    http_status          integer,
                    error_message        text,
                    failing_since        timestamptz,
                    next_attempt_at      timestamptz,
                    etag                 text,
                    last_modified        text,
                    payload_sha256       bytea,
                    last_changed_at      timestamptz,
                    last_attempt_at      timestamptz,
                    last_success_at      timestamptz,
                    last_run_id          bigint
                ) WITH (fillfactor = 70);  -- room on each page, so those updates stay on the page (HOT: no index write either)
                CREATE TABLE IF NOT EXISTS cmms_rate_state (
                    base_url            text PRIMARY KEY,
                    requests_per_second double precision NOT NULL,
                    source              text NOT NULL,
                    learned_at          timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE IF NOT EXISTS assetsync_state_backfill (
                    serialnumber  text PRIMARY KEY,
                    last_at       timestamptz NOT NULL,
                    last_id       bigint NOT NULL,
                    status        text NOT NULL,
                    error_kind    text,
                    http_status   integer,
                    error_message text,
                    run_id        bigint,
                    success_at    timestamptz,
                    success_id    bigint,
                    failures      integer NOT NULL DEFAULT 0,
                    failing_since timestamptz
                );
                """
            ),
            // Batches of a few seconds here: each one upserts every asset it saw into the work table, a cost per batch,
            // and it holds nothing any other session waits for (it only reads the log).
            // Each serial number's latest row by time, then by physical order (id follows it), and its latest success.
            new PageBackfillStep(
                2,
                "2.03-state-latest",
                "find each asset's latest log row and latest success, in batches",
                "ic3_sync_log",
                $"""
                INSERT INTO assetsync_state_backfill AS b (serialnumber, last_at, last_id, status, error_kind, http_status, error_message,
                    run_id, success_at, success_id)
                SELECT l.serialnumber, l.at, l.id, l.status, l.error_kind, l.http_status, l.error_message, l.run_id, s.at, s.id
                FROM (SELECT DISTINCT ON (serialnumber) serialnumber, COALESCE(synced_at, '-infinity') AS at, id, status, error_kind,
                    http_status, error_message, run_id
                      FROM ic3_sync_log WHERE {ChunkRows}
                      ORDER BY serialnumber, at DESC, id DESC) l
                LEFT JOIN (SELECT DISTINCT ON (serialnumber) serialnumber, COALESCE(synced_at, '-infinity') AS at, id
                           FROM ic3_sync_log WHERE {ChunkRows} AND status = {LogStatus.SuccessSql}
                           ORDER BY serialnumber, at DESC, id DESC) s USING (serialnumber)
                ON CONFLICT (serialnumber) DO UPDATE SET
                    last_at       = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.last_at ELSE
                        b.last_at END,
                    last_id       = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.last_id ELSE
                        b.last_id END,
                    status        = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.status ELSE b.status
                        END,
                    error_kind    = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.error_kind ELSE
                        b.error_kind END,
                    http_status   = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.http_status ELSE
                        b.http_status END,
                    error_message = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.error_message ELSE
                        b.error_message END,
                    run_id        = CASE WHEN (EXCLUDED.last_at, EXCLUDED.last_id) > (b.last_at, b.last_id) THEN EXCLUDED.run_id ELSE b.run_id
                        END,
                    success_at    = CASE WHEN EXCLUDED.success_id IS NOT NULL AND (b.success_id IS NULL OR (EXCLUDED.success_at,
                        EXCLUDED.success_id) > (b.success_at, b.success_id))
                                         THEN EXCLUDED.success_at ELSE b.success_at END,
                    success_id    = CASE WHEN EXCLUDED.success_id IS NOT NULL AND (b.success_id IS NULL OR (EXCLUDED.success_at,
                        EXCLUDED.success_id) > (b.success_at, b.success_id))
                                         THEN EXCLUDED.success_id ELSE b.success_id END
                """,
                3.2,
                batchTargetFactor: 4
            ),
            // Errors since the latest success: how many, and since when (needs the latest success of every asset first).
            new PageBackfillStep(
                2,
                "2.04-state-failures",
                "count each failing asset's errors since its last success, in batches",
                "ic3_sync_log",
                $"""
                WITH f AS (
                    SELECT l.serialnumber, count(*) AS n, min(COALESCE(l.synced_at, '-infinity')) AS first_at
                    FROM ic3_sync_log l
                    JOIN assetsync_state_backfill b ON b.serialnumber = l.serialnumber AND b.status = {LogStatus.ErrorSql}
                    WHERE {Chunk("l.")}
                      AND l.status = {LogStatus.ErrorSql}
                      AND (b.success_id IS NULL OR (COALESCE(l.synced_at, '-infinity'), l.id) > (b.success_at, b.success_id))
                    GROUP BY l.serialnumber)
                UPDATE assetsync_state_backfill b SET failures = b.failures + f.n, failing_since = LEAST(b.failing_since, f.first_at)
                FROM f WHERE b.serialnumber = f.serialnumber
                """,
                0.2,
                batchTargetFactor: 4
            ),
            new DdlStep(
                2,
                "2.05-state-publish",
                "fill cmms_asset_sync_state from the backfill (deferring not_found and client_error: 1, 2, 4 ... 30 days)",
                $"""
                INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, last_changed_at, failing_since,
                    consecutive_failures, next_attempt_at, error_kind, http_status, error_message, last_run_id)
                SELECT b.serialnumber, b.status, NULLIF(b.last_at, '-infinity'), NULLIF(b.success_at, '-infinity'), NULLIF(b.success_at,
                    '-infinity'),
                       CASE WHEN b.status = {LogStatus.ErrorSql} THEN NULLIF(b.failing_since, '-infinity') END,
                       CASE WHEN b.status = {LogStatus.ErrorSql} THEN b.failures ELSE 0 END,
                       CASE WHEN b.status = {LogStatus.ErrorSql} AND b.last_at > '-infinity'
                            THEN {PublishedNextAttempt} END,
                       CASE WHEN b.status = {LogStatus.ErrorSql} THEN b.error_kind END,
                       CASE WHEN b.status = {LogStatus.ErrorSql} THEN b.http_status END,
                       CASE WHEN b.status = {LogStatus.ErrorSql} THEN b.error_message END,
                       b.run_id
                FROM assetsync_state_backfill b
                ON CONFLICT (serialnumber) DO NOTHING;
                DROP TABLE assetsync_state_backfill;
                """
            ),
            new IndexStep(
                2,
                "2.06-drop-current-index",
                "drop ic3_sync_log_current_idx: the state table answers what it served, and every log insert paid for it",
                "ic3_sync_log_current_idx",
                "ic3_sync_log",
                null
            ),
        ];

    /// <summary>
    /// The change model's columns: constant defaults (no rewrite, a moment's ACCESS EXCLUSIVE under the DDL step's lock_timeout).
    /// Nothing to backfill: the log holds no last_modified to learn from, so each asset starts without observations and its
    /// next success makes the first one (the age of Innomaint's last change).
    /// </summary>
    private static List<MigrationStep> Version3() =>
        [
            new DdlStep(
                3,
                "3.01-change-columns",
                "add the change observations to cmms_asset_sync_state (constant defaults: no rewrite)",
                """
                ALTER TABLE cmms_asset_sync_state
                    ADD COLUMN IF NOT EXISTS change_count        integer          NOT NULL DEFAULT 0,
                    ADD COLUMN IF NOT EXISTS change_exposure     double precision NOT NULL DEFAULT 0,
                    ADD COLUMN IF NOT EXISTS change_observations integer          NOT NULL DEFAULT 0;
                """
            ),
            new DdlStep(
                3,
                "3.02-change-model",
                "create cmms_change_model: the register's change-rate prior, fitted by each batch run",
                """
                CREATE TABLE IF NOT EXISTS cmms_change_model (
                    id                 integer PRIMARY KEY CHECK (id = 1),
                    rates              double precision[] NOT NULL,
                    weights            double precision[] NOT NULL,
                    min_exposure       double precision NOT NULL,
                    max_exposure       double precision NOT NULL,
                    observed_assets    bigint NOT NULL,
                    fitted_at          timestamptz NOT NULL DEFAULT now()
                );
                """
            ),
        ];

    /// <summary>
    /// Freshness in the real world: nullable columns only (no rewrite, no backfill). An asset without a fingerprint yet is
    /// compared by its body until its next change writes one; one without recent observations starts them from its totals.
    /// </summary>
    private static List<MigrationStep> Version4() =>
        [
            new DdlStep(
                4,
                "4.01-state-columns",
                "add content_sha256, recent_changes and recent_exposure to cmms_asset_sync_state (nullable: no rewrite)",
                """
                ALTER TABLE cmms_asset_sync_state
                    ADD COLUMN IF NOT EXISTS content_sha256  bytea,
                    ADD COLUMN IF NOT EXISTS recent_changes  double precision,
                    ADD COLUMN IF NOT EXISTS recent_exposure double precision;
                """
            ),
            new DdlStep(
                4,
                "4.02-run-columns",
                "add volatile_answers, stamped_answers and estimated_outdated to cmms_sync_log (nullable: no rewrite)",
                """
                ALTER TABLE cmms_sync_log
                    ADD COLUMN IF NOT EXISTS volatile_answers   integer,
                    ADD COLUMN IF NOT EXISTS stamped_answers    integer,
                    ADD COLUMN IF NOT EXISTS estimated_outdated jsonb;
                """
            ),
        ];
}
