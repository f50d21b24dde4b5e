using AssetSync.Freshness;

namespace AssetSync.Storage;

/// <summary>
/// The change model in SQL: what a success observed (in <see cref="AssetStateSql.RecordOutcomes"/>), the register's
/// observations grouped for the prior, the fitted model's row, and the lookups of each asset's posterior (its refresh value
/// and its chance of a change) and rate. The tables are built in C# (<see cref="Freshness.PosteriorTable"/>); a test holds
/// the lookups equal.
/// </summary>
internal static class FreshnessSql
{
    /// <summary>
    /// The share of an asset's earlier observations each new one keeps (<see cref="SyncDefaults.ChangeMemory"/>): its recent
    /// changes and exposure are discounted by it, so a rate that drifts is followed within a few visits.
    /// </summary>
    public static string Memory { get; } = SyncDefaults.ChangeMemory.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Bayes factor that makes a changed visit a change point (<see cref="SyncDefaults.ChangePointEvidence"/>), as a log.</summary>
    private static string LogChangePointEvidence { get; } =
        Math.Log(SyncDefaults.ChangePointEvidence).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The Bayes factor that makes a quiet span a change point (<see cref="SyncDefaults.QuietSpanEvidence"/>), as a log.</summary>
    private static string LogQuietSpanEvidence { get; } =
        Math.Log(SyncDefaults.QuietSpanEvidence).ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// CTE <c>change_points</c>, after <see cref="Observed"/>: the serials whose success this group observed is a change point,
    /// with the recent history each starts again from (<c>restart_k</c> changes over <c>restart_t</c> seconds). With the model
    /// of the last batch run (<c>cmms_change_model</c>: rates λ and weights w) and M(k, T) = Σ w·λ^k·e^(−λT), an observation of
    /// j changes over x seconds that follows a history (k, B) has density M(k+j, B+x) / M(k, B) under that history and
    /// M(j, x) under the register's prior; their ratio is the Bayes factor for a fresh start. Two observations are tested:
    /// <list type="bullet">
    /// <item>A change, dt after the visit before it, against the asset's recent (k, T) (j = 1, x = dt, B = T), at
    /// <see cref="SyncDefaults.ChangePointEvidence"/>: a quiet asset turned busy. It restarts from (1, dt).</item>
    /// <item>The quiet span since the visit that last saw a change (its <c>last_changed_at</c>), u seconds, against the recent
    /// history before that span (j = 0, x = u, B = T − (u − dt), k as it stands: the span's visits discounted k and the history
    /// before them, so the pair holds less evidence than the history had, at about its rate; B, short by the discount on the
    /// span's own exposure, reads the rate a little high), at <see cref="SyncDefaults.QuietSpanEvidence"/>: a busy asset
    /// turned quiet. It restarts from (0, u). Only a span at least the history's mean gap between changes (k·u ≥ B) is
    /// weighed: a shorter one weighs at most e^(E[λ]·u), under 300 unless the prior drew the posterior's mean rate to six times
    /// the history's own, and the sums cost about 50 µs of the database's CPU per visit (an unchanged visit is the common
    /// one).</item>
    /// </list>
    /// Each sum is taken as a log-sum-exp over the grid (λ^k underflows a double for busy assets; PostgreSQL's exp() raises an
    /// error on underflow, so no term goes under e^−700). No model yet, no recent history or a first success: never a change point.
    /// </summary>
    public static string ChangePoints { get; } =
        $"""
            change_points AS (
                SELECT o.serial, t.j AS restart_k, t.x AS restart_t
                FROM observed o
                CROSS JOIN cmms_change_model cm
                CROSS JOIN LATERAL (
                    SELECT 1 AS j, o.dt AS x, o.recent_t AS b, {LogChangePointEvidence}::double precision AS log_evidence
                    WHERE o.dk = 1 AND o.recent_t > 0
                    UNION ALL
                    SELECT 0, o.quiet, q.b, {LogQuietSpanEvidence}::double precision
                    FROM (SELECT o.recent_t - (o.quiet - o.dt) AS b) q
                    WHERE o.dk = 0 AND o.recent_k > 0 AND o.quiet >= o.dt AND q.b > 0 AND o.recent_k * o.quiet >= q.b) t
                CROSS JOIN LATERAL (
                    SELECT {LogSumExp("p")} - {LogSumExp("n")} + {LogSumExp("d")} AS log_factor
                    FROM (SELECT y.p, y.n, y.d, max(y.p) OVER () AS p_max, max(y.n) OVER () AS n_max, max(y.d) OVER () AS d_max
                          FROM (SELECT ln(g.w) + t.j * ln(g.r) - g.r * t.x AS p,
                                       ln(g.w) + (o.recent_k + t.j) * ln(g.r) - g.r * (t.b + t.x) AS n,
                                       ln(g.w) + o.recent_k * ln(g.r) - g.r * t.b AS d
                                FROM unnest(cm.rates, cm.weights) AS g(r, w) WHERE g.w > 0 AND g.r > 0) y) x) b
                WHERE cm.id = 1 AND o.dn = 1 AND o.seen_before AND b.log_factor > t.log_evidence
            )
            """;

