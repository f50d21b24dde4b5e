using AssetSync.Domain;
using Npgsql;
using NpgsqlTypes;
using static AssetSync.Storage.DbValues;

namespace AssetSync.Storage;

/// <summary>
/// Writes what a run decided of its assets: a changed asset's enrichment and schedules, and every outcome's log row and
/// state row through one template (<see cref="AssetStateSql.RecordOutcomes"/>), so the three never disagree.
/// </summary>
internal sealed class AssetStateStore(StoreConnections db, PlannerStatistics? statistics = null)
{
    /// <summary>The statistics this store keeps fresh as it writes; null: left to autovacuum.</summary>
    public PlannerStatistics? Statistics => statistics;

    /// <summary>Tells the statistics what a committed write added, and passes its count on.</summary>
    private async ValueTask<long> Counted(ValueTask<long> write, CancellationToken ct)
    {
        var rows = await write.ConfigureAwait(false);
        if (statistics is not null && rows > 0)
        {
            await statistics.WrittenAsync(rows, ct).ConfigureAwait(false);
        }
        return rows;
    }

    /// <summary>
    /// Writes a group of changed assets in one batch of four set-based statements and one commit (an implicit transaction):
    /// the master rows, the schedules replaced, the log rows and the state rows of every asset, or none of the group. Arrays
    /// carry the group (unnest), so the database executes four statements however large the group is. A transient error
    /// retries the whole group; its log statement writes nothing twice. Returns how many log rows were written now.
    /// </summary>
    public ValueTask<long> ApplyChangedAsync(long runId, IReadOnlyList<ChangedAsset> assets, CancellationToken ct) =>
        Counted(WriteChangedAsync(runId, assets, ct), ct);

