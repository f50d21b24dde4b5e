namespace AssetSync.Storage;

/// <summary>
/// The status and report queries. The register's figures come from the state table and the register only
/// (<see cref="RegisterSql.CurrentState"/>), so they cost the same after years of history.
/// </summary>
internal static class StatusSql
{
    /// <summary>
    /// The status partition and freshness. @stale_after is -StaleAfter. Stale means "should have fresh data and has not" (the IC3
    /// database contract): last success longer ago than $1; or never succeeded and failing for longer than $1; or never
    /// attempted while AssetSync has been running (its first run) for longer than $1. Deferred assets are never stale:
    /// they are counted as deferred. With a change model, also the expected number of verified assets changed in Innomaint
    /// since (the sum of each one's change probability; the rate table's parameters, <see cref="FreshnessSql.Rate"/>).
    /// </summary>
    private static string StatusOf(string outdated) =>
        $"""
            WITH {RegisterSql.CurrentState},
            first_run AS (SELECT min(COALESCE(started_at, synced_at)) AS at FROM cmms_sync_log WHERE sync_type = {RegisterSql.SyncType}),
            j AS (SELECT s.status, s.last_success_at, s.next_attempt_at, s.age,
                         CASE
                             WHEN s.status = {LogStatus.ErrorSql} AND s.next_attempt_at > now() THEN false
                             WHEN s.last_success_at IS NOT NULL THEN s.age > @stale_after::interval
                             WHEN s.status = {LogStatus.ErrorSql} THEN COALESCE(s.failing_since, s.last_attempt_at) < now() -
                                 @stale_after::interval
                             ELSE (SELECT at FROM first_run) < now() - @stale_after::interval
                         END AS stale,
                         {outdated} AS outdated
                  FROM register s)
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE status = {LogStatus.SuccessSql}) AS synced,
                   count(*) FILTER (WHERE status IS NOT NULL AND status <> {LogStatus.SuccessSql}) AS failed,
                   count(*) FILTER (WHERE status IS NULL) AS never,
                   count(*) FILTER (WHERE status = {LogStatus.ErrorSql} AND next_attempt_at > now()) AS deferred,
                   min(last_success_at) FILTER (WHERE status = {LogStatus.SuccessSql}) AS oldest_success,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY age) FILTER (WHERE status = {LogStatus.SuccessSql}) AS age_median,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY age) FILTER (WHERE status = {LogStatus.SuccessSql}) AS age_p95,
                   max(age) FILTER (WHERE status = {LogStatus.SuccessSql}) AS age_max,
                   sum(age) FILTER (WHERE status = {LogStatus.SuccessSql}) AS age_sum,
                   count(*) FILTER (WHERE stale) AS stale,
                   sum(outdated) FILTER (WHERE last_success_at IS NOT NULL) AS outdated,
                   sum(outdated * (1 - outdated)) FILTER (WHERE last_success_at IS NOT NULL) AS outdated_variance,
                   count(*) FILTER (WHERE last_success_at IS NOT NULL) AS verified,
                   (SELECT stamped_answers > 0 FROM cmms_sync_log WHERE sync_type = {RegisterSql.SyncType} AND stamped_answers IS NOT NULL
                    ORDER BY id DESC LIMIT 1) AS stamped_on_read,
                   (SELECT max(COALESCE(finished_at, synced_at)) FROM cmms_sync_log WHERE sync_type = {RegisterSql.SyncType} AND status <>
                       {RunStatusNames.RunningSql}) AS last_sync_at,
                   (SELECT max(COALESCE(finished_at, synced_at)) FROM cmms_sync_log WHERE sync_type = {RegisterSql.SyncType} AND status =
                       {RunStatusNames.CompleteSql}) AS last_success_at,
                   (SELECT count(*) FROM ic3_asset_master WHERE NOT ({RegisterSql.Linked}) OR cmms_asset_id IS NULL) AS unlinked
            FROM j
            """;

