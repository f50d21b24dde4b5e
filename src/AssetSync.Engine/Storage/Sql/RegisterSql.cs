namespace AssetSync.Storage;

/// <summary>
/// Fragments every other statement builds on: what a linked register row is, the register's assets with their current
/// state, their names. Our own constants only; values always travel as parameters, never in the text.
/// </summary>
internal static class RegisterSql
{
    /// <summary>The sync_type of AssetSync's rows in ic3_sync_log and cmms_sync_log (the seed's value).</summary>
    public const string SyncType = "'api_sync'";

    /// <summary>
    /// A register row AssetSync can sync: its cmms_asset_id holds something besides whitespace. An empty or
    /// blank one is treated like NULL (unlinked): never requested, never counted as an asset.
    /// </summary>
    public const string Linked = "cmms_asset_id IS NOT NULL AND cmms_asset_id ~ '[^[:space:]]'";

    /// <summary>
    /// CTE <c>register</c>: each linked asset of the register once (two rows with one cmms_asset_id are one asset: the first
    /// row's report_seq_no and asset_id place it), with its current state <c>s</c> (NULL columns: never decided).
    /// </summary>
    public const string CurrentState = $"""
        register AS (
            SELECT m.cmms_asset_id, m.report_seq_no, m.asset_id, m.criticality, s.status, s.last_success_at, s.last_attempt_at, s.failing_since,
                   s.next_attempt_at, now() - s.last_success_at AS age,
                   s.change_count, s.change_exposure,
                   COALESCE(s.recent_changes, s.change_count) AS recent_changes, COALESCE(s.recent_exposure, s.change_exposure) AS recent_exposure
            FROM (SELECT cmms_asset_id, min(report_seq_no) AS report_seq_no, min(asset_id) AS asset_id, min(criticality) AS criticality
                  FROM ic3_asset_master WHERE {Linked} GROUP BY cmms_asset_id) m
            LEFT JOIN cmms_asset_sync_state s ON s.serialnumber = m.cmms_asset_id)
        """;

    /// <summary>Join giving state row <c>s</c> the register's names (<c>n</c>: asset_code, asset_name, department) from its first row.</summary>
    public const string AssetNames = """
        JOIN LATERAL (SELECT asset_code, asset_name, department FROM ic3_asset_master m
                      WHERE m.cmms_asset_id = s.serialnumber ORDER BY m.asset_id LIMIT 1) n ON true
        """;

    /// <summary>Whether state row <c>s</c> is deferred now.</summary>
    public const string Deferred = "COALESCE(s.next_attempt_at > now(), false)";
}
