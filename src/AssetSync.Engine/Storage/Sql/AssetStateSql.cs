namespace AssetSync.Storage;

/// <summary>
/// Statements that write what a run decided of its assets: the register's enrichment and PM schedules, and one template
/// for every outcome's log row and state row. Groups travel as arrays (unnest): a statement per group, not per asset.
/// </summary>
internal static class AssetStateSql
{
    /// <summary>
    /// A group of changed assets' enrichment in one statement: @serials, and one array per enrichment column named for it
    /// (@asset_code … @cmms_payload), one element per asset. Both register rows of a doubled cmms_asset_id are enriched.
    /// </summary>
    public const string EnrichMasterGroup = """
        UPDATE ic3_asset_master m SET
            asset_code = v.asset_code, asset_name = v.asset_name, category = v.category, make = v.make, model = v.model,
            department = v.department, location_site = v.location_site, location_building = v.location_building,
            location_floor = v.location_floor, location_room = v.location_room, cmms_status = v.cmms_status,
            criticality = v.criticality, install_date = v.install_date, warranty_expiry = v.warranty_expiry,
            cmms_last_modified = v.cmms_last_modified, cmms_payload = v.cmms_payload, cmms_synced_at = now()
        FROM unnest(@serials::text[], @asset_code::text[], @asset_name::text[], @category::text[], @make::text[], @model::text[],
                    @department::text[], @location_site::text[], @location_building::text[], @location_floor::text[], @location_room::text[],
                    @cmms_status::text[], @criticality::text[], @install_date::date[], @warranty_expiry::date[],
                    @cmms_last_modified::timestamptz[], @cmms_payload::jsonb[])
            AS v(serial, asset_code, asset_name, category, make, model, department, location_site, location_building,
                 location_floor, location_room, cmms_status, criticality, install_date, warranty_expiry, cmms_last_modified, cmms_payload)
        WHERE m.cmms_asset_id = v.serial
        """;

    /// <summary>A group's PM schedules replaced: every schedule of the serials in $1 goes.</summary>
    public const string DeleteSchedulesGroup = "DELETE FROM ic3_asset_pm_schedule WHERE cmms_asset_id = ANY($1::text[])";

    /// <summary>A group's PM schedules, flattened: one element per schedule, $1 the serial each belongs to.</summary>
    public const string InsertSchedulesGroup = """
        INSERT INTO ic3_asset_pm_schedule (cmms_asset_id, schedule_id, task, frequency_days, next_due, synced_at)
        SELECT s.serial, s.schedule_id, s.task, s.frequency_days, s.next_due, now()
        FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::date[]) AS s(serial, schedule_id, task, frequency_days, next_due)
        """;

    /// <summary>Failures in a row before this one, for state row <c>s</c> (0 when its last outcome was a success).</summary>
    private const string PriorFailures = $"CASE WHEN s.status = {LogStatus.ErrorSql} THEN s.consecutive_failures ELSE 0 END";