    private ValueTask<long> WriteChangedAsync(long runId, IReadOnlyList<ChangedAsset> assets, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var batch = new NpgsqlBatch(conn);
                var serials = assets.Select(a => a.SerialNumber).ToArray();

                var master = new NpgsqlBatchCommand(AssetStateSql.EnrichMasterGroup);
                master.Parameters.Add(Array(serials, NpgsqlDbType.Text).Named("serials"));
                foreach (
                    var (column, value) in new (string, Func<AssetDetail, string?>)[]
                    {
                        ("asset_code", a => a.AssetCode),
                        ("asset_name", a => a.AssetName),
                        ("category", a => a.Category),
                        ("make", a => a.Make),
                        ("model", a => a.Model),
                        ("department", a => a.Department),
                        ("location_site", a => a.LocationSite),
                        ("location_building", a => a.LocationBuilding),
                        ("location_floor", a => a.LocationFloor),
                        ("location_room", a => a.LocationRoom),
                        ("cmms_status", a => a.Status),
                        ("criticality", a => a.Criticality),
                    }
                )
                {
                    master.Parameters.Add(Array(assets.Select(a => value(a.Asset)).ToArray(), NpgsqlDbType.Text).Named(column));
                }
                master.Parameters.Add(Array(assets.Select(a => a.Asset.InstallDate).ToArray(), NpgsqlDbType.Date).Named("install_date"));
                master.Parameters.Add(Array(assets.Select(a => a.Asset.WarrantyExpiry).ToArray(), NpgsqlDbType.Date).Named("warranty_expiry"));
                master.Parameters.Add(
                    Array(assets.Select(a => a.Asset.LastModified?.ToUniversalTime()).ToArray(), NpgsqlDbType.TimestampTz).Named("cmms_last_modified")
                );
                master.Parameters.Add(Array(assets.Select(a => a.Asset.RawPayload).ToArray(), NpgsqlDbType.Jsonb).Named("cmms_payload"));
                batch.BatchCommands.Add(master);

                var delete = new NpgsqlBatchCommand(AssetStateSql.DeleteSchedulesGroup);
                delete.Parameters.Add(Array(serials, NpgsqlDbType.Text));
                batch.BatchCommands.Add(delete);

                var schedules = assets.SelectMany(a => a.Asset.PmSchedules.Select(p => (a.SerialNumber, Schedule: p))).ToList();
                if (schedules.Count > 0)
                {
                    var insert = new NpgsqlBatchCommand(AssetStateSql.InsertSchedulesGroup);
                    insert.Parameters.Add(Array(schedules.Select(s => s.SerialNumber).ToArray(), NpgsqlDbType.Text));
                    insert.Parameters.Add(Array(schedules.Select(s => s.Schedule.ScheduleId).ToArray(), NpgsqlDbType.Text));
                    insert.Parameters.Add(Array(schedules.Select(s => s.Schedule.Task).ToArray(), NpgsqlDbType.Text));
                    insert.Parameters.Add(Array(schedules.Select(s => s.Schedule.FrequencyDays).ToArray(), NpgsqlDbType.Integer));
                    insert.Parameters.Add(Array(schedules.Select(s => s.Schedule.NextDue).ToArray(), NpgsqlDbType.Date));
                    batch.BatchCommands.Add(insert);
                }

                var record = new NpgsqlBatchCommand(AssetStateSql.RecordOutcomes);
                AddOutcomes(record.Parameters, runId, assets.Select(a => a.Row).ToList());
                batch.BatchCommands.Add(record);

                // The log-and-state statement comes last: its count is the batch's scalar.
                return Convert.ToInt64(
                    await batch.ExecuteScalarAsync(token).ConfigureAwait(false),
                    System.Globalization.CultureInfo.InvariantCulture
                );
            },
            ct
        );

    /// <summary>Writes <paramref name="outcomes"/>' log and state rows in one statement; returns how many were written now.</summary>
    public ValueTask<long> RecordAsync(long runId, IReadOnlyList<OutcomeRow> outcomes, CancellationToken ct) =>
        Counted(WriteOutcomesAsync(runId, outcomes, ct), ct);

    private ValueTask<long> WriteOutcomesAsync(long runId, IReadOnlyList<OutcomeRow> outcomes, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(AssetStateSql.RecordOutcomes, conn);
                AddOutcomes(cmd.Parameters, runId, outcomes);
                return Convert.ToInt64(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            },
            ct
        );

    /// <summary>The parameters of <see cref="AssetStateSql.RecordOutcomes"/>, the deferral rule's among them; named, so no order is shared.</summary>
    private static void AddOutcomes(NpgsqlParameterCollection parameters, long runId, IReadOnlyList<OutcomeRow> outcomes)
    {
        parameters.Add(Array(outcomes.Select(o => o.SerialNumber).ToArray(), NpgsqlDbType.Text).Named("serials"));
        parameters.Add(Array(outcomes.Select(o => LogStatus.Of(o.ErrorKind is not null)).ToArray(), NpgsqlDbType.Text).Named("statuses"));
        parameters.Add(Array(outcomes.Select(o => o.Attempts).ToArray(), NpgsqlDbType.Integer).Named("attempts"));
        parameters.Add(Array(outcomes.Select(o => o.HttpStatus).ToArray(), NpgsqlDbType.Integer).Named("http_statuses"));
        parameters.Add(Array(outcomes.Select(o => Milliseconds(o.DurationMs)).ToArray(), NpgsqlDbType.Integer).Named("durations_ms"));
        parameters.Add(Array(outcomes.Select(o => o.ErrorKind?.ToContractName()).ToArray(), NpgsqlDbType.Text).Named("error_kinds"));
        parameters.Add(Array(outcomes.Select(o => o.ErrorMessage).ToArray(), NpgsqlDbType.Text).Named("error_messages"));
        parameters.Add(Array(outcomes.Select(o => o.Validators.ETag).ToArray(), NpgsqlDbType.Text).Named("etags"));
        parameters.Add(Array(outcomes.Select(o => o.Validators.LastModified).ToArray(), NpgsqlDbType.Text).Named("last_modifieds"));
        parameters.Add(Array(outcomes.Select(o => o.Validators.PayloadSha256).ToArray(), NpgsqlDbType.Bytea).Named("sha256s"));
        parameters.Add(Array(outcomes.Select(o => o.Validators.ContentSha256).ToArray(), NpgsqlDbType.Bytea).Named("content_sha256s"));
        parameters.Add(Array(outcomes.Select(o => o.Unchanged).ToArray(), NpgsqlDbType.Boolean).Named("unchanged"));
        parameters.Add(Array(outcomes.Select(o => o.ChangedAt?.ToUniversalTime()).ToArray(), NpgsqlDbType.TimestampTz).Named("changed_ats"));
        parameters.Add(Long(runId).Named("run_id"));
        parameters.Add(Array(DeferralSql.Kinds, NpgsqlDbType.Text).Named("deferring_kinds"));
        parameters.Add(Int(DeferralSchedule.MaxDays).Named("max_deferral_days"));
    }
}
