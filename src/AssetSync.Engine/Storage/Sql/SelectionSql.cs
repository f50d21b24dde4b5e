namespace AssetSync.Storage;

/// <summary>Statements that choose a run's assets and read what a run needs of them.</summary>
internal static class SelectionSql
{
    /// <summary>The selections' filters on state row <c>s</c>: $2 not synced since (NULL: any), $3 include deferred.</summary>
    private const string Filters = """
        ($2::timestamptz IS NULL OR s.last_success_at IS NULL OR s.last_success_at < $2)
          AND ($3 OR s.next_attempt_at IS NULL OR s.next_attempt_at <= now())
        """;

    /// <summary>The register's assets, each once (<see cref="RegisterSql.CurrentState"/>), filtered. Selections read serials only.</summary>
    private const string Register = $"""
        WITH {RegisterSql.CurrentState}
        SELECT cmms_asset_id, report_seq_no, asset_id, last_success_at, status
        FROM register s WHERE {Filters}
        """;

    private const string StalestOrder = "last_success_at NULLS FIRST, report_seq_no NULLS LAST, asset_id";

    /// <summary>
    /// Batch, stalest first: never-synced assets (no success yet) in report_seq_no order, then the oldest last success.
    /// Assets whose last attempt failed keep their place by freshness, but take at most one place in ten ahead of the
    /// others: the k-th of them goes no earlier than after 9k of the others, so a subset that fails every night
    /// never holds up the healthy assets behind it. $1 limit (NULL: all), $2 not synced since (NULL: any), $3 include deferred.
    /// </summary>
    public const string Stalest = $"""
        SELECT cmms_asset_id FROM (
            SELECT cmms_asset_id,
                   row_number() OVER (ORDER BY {StalestOrder}) AS overall,
                   row_number() OVER (PARTITION BY status IS NOT DISTINCT FROM 'error' ORDER BY {StalestOrder}) AS within,
                   status IS NOT DISTINCT FROM 'error' AS failing
            FROM ({Register}) f
        ) r
        ORDER BY CASE WHEN failing THEN GREATEST(overall - within, 9 * within) + 0.5 ELSE within END, overall
        LIMIT $1
        """;

    /// <summary>Batch in the seed's order, report_seq_no (nulls last) then asset_id, from offset $4; otherwise as <see cref="Stalest"/>.</summary>
    public const string ReportOrder = $"""
        SELECT cmms_asset_id FROM ({Register}) f
        ORDER BY report_seq_no NULLS LAST, asset_id
        LIMIT $1 OFFSET $4
        """;

    /// <summary>Assets whose current state is error and that are still in the register, in serial order. Parameters as <see cref="Stalest"/>.</summary>
    public const string Failed = $"""
        SELECT s.serialnumber
        FROM cmms_asset_sync_state s
        WHERE s.status = 'error'
          AND EXISTS (SELECT 1 FROM ic3_asset_master m WHERE m.cmms_asset_id = s.serialnumber)
          AND {Filters}
        ORDER BY s.serialnumber
        LIMIT $1
        """;

    /// <summary>What a run needs of named assets ($1) besides their serial numbers: stored validators, and how the last attempt failed.</summary>
    public const string Validators = """
        SELECT serialnumber, etag, last_modified, payload_sha256, CASE WHEN status = 'error' THEN error_kind END AS last_error_kind
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