    /// <summary>
    /// The one template for every outcome: a group of assets, each with its log row and its state row, in one statement.
    /// Named parameters (arrays, one element per asset): @serials, @statuses (success, error), @attempts, @http_statuses,
    /// @durations_ms, @error_kinds, @error_messages, @etags, @last_modifieds, @sha256s, @content_sha256s, @unchanged, @changed_ats (Innomaint's
    /// last_modified of a changed body); and @run_id, the
    /// @deferring_kinds and @max_deferral_days (the deferral cap). A success resets the failure columns and stores the validators (a changed asset's
    /// last_changed_at moves to now); a failure keeps the validators and the last success, counts the failures in a row
    /// and defers its asset by the one rule (<see cref="DeferralSql"/>). A success also adds what it observed of the asset's
    /// changes (<see cref="FreshnessSql.Observed"/>), and starts the recent history again at a change point (<see
    /// cref="FreshnessSql.ChangePoints"/>). Returns how many were written now (a replayed
    /// group writes none twice).
    /// </summary>
    public static string RecordOutcomes { get; } =
        $"""
            WITH v AS (
                SELECT u.*, count(u.changed_at) OVER (PARTITION BY u.changed_at) AS sharing FROM unnest(@serials::text[], @statuses::text[],
                    @attempts::integer[], @http_statuses::integer[], @durations_ms::integer[], @error_kinds::text[], @error_messages::text[],
                                     @etags::text[], @last_modifieds::text[], @sha256s::bytea[], @content_sha256s::bytea[],
                                         @unchanged::boolean[], @changed_ats::timestamptz[])
                    AS u(serial, status, attempts, http_status, duration_ms, error_kind, error_message, etag, last_modified, sha, content_sha,
                        unchanged, changed_at)),
            {FreshnessSql.Observed},
            {FreshnessSql.ChangePoints},
            log AS (
                INSERT INTO ic3_sync_log (serialnumber, sync_type, status, error_message, synced_at, run_id, attempts, http_status, error_kind,
                    duration_ms, unchanged)
                SELECT v.serial, {RegisterSql.SyncType}, v.status, v.error_message, now(), @run_id, v.attempts, v.http_status, v.error_kind,
                    v.duration_ms, v.unchanged FROM v
                WHERE NOT EXISTS (SELECT 1 FROM ic3_sync_log l WHERE l.run_id = @run_id AND l.serialnumber = v.serial)
                RETURNING serialnumber),
            upd AS (
                UPDATE cmms_asset_sync_state s SET
                    status = v.status,
                    consecutive_failures = CASE WHEN v.status = {LogStatus.SuccessSql} THEN 0 ELSE {PriorFailures} + 1 END,
                    failing_since = CASE WHEN v.status = {LogStatus.SuccessSql} THEN NULL WHEN s.status = {LogStatus.ErrorSql} THEN
                        COALESCE(s.failing_since, now()) ELSE now() END,
                    next_attempt_at =
                        {DeferralSql.NextAttempt("v.error_kind", PriorFailures, "now()", "@deferring_kinds::text[]", "@max_deferral_days::integer")},
                    error_kind = v.error_kind, http_status = CASE WHEN v.status = {LogStatus.ErrorSql} THEN v.http_status END, error_message =
                        v.error_message,
                    etag = CASE WHEN v.status = {LogStatus.SuccessSql} THEN v.etag ELSE s.etag END,
                    last_modified = CASE WHEN v.status = {LogStatus.SuccessSql} THEN v.last_modified ELSE s.last_modified END,
                    payload_sha256 = CASE WHEN v.status = {LogStatus.SuccessSql} THEN v.sha ELSE s.payload_sha256 END,
                    content_sha256 = CASE WHEN v.status = {LogStatus.SuccessSql} THEN v.content_sha ELSE s.content_sha256 END,
                    last_changed_at = CASE WHEN v.status = {LogStatus.SuccessSql} AND NOT v.unchanged THEN now() ELSE s.last_changed_at END,
                    last_success_at = CASE WHEN v.status = {LogStatus.SuccessSql} THEN now() ELSE s.last_success_at END,
                    last_attempt_at = now(), last_run_id = @run_id,
                    change_count = s.change_count + o.dk, change_exposure = s.change_exposure + o.dt, change_observations =
                        s.change_observations + o.dn,
                    recent_changes = CASE WHEN o.dn = 0 THEN s.recent_changes WHEN cp.serial IS NOT NULL THEN cp.restart_k
                        ELSE {FreshnessSql.Memory} * o.recent_k + o.dk END,
                    recent_exposure = CASE WHEN o.dn = 0 THEN s.recent_exposure WHEN cp.serial IS NOT NULL THEN cp.restart_t
                        ELSE {FreshnessSql.Memory} * o.recent_t + o.dt END
                FROM v JOIN observed o ON o.serial = v.serial LEFT JOIN change_points cp ON cp.serial = o.serial
                WHERE s.serialnumber = v.serial AND v.serial IN (SELECT serialnumber FROM log)
                RETURNING s.serialnumber),
            ins AS (
                INSERT INTO cmms_asset_sync_state (serialnumber, status, consecutive_failures, error_kind, http_status, error_message,
                    failing_since, next_attempt_at, etag, last_modified, payload_sha256, content_sha256, last_changed_at, last_attempt_at,
                        last_success_at, last_run_id,
                    change_count, change_exposure, change_observations, recent_changes, recent_exposure)
                SELECT v.serial, v.status, CASE WHEN v.status = {LogStatus.SuccessSql} THEN 0 ELSE 1 END, v.error_kind,
                       CASE WHEN v.status = {LogStatus.ErrorSql} THEN v.http_status END, v.error_message,
                       CASE WHEN v.status = {LogStatus.ErrorSql} THEN now() END,
                       {DeferralSql.NextAttempt("v.error_kind", "0", "now()", "@deferring_kinds::text[]", "@max_deferral_days::integer")},
                       v.etag, v.last_modified, v.sha, v.content_sha,
                       CASE WHEN v.status = {LogStatus.SuccessSql} AND NOT v.unchanged THEN now() END, now(),
                       CASE WHEN v.status = {LogStatus.SuccessSql} THEN now() END, @run_id,
                       o.dk, o.dt, o.dn, CASE WHEN o.dn = 1 THEN o.dk END, CASE WHEN o.dn = 1 THEN o.dt END
                FROM v JOIN observed o ON o.serial = v.serial
                WHERE v.serial IN (SELECT serialnumber FROM log) AND v.serial NOT IN (SELECT serialnumber FROM upd)
                RETURNING 1)
            SELECT count(*) FROM log
            """;
}
