namespace AssetSync.Storage;

/// <summary>Statements that choose a run's assets and read what a run needs of them.</summary>
internal static class SelectionSql
{
    /// <summary>The selections' filters on state row <c>s</c>: @not_synced_since (NULL: any), @include_deferred.</summary>
    private const string Filters = """
        (@not_synced_since::timestamptz IS NULL OR s.last_success_at IS NULL OR s.last_success_at < @not_synced_since)
          AND (@include_deferred::boolean OR s.next_attempt_at IS NULL OR s.next_attempt_at <= now())
        """;

    /// <summary>The register's assets, each once (<see cref="RegisterSql.CurrentState"/>), filtered. Selections read serials only.</summary>
    private const string Register = $"""
        WITH {RegisterSql.CurrentState}
        SELECT cmms_asset_id, report_seq_no, asset_id, criticality, last_success_at, status, age, recent_changes, recent_exposure
        FROM register s WHERE {Filters}
        """;

    private const string StalestOrder = "last_success_at NULLS FIRST, report_seq_no NULLS LAST, asset_id";

    /// <summary>
    /// Known failures keep their place in <paramref name="order"/>, but take at most one place in ten ahead of the others: the
    /// k-th of them goes no earlier than after 9k of the others, so a subset that fails every night never holds up the healthy
    /// assets behind it. <paramref name="source"/> is the assets, with cmms_asset_id and status; @limit (NULL: all).
    /// </summary>
    private static string FailuresOneInTen(string source, string order) =>
        $"""
            SELECT cmms_asset_id FROM (
                SELECT cmms_asset_id,
                       row_number() OVER (ORDER BY {order}) AS overall,
                       row_number() OVER (PARTITION BY status IS NOT DISTINCT FROM {LogStatus.ErrorSql} ORDER BY {order}) AS within,
                       status IS NOT DISTINCT FROM {LogStatus.ErrorSql} AS failing
                FROM ({source}) f
            ) r
            ORDER BY CASE WHEN failing THEN GREATEST(overall - within, 9 * within) + 0.5 ELSE within END, overall
            LIMIT @limit
            """;

    /// <summary>
    /// Batch, stalest first (a round robin): never-synced assets (no success yet) in report_seq_no order, then the oldest last
    /// success; failures at most one place in ten. @limit (NULL: all), @not_synced_since, @include_deferred.
    /// </summary>
    public static string Stalest { get; } = FailuresOneInTen(Register, StalestOrder);

    /// <summary>
    /// Batch by change rate: the order that spends a budget where it buys the most freshness. Never-synced assets first (report
    /// order), then those not verified for longer than @max_sync_age (stalest first: the floor), then the rest by Cho and
    /// Garcia-Molina's refresh index averaged over each asset's posterior (<see cref="FreshnessSql.PosteriorKeys"/>, @index_table),
    /// times the weight of its criticality (Azar et al.: w·ψ; @criticality_names and @criticality_weights, 1 for any other),
    /// largest first. Among the verified assets within the floor, audits take @audit_share of the places, drawn at random
    /// with weights their ages (<see cref="AuditDraw"/>): each is placed by whichever of its two ranks comes first, value
    /// rank / (1 − share) or audit rank / share,
    /// so what a budget leaves after the first two tiers goes about (1 − share) by value and a random share, which also checks
    /// the gauge. Failures at most one place in ten, as
    /// <see cref="Stalest"/>. Parameters as <see cref="Stalest"/>.
    /// </summary>
    public static string ByChangeRate { get; } =
        FailuresOneInTen(
            $"""
            SELECT cmms_asset_id, status,
                   CASE WHEN tier < 2 THEN value_rank
                        ELSE first + LEAST((value_rank - first) / (1 - @audit_share::double precision), audit_rank /
                            NULLIF(@audit_share::double precision, 0)) END AS place
            FROM (
                SELECT cmms_asset_id, status, tier,
                       count(*) FILTER (WHERE tier < 2) OVER () AS first,
                       row_number() OVER (PARTITION BY tier < 2 ORDER BY ln(({AuditDraw}::double precision + 0.5) / 4294967296.0) /
                           GREATEST(date_part('epoch', age), 1e-9::double precision) DESC, cmms_asset_id) AS audit_rank,
                       row_number() OVER (ORDER BY tier, CASE WHEN tier = 2 THEN value END DESC NULLS LAST, {StalestOrder}) AS value_rank
                FROM (
                    SELECT r.*, CASE WHEN r.last_success_at IS NULL THEN 0 WHEN r.age > @max_sync_age::interval THEN 1 ELSE 2 END AS tier,
                           {CriticalityWeight("r.criticality")} * {FreshnessSql.PosteriorValue("index_table", "k")} AS value
                    FROM ({Register}) r
                    {FreshnessSql.PosteriorKeys("index_table", "k", "r.recent_changes", "r.recent_exposure", "date_part('epoch', r.age)")}
                ) t
            ) ranked
            """,
            "place, cmms_asset_id"
        );

