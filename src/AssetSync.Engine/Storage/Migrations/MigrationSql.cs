namespace AssetSync.Storage.Migrations;

/// <summary>The bookkeeping statements of schema upgrades (the steps' own SQL lives in SchemaPlan).</summary>
internal static class MigrationSql
{
    /// <summary>Key of the transaction advisory lock that serialises schema upgrades.</summary>
    public const long SchemaLockKey = 0x4173_7365_7453_6368; // "AssetSch"

    public const string SchemaVersionTableExists = "SELECT to_regclass('assetsync_schema_version') IS NOT NULL";

    public const string SchemaVersion = "SELECT COALESCE(max(version), 0) FROM assetsync_schema_version";

    public const string CreateBookkeeping = """
        CREATE TABLE IF NOT EXISTS assetsync_schema_version (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS assetsync_schema_step (
            step         text PRIMARY KEY,
            version      integer NOT NULL,
            cursor_page  bigint NOT NULL DEFAULT 0,
            target_page  bigint,
            rows_done    bigint NOT NULL DEFAULT 0,
            started_at   timestamptz NOT NULL DEFAULT now(),
            completed_at timestamptz,
            duration_ms  bigint
        );
        """;

    /// <summary>Session lock: one upgrade at a time per database, held across its many transactions.</summary>
    public const string SchemaLock = "SELECT pg_advisory_lock($1)";

    public const string SchemaUnlock = "SELECT pg_advisory_unlock($1)";

    public const string VersionApplied = "SELECT EXISTS (SELECT 1 FROM assetsync_schema_version WHERE version = $1)";

    public const string RecordVersion =
        "INSERT INTO assetsync_schema_version (version, description) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING";

    public const string StepsDone = "SELECT step FROM assetsync_schema_step WHERE completed_at IS NOT NULL";

    public const string StepsTableExists = "SELECT to_regclass('assetsync_schema_step') IS NOT NULL";

    public const string MarkStepDone = """
        INSERT INTO assetsync_schema_step (step, version, completed_at, duration_ms) VALUES ($1, $2, now(), $3)
        ON CONFLICT (step) DO UPDATE SET completed_at = now(),
            duration_ms = COALESCE(assetsync_schema_step.duration_ms, 0) + EXCLUDED.duration_ms
        """;

    /// <summary>Starts (or resumes) a page walk: returns the cursor, the fixed end page and the rows done so far.</summary>
    public const string BeginPageStep = """
        INSERT INTO assetsync_schema_step (step, version, target_page)
        VALUES ($1, $2, pg_relation_size($3::regclass) / current_setting('block_size')::bigint)
        ON CONFLICT (step) DO UPDATE SET step = EXCLUDED.step
        RETURNING cursor_page, target_page, rows_done
        """;

    /// <summary>Committed with each batch: where the next one starts.</summary>
    public const string AdvancePageStep = "UPDATE assetsync_schema_step SET cursor_page = $2, rows_done = rows_done + $3 WHERE step = $1";

    public const string RowsPerPage = """
        SELECT CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages ELSE 100 END FROM pg_class WHERE oid = $1::regclass
        """;

    /// <summary>Planner statistics: rows in a table now (-1 before its first ANALYZE: then the page count stands in).</summary>
    public const string EstimateRows = """
        SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
                    ELSE (pg_relation_size(c.oid) / current_setting('block_size')::bigint) * 100 END
        FROM pg_class c WHERE c.oid = to_regclass($1)
        """;

    public const string IndexValid = """
        SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.relname = $1 AND c.relnamespace = to_regnamespace(current_schema())
        """;

    /// <summary>
    /// Statistics for the tables a schema version fills or reshapes, so the first status query after an upgrade is planned
    /// well; only the ones that exist at the version just applied.
    /// </summary>
    public const string AnalyzeFilled = """
        DO $$
        DECLARE t text;
        BEGIN
            FOREACH t IN ARRAY ARRAY['ic3_sync_log', 'cmms_asset_sync_state', 'cmms_sync_log'] LOOP
                IF to_regclass(t) IS NOT NULL THEN
                    EXECUTE format('ANALYZE %I', t);
                END IF;
            END LOOP;
        END $$
        """;
}
