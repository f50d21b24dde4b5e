using AssetSync.Domain;
using AssetSync.Freshness;
using Npgsql;
using NpgsqlTypes;
using static AssetSync.Storage.DbValues;

namespace AssetSync.Storage;

/// <summary>Chooses a run's assets (a compact snapshot) and reads what the run needs of them a chunk at a time.</summary>
internal sealed class SelectionStore(StoreConnections db)
{
    /// <summary>
    /// The selection as one snapshot, in run order, each asset once, held compactly (<see cref="SelectionSnapshot"/>). One
    /// query: the order (stalest first) changes as the run proceeds, so paging through it would see assets twice. In serials
    /// mode, serial numbers not in the register are reported to <paramref name="skipped"/> and left out. A batch by change rate
    /// ranks with <paramref name="model"/>; without one (a cold start) it takes the stalest first.
    /// </summary>
    public ValueTask<SelectionSnapshot> SelectAsync(
        AssetSelection selection,
        ChangeRateModel? model,
        Action<string>? skipped,
        CancellationToken ct
    ) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var snapshot = new SelectionSnapshot();
                if (selection.Mode == SelectionMode.Serials)
                {
                    var serials = selection.SerialNumbers!;
                    var known = await KnownSerialsAsync(conn, serials, token).ConfigureAwait(false);
                    foreach (var serial in serials)
                    {
                        if (known.Contains(serial))
                        {
                            snapshot.Add(serial);
                        }
                        else
                        {
                            skipped?.Invoke(serial);
                        }
                    }
                    return snapshot;
                }

                var reportOrder = selection.Mode == SelectionMode.Batch && selection.ReportOrder;
                // Cold start (no model: nothing observed yet): ChangeRate orders exactly as Stalest.
                var byChangeRate =
                    selection.Mode == SelectionMode.Batch && !reportOrder && selection.Order == SyncOrder.ChangeRate && model is not null;
                var sql =
                    selection.Mode == SelectionMode.RetryFailed ? SelectionSql.Failed
                    : reportOrder ? SelectionSql.ReportOrder
                    : byChangeRate ? SelectionSql.ByChangeRate
                    : SelectionSql.Stalest;
                await using var select = new NpgsqlCommand(sql, conn);
                select.Parameters.Add(Int(selection.BatchSize > 0 ? selection.BatchSize : null).Named("limit"));
                select.Parameters.Add(Timestamp(selection.NotSyncedSince).Named("not_synced_since"));
                select.Parameters.Add(Bool(selection.IncludeDeferred).Named("include_deferred"));
                if (reportOrder)
                {
                    select.Parameters.Add(Int(selection.Offset).Named("offset"));
                }
                if (byChangeRate)
                {
                    select.Parameters.Add(Interval(selection.MaxSyncAge).Named("max_sync_age"));
                    select.Parameters.Add(Double(SyncDefaults.AuditShare).Named("audit_share"));
                    var cadence = await RunCadenceAsync(conn, token).ConfigureAwait(false);
                    ChangeModelStore.AddPosteriorParameters(select.Parameters, "index_table", model!.IndexTableFor(cadence));
                    // A new draw of audits each run: over nights every asset is audited, none by a rule the model could follow.
                    select.Parameters.Add(
                        Text(Random.Shared.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)).Named("audit_seed")
                    );
                    var weights = selection.CriticalityWeight.ToArray();
                    select.Parameters.Add(Array(weights.Select(w => w.Key).ToArray(), NpgsqlDbType.Text).Named("criticality_names"));
                    select.Parameters.Add(Array(weights.Select(w => w.Value).ToArray(), NpgsqlDbType.Double).Named("criticality_weights"));
                }
                // The query returns each asset once (grouped in SQL): nothing here grows with the register but the snapshot.
                await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    snapshot.Add(reader.GetString(0));
                }
                return snapshot;
            },
            ct
        );

    /// <summary>The median interval (seconds) between the register's recent batch runs (<see cref="FreshnessSql.RunCadence"/>);
    /// 0 when unknown.</summary>
    internal static async Task<double> RunCadenceAsync(NpgsqlConnection conn, CancellationToken token)
    {
        await using var cmd = new NpgsqlCommand(FreshnessSql.RunCadence, conn);
        return await cmd.ExecuteScalarAsync(token).ConfigureAwait(false) is double seconds ? seconds : 0;
    }

    /// <summary>
    /// The selected assets <paramref name="serials"/> (a chunk of the snapshot), in that order, each with its stored validators
    /// and how its last attempt failed, if it did.
    /// </summary>
    public ValueTask<List<SelectedAsset>> GetSelectedAsync(IReadOnlyList<string> serials, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var stored = new Dictionary<string, SelectedAsset>(serials.Count, StringComparer.Ordinal);
                await using (var cmd = new NpgsqlCommand(SelectionSql.Validators, conn))
                {
                    cmd.Parameters.Add(Array(serials.ToArray(), NpgsqlDbType.Text));
                    await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var asset = new SelectedAsset(
                            reader.Text("serialnumber")!,
                            reader.Text("etag"),
                            reader.Text("last_modified"),
                            reader.Bytes("payload_sha256")
                        )
                        {
                            LastErrorKind = SyncErrorKinds.TryParse(reader.Text("last_error_kind"), out var kind) ? kind : null,
                            ContentSha256 = reader.Bytes("content_sha256"),
                        };
                        stored[asset.SerialNumber] = asset;
                    }
                }
                var list = new List<SelectedAsset>(serials.Count);
                foreach (var serial in serials)
                {
                    list.Add(stored.GetValueOrDefault(serial) ?? new SelectedAsset(serial));
                }
                return list;
            },
            ct
        );

    /// <summary>The serial number of the latest successful sync that is still in the register, if any.</summary>
    public ValueTask<string?> GetLastSucceededSerialAsync(CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(SelectionSql.LastSucceededSerial, conn);
                return await cmd.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
            },
            ct
        );

    private static async Task<HashSet<string>> KnownSerialsAsync(NpgsqlConnection conn, IReadOnlyList<string> serials, CancellationToken token)
    {
        await using var cmd = new NpgsqlCommand(SelectionSql.KnownSerials, conn);
        cmd.Parameters.Add(Array(serials.ToArray(), NpgsqlDbType.Text));
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            known.Add(reader.GetString(0));
        }
        return known;
    }
}