    /// <summary>
    /// A uniform draw per asset and run (@audit_seed), 32 bits of an MD5: the audits' random key. Ordered by ln(u)/age, the
    /// largest first, the audits are a weighted random sample without replacement (Efraimidis and Spirakis, 2006) with
    /// weights the assets' ages: every asset may be drawn, an older one more likely, and each one's chance is known, so the
    /// sample still checks the gauge. Drawn uniformly, they cost the benchmark's register a tenth of the order's gain.
    /// </summary>
    private const string AuditDraw = "('x' || substr(md5(cmms_asset_id || @audit_seed::text), 1, 8))::bit(32)::bigint";

    /// <summary>The weight @criticality_weights gives <paramref name="criticality"/> by @criticality_names (case-insensitive); 1 for any
    /// other.</summary>
    private static string CriticalityWeight(string criticality) =>
        $"""
            COALESCE((SELECT w.weight FROM unnest(@criticality_names::text[], @criticality_weights::double precision[]) AS w(name, weight)
                      WHERE lower(w.name) = lower({criticality}) LIMIT 1), 1)
            """;

    /// <summary>Batch in the seed's order, report_seq_no (nulls last) then asset_id, from @offset; otherwise as <see cref="Stalest"/>.</summary>
    public const string ReportOrder = $"""
        SELECT cmms_asset_id FROM ({Register}) f
        ORDER BY report_seq_no NULLS LAST, asset_id
        LIMIT @limit OFFSET @offset
        """;

    /// <summary>Assets whose current state is error and that are still in the register, in serial order. Parameters as <see
    /// cref="Stalest"/>.</summary>
    public const string Failed = $"""
        SELECT s.serialnumber
        FROM cmms_asset_sync_state s
        WHERE s.status = {LogStatus.ErrorSql}
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = s.serialnumber)
          AND {Filters}
        ORDER BY s.serialnumber
        LIMIT @limit
        """;

    /// <summary>What a run needs of named assets ($1) besides their serial numbers: stored validators, and how the last attempt failed.</summary>
    public const string Validators = $"""
        SELECT serialnumber, etag, last_modified, payload_sha256, content_sha256, CASE WHEN status = {LogStatus.ErrorSql} THEN error_kind
            END AS last_error_kind
        FROM cmms_asset_sync_state WHERE serialnumber = ANY($1)
        """;

    /// <summary>An asset that synced before and is still in the register: the asset-path check asks Innomaint for it.</summary>
    public const string LastSucceededSerial = $"""
        SELECT s.serialnumber FROM cmms_asset_sync_state s
        WHERE s.last_success_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = s.serialnumber AND {RegisterSql.Linked})
        ORDER BY s.last_success_at DESC LIMIT 1
        """;

    /// <summary>Which of the serials $1 are linked assets of the register.</summary>
    public const string KnownSerials = $"SELECT DISTINCT cmms_asset_id FROM ic3_asset_master WHERE cmms_asset_id = ANY($1) AND {RegisterSql.Linked}";
}