    /// <summary>ln Σ e^x over the rows of column <c>x.{column}</c>, its maximum in <c>x.{column}_max</c>; no term under e^−700.</summary>
    private static string LogSumExp(string column) =>
        $"(max(x.{column}_max) + ln(sum(exp(GREATEST(x.{column} - x.{column}_max, -700::double precision)))))";

    /// <summary>State row <paramref name="s"/>'s discounted changes: its totals until schema 4's first observation of it.</summary>
    public static string RecentChanges(string s) => $"COALESCE({s}.recent_changes, {s}.change_count)";

    /// <summary>State row <paramref name="s"/>'s discounted exposure (seconds), as <see cref="RecentChanges"/>.</summary>
    public static string RecentExposure(string s) => $"COALESCE({s}.recent_exposure, {s}.change_exposure)";

    /// <summary>
    /// The posterior mean rate, from the rate table (<see cref="Freshness.ChangeRateModel.RateTable"/>): @rate_table,
    /// @table_changes, @table_buckets, @table_log_min, @table_log_step and @prior_rate. For the report's distribution only:
    /// the order and the gauge use the whole posterior (<see cref="PosteriorKeys"/>).
    /// </summary>
    public static string Rate(string changes, string exposure) =>
        $"""
            (CASE WHEN COALESCE({exposure}, 0) <= 0 THEN @prior_rate::double precision
                  WHEN {changes} > @table_changes::integer THEN {changes} / {exposure}
                  ELSE (@rate_table::double precision[])[round({changes})::integer * @table_buckets::integer
                       + LEAST(GREATEST(round((ln({exposure}) - @table_log_min::double precision) / @table_log_step::double
                           precision)::integer, 0), @table_buckets::integer - 1) + 1]
             END)
            """;

    /// <summary>
    /// A lateral subquery <paramref name="alias"/> with what one row's lookup needs: its four cells (<c>c00</c>…<c>c11</c>, two
    /// exposures by two ages) and the weights between them (<c>g</c>, <c>f</c>); <paramref name="changes"/> to the nearest
    /// half, past <see cref="Freshness.PosteriorTable.MaxChanges"/> scaled down with its exposure; no exposure reads the
    /// prior's row. The table's shape comes as @{table}_shape (exposure log min, log step, age log min, log step). OFFSET 0
    /// keeps the planner from inlining it: inlined, each reference to g or f evaluated the logarithms again. Every term is double
    /// precision (date_part, not extract, for an age): numeric arithmetic from an untyped literal doubled the status's estimate
    /// on 50,000 assets (410 ms against 225 ms).
    /// </summary>
    public static string PosteriorKeys(string table, string alias, string changes, string exposure, string ageSeconds) =>
        $"""
            CROSS JOIN LATERAL (
                SELECT q.r0 * {PosteriorTable.AgeBuckets} + q.alo AS c00, q.r0 * {PosteriorTable.AgeBuckets} + q.ahi AS c01,
                       q.r1 * {PosteriorTable.AgeBuckets} + q.alo AS c10, q.r1 * {PosteriorTable.AgeBuckets} + q.ahi AS c11, q.g, q.f
                FROM (SELECT p.r0 + floor(p.v)::integer AS r0, p.r0 + LEAST(floor(p.v)::integer + 1, p.last) AS r1, p.v - floor(p.v) AS g,
                             floor(p.u)::integer AS alo, LEAST(floor(p.u)::integer + 1, {PosteriorTable.AgeBuckets - 1}) AS ahi, p.u -
                                 floor(p.u) AS f
                      FROM (SELECT CASE WHEN COALESCE({exposure}, 0) <= 0 THEN {PosteriorTable.PriorRow}
                                        ELSE round(LEAST(GREATEST({changes}, 0), {PosteriorTable.MaxChanges}) * 2)::integer *
                                            {PosteriorTable.ExposureBuckets} END AS r0,
                                   CASE WHEN COALESCE({exposure}, 0) <= 0 THEN 0 ELSE {PosteriorTable.ExposureBuckets - 1} END AS last,
                                   CASE WHEN COALESCE({exposure}, 0) <= 0 THEN 0
                                        ELSE LEAST(GREATEST((ln({exposure} * LEAST(1, {PosteriorTable.MaxChanges} / GREATEST({changes}::double
                                            precision, 1e-9::double precision))) - (@{table}_shape::double precision[])[1])
                                            / (@{table}_shape::double precision[])[2], 0), {PosteriorTable.ExposureBuckets - 1}) END AS v,
                                   LEAST(GREATEST((ln(GREATEST({ageSeconds}, 1e-300::double precision)) - (@{table}_shape::double
                                       precision[])[3]) / (@{table}_shape::double precision[])[4], 0),
                                         {PosteriorTable.AgeBuckets - 1}) AS u) p) q
                OFFSET 0) {alias}
            """;

