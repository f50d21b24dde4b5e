namespace AssetSync.Storage;

/// <summary>
/// The change model in SQL: what a success observed (in <see cref="AssetStateSql.RecordOutcomes"/>), the register's
/// observations grouped for the prior, the fitted model's row, and each asset's rate, refresh value and change probability.
/// The formulas are <see cref="Freshness.RefreshValue"/>'s; a test holds the two equal.
/// </summary>
internal static class FreshnessSql
{
    /// <summary>
    /// The lookup parameters every rate needs (<see cref="Freshness.ChangeRateModel.RateTable"/>): @rate_table, @table_changes,
    /// @table_buckets, @table_log_min, @table_log_step and @prior_rate.
    /// </summary>
    public static string Rate(string changes, string exposure) => $"""
        (CASE WHEN COALESCE({exposure}, 0) <= 0 THEN @prior_rate::double precision
              WHEN {changes} > @table_changes::integer THEN {changes} / {exposure}
              ELSE (@rate_table::double precision[])[{changes} * @table_buckets::integer
                   + LEAST(GREATEST(round((ln({exposure}) - @table_log_min::double precision) / @table_log_step::double precision)::integer, 0), @table_buckets::integer - 1) + 1]
         END)
        """;

    /// <summary>λa, capped so exp() never underflows (PostgreSQL raises an error where C# returns 0).</summary>
    private static string Exponent(string rate, string ageSeconds) => $"LEAST({rate} * {ageSeconds}, 700)";

    /// <summary>The refresh index ψ(λ, a) (<see cref="Freshness.RefreshValue.Index"/>); 0 for an age of 0 or less.</summary>
    public static string RefreshIndex(string rate, string ageSeconds) => $"""
        (CASE WHEN {rate} <= 0 OR {ageSeconds} <= 0 THEN 0
              WHEN {rate} * {ageSeconds} < 1e-6 THEN {ageSeconds} * {rate} * {ageSeconds} / 2
              ELSE {ageSeconds} * ((1 - exp(-{Exponent(rate, ageSeconds)})) / ({rate} * {ageSeconds}) - exp(-{Exponent(rate, ageSeconds)}))
         END)
        """;

    /// <summary>The probability of a change within the age: 1 − e^(−λa) (<see cref="Freshness.RefreshValue.ChangeProbability"/>).</summary>
    public static string ChangeProbability(string rate, string ageSeconds) =>
        $"(CASE WHEN {rate} <= 0 OR {ageSeconds} <= 0 THEN 0 ELSE 1 - exp(-{Exponent(rate, ageSeconds)}) END)";

    /// <summary>
    /// The register's observations in groups of equal change count and about equal exposure (an eighth of e apart), for the
    /// prior: a few hundred rows however large the register.
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

    /// <summary>The model the latest batch run fitted, if any.</summary>
    public const string ReadModel = "SELECT rates, weights, min_exposure, max_exposure, observed_assets FROM cmms_change_model WHERE id = 1";

    /// <summary>
    /// CTE <c>observed</c>: what each success of group <c>v</c> observed of its asset's changes, against its state row (read in the
    /// same statement): <c>dk</c> changes and <c>dt</c> seconds of exposure to add, <c>dn</c> 1 when it was an observation at all.
    /// <list type="bullet">
    /// <item>A first success: the age of Innomaint's last change (its last_modified) is one exposure ending in a change, as the
    /// backward recurrence time of a Poisson process is.</item>
    /// <item>Unchanged since the last success (a 304, the same body): the whole interval, no change.</item>
    /// <item>Changed, last_modified inside the interval: one change, exposure from it to now (nothing is known of the time before it).</item>
    /// <item>Changed, no usable last_modified: one change, exposure the expected age of the last change given one happened in the
    /// interval, at the asset's rate so far (an EM step of the maximum-likelihood estimate for irregular intervals).</item>
    /// </list>
    /// Failures, 404s and deferrals observe nothing. Both clocks are the database's (now(), last_success_at); last_modified is
    /// Innomaint's, used only when it falls inside the interval.
    /// </summary>
    public const string Observed = $"""
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
                   END AS dt
            FROM v
            LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = v.serial
            CROSS JOIN LATERAL (SELECT
                extract(epoch FROM now() - s.last_success_at)::double precision AS span,
                extract(epoch FROM now() - v.changed_at)::double precision AS since_change,
                CASE WHEN v.status <> {LogStatus.SuccessSql} THEN NULL
                     WHEN s.last_success_at IS NULL THEN CASE WHEN v.changed_at <= now() THEN true END
                     WHEN v.unchanged THEN false
                     WHEN s.payload_sha256 IS NOT NULL AND v.sha IS NOT NULL THEN s.payload_sha256 <> v.sha
                     WHEN v.changed_at IS NOT NULL THEN v.changed_at > s.last_success_at
                END AS changed) c
            CROSS JOIN LATERAL (SELECT (COALESCE(s.change_count, 0) + 0.5) / (COALESCE(s.change_exposure, 0) + GREATEST(c.span, 1e-9)) AS rate) r
            CROSS JOIN LATERAL (SELECT r.rate, r.rate * GREATEST(c.span, 0) AS x) b)
        """;
}
