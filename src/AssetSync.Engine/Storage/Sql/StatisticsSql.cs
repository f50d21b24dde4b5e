namespace AssetSync.Storage;

/// <summary>The planner statistics of the tables a run grows: what they say, and their refresh.</summary>
internal static class StatisticsSql
{
    /// <summary>
    /// Rows the planner believes the log and state tables hold (reltuples; -1 before their first ANALYZE counts as 0): the
    /// smaller of the two, since either one planned blind slows every group's statement.
    /// </summary>
    public const string BelievedRows = """
        SELECT COALESCE(min(GREATEST(c.reltuples, 0)), 0)::bigint FROM pg_class c
        WHERE c.oid IN (to_regclass('ic3_sync_log'), to_regclass('cmms_asset_sync_state'))
        """;

    /// <summary>
    /// Fresh statistics for both: ANALYZE samples (at most 300 x default_statistics_target rows) and takes a lock that blocks
    /// no reader or writer. A role that does not own the tables gets a warning from PostgreSQL, not an error.
    /// </summary>
    public const string Refresh = "ANALYZE ic3_sync_log, cmms_asset_sync_state";
}