    /// <summary>
    /// The value @<paramref name="table"/> holds for keys <paramref name="keys"/> (an alias with <see cref="PosteriorKeys"/>'
    /// columns), interpolated between two exposures and two ages: four subscripts of the array parameter (SQL arrays count
    /// from 1). Subscripts, not a join to the table unnested: a join's plan depends on estimates a prepared statement's
    /// generic plan gets wrong (a nested loop over the table for every asset), and a subscript costs the same every time.
    /// The C# twin is <see cref="Freshness.PosteriorTable.Lookup"/>, and a test holds them equal.
    /// </summary>
    public static string PosteriorValue(string table, string keys) =>
        $"((@{table}::double precision[])[{keys}.c00 + 1] * (1 - {keys}.g) * (1 - {keys}.f) + (@{table}::double precision[])[{keys}.c01 + 1] * (1 "
        + $"- {keys}.g) * {keys}.f"
        + $" + (@{table}::double precision[])[{keys}.c10 + 1] * {keys}.g * (1 - {keys}.f) + (@{table}::double precision[])[{keys}.c11 + 1] * "
        + $"{keys}.g * {keys}.f)";

    /// <summary>
    /// The register's observations in groups of equal change count and about equal exposure (an eighth of e apart), for the
    /// prior: a few hundred rows however large the register. The prior is the distribution of rates, so it is fitted to each
    /// asset's whole history (a Poisson count over its exposure), not the discounted recent one the order reads.
    /// </summary>
    public const string ExposureGroups = """
        SELECT change_count, avg(change_exposure) AS exposure, count(*) AS assets
        FROM cmms_asset_sync_state
        WHERE change_observations > 0 AND change_exposure > 0
        GROUP BY change_count, round(ln(change_exposure) * 8)
        """;

    /// <summary>The fitted model, one row (<c>cmms_change_model</c>).</summary>
    public const string SaveModel = """
        INSERT INTO cmms_change_model (id, rates, weights, min_exposure, max_exposure, observed_assets, fitted_at)
        VALUES (1, @rates, @weights, @min_exposure, @max_exposure, @observed_assets, now())
        ON CONFLICT (id) DO UPDATE SET rates = EXCLUDED.rates, weights = EXCLUDED.weights, min_exposure = EXCLUDED.min_exposure,
            max_exposure = EXCLUDED.max_exposure, observed_assets = EXCLUDED.observed_assets, fitted_at = EXCLUDED.fitted_at
        """;