    /// <summary>The status partition and freshness; the change model's estimate is <see cref="OutdatedByCriticality"/>'s.</summary>
    public static string Status { get; } = StatusOf("NULL::double precision");

    /// <summary>
    /// The estimate by criticality (the register's first row's; NULL: none), most verified assets first: the sum of each
    /// asset's chance of a change since its last sync, from its whole posterior (@unchanged_table), and of its variance. The
    /// register's estimate is the sum of the groups: one scan of the posterior, not two.
    /// </summary>
    public static string OutdatedByCriticality { get; } =
        $"""
            WITH {RegisterSql.CurrentState},
            j AS MATERIALIZED (SELECT s.criticality, 1 - {FreshnessSql.PosteriorValue("unchanged_table", "k")} AS outdated
                  FROM register s
                  {FreshnessSql.PosteriorKeys("unchanged_table", "k", "s.change_count", "s.change_exposure", "date_part('epoch', s.age)")}
                  WHERE s.last_success_at IS NOT NULL)
            SELECT criticality, count(*) AS synced, sum(outdated) AS outdated, sum(outdated * (1 - outdated)) AS outdated_variance
            FROM j GROUP BY criticality ORDER BY count(*) DESC, criticality NULLS LAST
            """;

    /// <summary>
    /// The register's verified assets by estimated change rate, as a mean time between changes (the report's distribution;
    /// the buckets are for reading, not for the policy). The rate table's parameters (<see cref="FreshnessSql.Rate"/>).
    /// </summary>
    public static string ChangeRateHistogram { get; } =
        $"""
            WITH {RegisterSql.CurrentState},
            r AS (SELECT CASE WHEN COALESCE(change_exposure, 0) <= 0 THEN NULL ELSE 1 /
                NULLIF({FreshnessSql.Rate("change_count", "change_exposure")}, 0) END AS mean_s
                  FROM register WHERE last_success_at IS NOT NULL)
            SELECT count(*) FILTER (WHERE mean_s < 3600) AS under_1h,
                   count(*) FILTER (WHERE mean_s >= 3600 AND mean_s < 86400) AS h1_d1,
                   count(*) FILTER (WHERE mean_s >= 86400 AND mean_s < 7 * 86400) AS d1_7,
                   count(*) FILTER (WHERE mean_s >= 7 * 86400 AND mean_s < 30 * 86400) AS d7_30,
                   count(*) FILTER (WHERE mean_s >= 30 * 86400 AND mean_s < 365 * 86400) AS d30_365,
                   count(*) FILTER (WHERE mean_s >= 365 * 86400) AS d365_plus,
                   count(*) FILTER (WHERE mean_s IS NULL) AS unobserved
            FROM r
            """;

    /// <summary>The change-rate histogram's columns and their labels (a mean time between changes), in order.</summary>
    public static IReadOnlyList<(string Column, string Label)> ChangeRateBuckets { get; } =
    [
        ("under_1h", "changes more than hourly"),
        ("h1_d1", "hourly to daily"),
        ("d1_7", "daily to weekly"),
        ("d7_30", "weekly to monthly"),
        ("d30_365", "monthly to yearly"),
        ("d365_plus", "less than yearly"),
        ("unobserved", "not observed yet"),
    ];

    /// <summary>The register by time since its last success, in fixed buckets (a histogram for the report).</summary>
    public const string SyncAgeHistogram = $"""
        WITH {RegisterSql.CurrentState}
        SELECT count(*) FILTER (WHERE age < interval '1 day') AS under_1d,
               count(*) FILTER (WHERE age >= interval '1 day' AND age < interval '2 days') AS d1_2,
               count(*) FILTER (WHERE age >= interval '2 days' AND age < interval '7 days') AS d2_7,
               count(*) FILTER (WHERE age >= interval '7 days' AND age < interval '30 days') AS d7_30,
               count(*) FILTER (WHERE age >= interval '30 days') AS d30_plus,
               count(*) FILTER (WHERE age IS NULL) AS never
        FROM register
        """;