    /// <summary>
    /// The register's run cadence: the median interval (seconds) between the starts of its last eight batch runs (the run
    /// selecting has no row yet: its selection comes first); null with fewer than two. The index values a refresh against waiting one interval
    /// (<see cref="Freshness.RefreshValue.Index(double, double, double)"/>): the user's schedule, read, not assumed. The median,
    /// so a run started by hand between two nightly ones does not move it.
    /// </summary>
    public static string RunCadence { get; } =
        $"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap) AS cadence
            FROM (SELECT date_part('epoch', r.started_at - lag(r.started_at) OVER (ORDER BY r.id)) AS gap
                  FROM (SELECT id, started_at FROM cmms_sync_log
                        WHERE sync_type = {RegisterSql.SyncType} AND mode = '{SelectionMode.Batch.Name}'
                        ORDER BY id DESC LIMIT 8) r) g
            WHERE g.gap > 0
            """;

    /// <summary>The model the latest batch run fitted, if any.</summary>
    public const string ReadModel = "SELECT rates, weights, min_exposure, max_exposure, observed_assets FROM cmms_change_model WHERE id = 1";

    /// <summary>
    /// Assets of one write group whose first success carries the very same last_modified (to the millisecond) for it to be a
    /// migration's or a bulk import's stamp, not each asset's last change: none of them is observed (issue 35). Chance never
    /// puts three assets' own changes on one millisecond; an import stamps thousands.
    /// </summary>
    public const int ImportStampAssets = 3;

    /// <summary>
    /// CTE <c>observed</c>: what each success of group <c>v</c> observed of its asset's changes, against its state row (read in the
    /// same statement): <c>dk</c> changes and <c>dt</c> seconds of exposure to add, <c>dn</c> 1 when it was an observation at all;
    /// and what the state row held before it (<c>seen_before</c>, <c>recent_k</c>, <c>recent_t</c>, and <c>quiet</c>: seconds since the
    /// success that last saw a change), so nothing after reads it again.
    /// <list type="bullet">
    /// <item>A first success: the age of Innomaint's last change (its last_modified) is one exposure ending in a change, as the
    /// backward recurrence time of a Poisson process is; unless the group's first successes share that last_modified
    /// (<see cref="ImportStampAssets"/>: an import's stamp, not a change), then nothing.</item>
    /// <item>Unchanged since the last success (a 304, the same body): the whole interval, no change.</item>
    /// <item>Changed, last_modified inside the interval: one change, exposure from it to now (nothing is known of the time before it).</item>
    /// <item>Changed, no usable last_modified: one change, exposure the expected age of the last change given one happened in the
    /// interval, at the asset's rate so far (an EM step of the maximum-likelihood estimate for irregular intervals).</item>
    /// </list>
    /// Failures, 404s and deferrals observe nothing. Both clocks are the database's (now(), last_success_at); last_modified is
    /// Innomaint's, used only when it falls inside the interval.
    /// </summary>
    public static string Observed { get; } =
        $"""
            observed AS (
                SELECT v.serial,
                       CASE WHEN c.changed IS NULL THEN 0 WHEN c.changed THEN 1 ELSE 0 END AS dk,
                       CASE WHEN c.changed IS NULL THEN 0 ELSE 1 END AS dn,
                       CASE WHEN c.changed IS NULL THEN 0
                            WHEN s.last_success_at IS NULL THEN GREATEST(c.since_change, 0)
                            WHEN NOT c.changed THEN GREATEST(c.span, 0)
                            WHEN v.changed_at > s.last_success_at AND v.changed_at <= now() THEN c.since_change
                            WHEN c.span <= 0 THEN 0
                            WHEN b.x < 1e-6 THEN c.span / 2
                            ELSE 1 / b.rate - c.span * exp(-LEAST(b.x, 700)) / (1 - exp(-LEAST(b.x, 700)))
                       END AS dt,
                       s.last_success_at IS NOT NULL AS seen_before, {RecentChanges("s")} AS recent_k, {RecentExposure("s")} AS recent_t,
                       date_part('epoch', now() - s.last_changed_at) AS quiet
                FROM v
                LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = v.serial
                CROSS JOIN LATERAL (SELECT
                    date_part('epoch', now() - s.last_success_at) AS span,
                    date_part('epoch', now() - v.changed_at) AS since_change,
                    CASE WHEN v.status <> {LogStatus.SuccessSql} THEN NULL
                         WHEN s.last_success_at IS NULL THEN CASE WHEN v.changed_at <= now() AND v.sharing < {ImportStampAssets} THEN true END
                         WHEN v.unchanged THEN false
                         WHEN s.content_sha256 IS NOT NULL AND v.content_sha IS NOT NULL THEN s.content_sha256 <> v.content_sha
                         WHEN s.payload_sha256 IS NOT NULL AND v.sha IS NOT NULL THEN s.payload_sha256 <> v.sha
                         WHEN v.changed_at IS NOT NULL THEN v.changed_at > s.last_success_at
                    END AS changed) c
                CROSS JOIN LATERAL (SELECT (COALESCE({RecentChanges("s")}, 0) + 0.5) / (COALESCE({RecentExposure("s")}, 0) + GREATEST(c.span,
                    1e-9::double precision)) AS rate) r
                CROSS JOIN LATERAL (SELECT r.rate, r.rate * GREATEST(c.span, 0) AS x) b)
            """;
}