    /// <summary>The histogram's columns and their labels, in order.</summary>
    public static IReadOnlyList<(string Column, string Label)> SyncAgeBuckets { get; } =
    [
        ("under_1d", "under 1 day"),
        ("d1_2", "1-2 days"),
        ("d2_7", "2-7 days"),
        ("d7_30", "7-30 days"),
        ("d30_plus", "30 days or more"),
        ("never", "never"),
    ];

    /// <summary>The assets whose last success is oldest, with the register's names. $1 limit.</summary>
    public const string Stalest = $"""
        SELECT s.serialnumber, s.last_success_at, s.status, n.asset_code, n.asset_name, n.department
        FROM cmms_asset_sync_state s
        {RegisterSql.AssetNames}
        WHERE s.last_success_at IS NOT NULL
        ORDER BY s.last_success_at, s.serialnumber
        LIMIT $1
        """;

    /// <summary>Assets with no state row (never decided), in sync order. $1 limit.</summary>
    public const string NeverSynced = $"""
        SELECT m.cmms_asset_id FROM ic3_asset_master m
        WHERE {RegisterSql.Linked}
          AND NOT EXISTS (SELECT 1 FROM cmms_asset_sync_state s WHERE s.serialnumber = m.cmms_asset_id)
        ORDER BY m.report_seq_no NULLS LAST, m.asset_id
        LIMIT $1
        """;

    /// <summary>The latest runs ($1 how many); a row still 'running' has its counts read from its log rows (live_ok, live_bad), which are always
    /// exact.</summary>
    public const string LastRuns = $"""
        SELECT r.id, r.mode, r.status, r.started_at, r.finished_at, r.total, r.assets_synced, r.failed, r.skipped, r.duration_ms,
               r.error_message, r.host, r.os_user, lc.ok AS live_ok, lc.bad AS live_bad,
               r.unchanged, r.not_reached, r.stopped_by, r.requests, r.throttled, r.requests_per_second,
               r.volatile_answers, r.stamped_answers, r.estimated_outdated
        FROM cmms_sync_log r
        LEFT JOIN LATERAL (
            SELECT count(*) FILTER (WHERE l.status = {LogStatus.SuccessSql}) AS ok, count(*) FILTER (WHERE l.status = {LogStatus.ErrorSql})
                AS bad
            FROM ic3_sync_log l WHERE l.run_id = r.id) lc ON r.status = {RunStatusNames.RunningSql}
        WHERE r.sync_type = {RegisterSql.SyncType}
        ORDER BY r.id DESC LIMIT $1
        """;

    /// <summary>A batch run's estimate as it left the register (@estimate, jsonb), kept in its row (@run_id) for the report's chart.</summary>
    public const string RecordEstimate = "UPDATE cmms_sync_log SET estimated_outdated = @estimate WHERE id = @run_id";

    /// <summary>
    /// Current failures from the state table, with the register's names and the attempts of the deciding log row (by run).
    /// $1: true = deferred only, false = not deferred only, NULL = all.
    /// </summary>
    public const string Failures = $"""
        SELECT s.serialnumber, s.error_kind, s.http_status, l.attempts, s.error_message, s.last_attempt_at, s.last_run_id, s.failing_since,
               s.consecutive_failures, s.next_attempt_at, s.last_success_at, n.asset_code, n.asset_name, n.department,
               {RegisterSql.Deferred} AS deferred
        FROM cmms_asset_sync_state s
        {RegisterSql.AssetNames}
        LEFT JOIN LATERAL (SELECT attempts FROM ic3_sync_log l WHERE l.run_id = s.last_run_id AND l.serialnumber = s.serialnumber LIMIT 1)
            l ON true
        WHERE s.status = {LogStatus.ErrorSql}
          AND ($1::boolean IS NULL OR {RegisterSql.Deferred} = $1)
        ORDER BY s.last_attempt_at, s.serialnumber
        """;
}
