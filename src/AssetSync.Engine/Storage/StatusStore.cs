using System.Runtime.CompilerServices;
using Npgsql;
using static AssetSync.Storage.DbValues;

namespace AssetSync.Storage;

/// <summary>The status summary, current failures and the report's freshness figures, read by column name.</summary>
internal sealed class StatusStore(StoreConnections db)
{
    /// <summary>
    /// The status now. The change model's estimate and the partition each scan the register, so they run at once on two
    /// connections: status takes the longer of the two, not their sum (on 50,000 assets about 0.2 s against 0.4 s).
    /// </summary>
    public async ValueTask<SyncStatus> GetStatusAsync(int lastRuns, TimeSpan staleAfter, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var estimate = ReadEstimateAsync(stop.Token).AsTask();
        try
        {
            return await db.WithConnection(
                    async (conn, token) =>
                    {
                        var runs = lastRuns > 0 ? await ReadRunsAsync(conn, lastRuns, token).ConfigureAwait(false) : [];
                        await using var cmd = new NpgsqlCommand(StatusSql.Status, conn);
                        cmd.Parameters.Add(Interval(staleAfter).Named("stale_after"));
                        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                        await reader.ReadAsync(token).ConfigureAwait(false);
                        var (all, groups) = await estimate.ConfigureAwait(false);
                        return Read(reader, all, groups, staleAfter, runs);
                    },
                    ct
                )
                .ConfigureAwait(false);
        }
        finally
        {
            // The partition failed or was cancelled: the estimate's connection goes back to the pool before the call ends.
            await stop.CancelAsync().ConfigureAwait(false);
            await ((Task)estimate).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The register's estimate and its first groups by criticality, from the model the latest batch run fitted (none: null and
    /// empty).</summary>
    private ValueTask<(OutdatedEstimate? All, List<OutdatedEstimate> Groups)> ReadEstimateAsync(CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var model = await ChangeModelStore.ReadAsync(conn, token).ConfigureAwait(false);
                if (model is null)
                {
                    return ((OutdatedEstimate?)null, new List<OutdatedEstimate>());
                }
                var groups = await ReadByCriticalityAsync(conn, model, token).ConfigureAwait(false);
                return (OutdatedEstimates.Sum(groups), groups.Take(OutdatedEstimates.Shown).Select(g => g.Estimate).ToList());
            },
            ct
        );

    /// <summary>The estimate by criticality (<see cref="StatusSql.OutdatedByCriticality"/>).</summary>
    internal static async Task<List<(OutdatedEstimate Estimate, double Variance)>> ReadByCriticalityAsync(
        NpgsqlConnection conn,
        Freshness.ChangeRateModel model,
        CancellationToken token
    )
    {
        await using var cmd = new NpgsqlCommand(StatusSql.OutdatedByCriticality, conn);
        ChangeModelStore.AddPosteriorParameters(cmd.Parameters, "unchanged_table", model.UnchangedTable);
        await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
        var list = new List<(OutdatedEstimate, double)>();
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            var variance = reader.Double("outdated_variance") ?? 0;
            list.Add(
                (OutdatedEstimate.From(reader.Text("criticality"), reader.Long("synced") ?? 0, reader.Double("outdated") ?? 0, variance), variance)
            );
        }
        return list;
    }

    private static SyncStatus Read(
        NpgsqlDataReader reader,
        OutdatedEstimate? all,
        List<OutdatedEstimate> byCriticality,
        TimeSpan staleAfter,
        List<SyncRunSummary> runs
    ) =>
        new()
        {
            TotalAssets = reader.Long("total") ?? 0,
            SyncedAssets = reader.Long("synced") ?? 0,
            FailedAssets = reader.Long("failed") ?? 0,
            NeverSynced = reader.Long("never") ?? 0,
            UnlinkedAssets = reader.Long("unlinked") ?? 0,
            DeferredAssets = reader.Long("deferred") ?? 0,
            OldestSuccessAt = reader.Timestamp("oldest_success"),
            SyncAgeMedian = reader.Interval("age_median"),
            SyncAge95 = reader.Interval("age_p95"),
            SyncAgeMax = reader.Interval("age_max"),
            SyncAgeSum = reader.Interval("age_sum"),
            StaleAssets = reader.Long("stale") ?? 0,
            StaleAfter = staleAfter,
            EstimatedOutdatedAssets = all?.Expected,
            EstimatedOutdatedAssetsLow = all?.Low,
            EstimatedOutdatedAssetsHigh = all?.High,
            EstimatedOutdatedByCriticality = byCriticality,
            LastModifiedStampedOnRead = !reader.IsDBNull(reader.GetOrdinal("stamped_on_read")) && reader.Bool("stamped_on_read"),
            LastSyncAt = reader.Timestamp("last_sync_at"),
            LastSuccessAt = reader.Timestamp("last_success_at"),
            LastRuns = runs,
        };

    /// <summary>The latest <paramref name="count"/> runs, newest first.</summary>
    private static async Task<List<SyncRunSummary>> ReadRunsAsync(NpgsqlConnection conn, int count, CancellationToken token)
    {
        bool lockHeld;
        await using (var cmd = new NpgsqlCommand(RunSql.RunLockHeld, conn))
        {
            cmd.Parameters.Add(Long(RunSql.RunLockKey));
            lockHeld = (bool)(await cmd.ExecuteScalarAsync(token).ConfigureAwait(false))!;
        }
        var runs = new List<SyncRunSummary>();
        await using (var cmd = new NpgsqlCommand(StatusSql.LastRuns, conn))
        {
            cmd.Parameters.Add(Int(count));
            await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                // A 'running' row is live only if it is the newest and someone holds the run lock.
                runs.Add(ReadRun(reader, liveIfRunning: runs.Count == 0 && lockHeld));
            }
        }
        return runs;
    }

    /// <summary>One row of <see cref="StatusSql.LastRuns"/>; a 'running' row that is not live is shown interrupted.</summary>
    private static SyncRunSummary ReadRun(NpgsqlDataReader reader, bool liveIfRunning)
    {
        var status = RunStatusNames.FromName(reader.Text("status"));
        if (status == RunStatus.Running && !liveIfRunning)
        {
            status = RunStatus.Interrupted;
        }
        // A running row's counts come from its log rows (live_ok is set only for one); the rest from the row.
        var live = reader.Long("live_ok") is not null;
        var succeeded = live ? (int)reader.Long("live_ok")!.Value : reader.Int("assets_synced") ?? 0;
        var failed = live ? (int)reader.Long("live_bad")!.Value : reader.Int("failed") ?? 0;
        var skipped = reader.Int("skipped") ?? 0;
        var rowTotal = reader.Int("total");
        var duration = reader.Int("duration_ms");
        var estimate = OutdatedEstimates.FromJson(reader.Text("estimated_outdated"));
        return new SyncRunSummary
        {
            RunId = reader.Long("id") ?? 0,
            Mode = reader.Text("mode"),
            Status = status,
            StartedAt = reader.Timestamp("started_at"),
            FinishedAt = reader.Timestamp("finished_at"),
            // A running row: its total is the selection written at the start; what is not decided yet is not reached.
            Total = live ? Math.Max(rowTotal ?? 0, succeeded + failed + skipped) : rowTotal ?? succeeded + failed + skipped,
            Succeeded = succeeded,
            Failed = failed,
            Skipped = skipped,
            Duration = duration is null ? null : TimeSpan.FromMilliseconds(duration.Value),
            Error = reader.Text("error_message"),
            Host = reader.Text("host"),
            User = reader.Text("os_user"),
            Unchanged = reader.Int("unchanged") ?? 0,
            NotReached = live ? Math.Max((rowTotal ?? 0) - succeeded - failed - skipped, 0) : reader.Int("not_reached") ?? 0,
            StoppedBy = reader.Text("stopped_by"),
            Requests = reader.Int("requests") ?? 0,
            Throttled = reader.Int("throttled") ?? 0,
            RequestsPerSecond = reader.Double("requests_per_second"),
            VolatileAnswers = reader.Int("volatile_answers") ?? 0,
            StampedAnswers = reader.Int("stamped_answers"),
            EstimatedOutdatedAssets = estimate.All,
            EstimatedOutdatedByCriticality = estimate.ByCriticality,
        };
    }

    /// <summary>
    /// Works out the register's estimate now (as <see cref="GetStatusAsync"/> does) and keeps it in run <paramref name="runId"/>'s
    /// row, for the report's chart of the estimate over the runs.
    /// </summary>
    public ValueTask<int> RecordEstimateAsync(long runId, Freshness.ChangeRateModel model, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var groups = await ReadByCriticalityAsync(conn, model, token).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand(StatusSql.RecordEstimate, conn);
                cmd.Parameters.Add(
                    new NpgsqlParameter { Value = OutdatedEstimates.ToJson(groups), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb }.Named("estimate")
                );
                cmd.Parameters.Add(Long(runId).Named("run_id"));
                return await cmd.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            },
            ct
        );

    /// <param name="deferred">True: deferred failures only; false: those not deferred; null: all.</param>
    /// <param name="ct">Cancels the query.</param>
    public async IAsyncEnumerable<SyncFailure> GetFailuresAsync(bool? deferred, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(StatusSql.Failures, conn);
        cmd.Parameters.Add(Bool(deferred));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new SyncFailure
            {
                SerialNumber = reader.Text("serialnumber")!,
                ErrorKind = reader.Text("error_kind"),
                HttpStatus = reader.Int("http_status"),
                Attempts = reader.Int("attempts"),
                Error = reader.Text("error_message"),
                FailedAt = reader.Timestamp("last_attempt_at"),
                RunId = reader.Long("last_run_id"),
                FailingSince = reader.Timestamp("failing_since"),
                ConsecutiveFailures = reader.Int("consecutive_failures") ?? 0,
                NextAttemptAt = reader.Timestamp("next_attempt_at"),
                LastSuccessAt = reader.Timestamp("last_success_at"),
                AssetCode = reader.Text("asset_code"),
                AssetName = reader.Text("asset_name"),
                Department = reader.Text("department"),
                Deferred = reader.Bool("deferred"),
            };
        }
    }

    /// <summary>
    /// The register by time since its last success (the report's histogram), the <paramref name="limit"/> stalest assets, and
    /// the verified assets by estimated change rate (empty before a change model exists).
    /// </summary>
    public ValueTask<(
        List<KeyValuePair<string, long>> Histogram,
        List<StaleAsset> Stalest,
        List<KeyValuePair<string, long>> ChangeRates
    )> GetFreshnessAsync(int limit, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                var histogram = new List<KeyValuePair<string, long>>();
                await using (var cmd = new NpgsqlCommand(StatusSql.SyncAgeHistogram, conn))
                await using (var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false))
                {
                    await reader.ReadAsync(token).ConfigureAwait(false);
                    foreach (var (column, label) in StatusSql.SyncAgeBuckets)
                    {
                        histogram.Add(new(label, reader.Long(column) ?? 0));
                    }
                }
                var stalest = new List<StaleAsset>();
                await using (var cmd = new NpgsqlCommand(StatusSql.Stalest, conn))
                {
                    cmd.Parameters.Add(Int(limit));
                    await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        stalest.Add(
                            new StaleAsset
                            {
                                SerialNumber = reader.Text("serialnumber")!,
                                LastSuccessAt = reader.Timestamp("last_success_at"),
                                Status = reader.Text("status"),
                                AssetCode = reader.Text("asset_code"),
                                AssetName = reader.Text("asset_name"),
                                Department = reader.Text("department"),
                            }
                        );
                    }
                }
                var rates = new List<KeyValuePair<string, long>>();
                if (await ChangeModelStore.ReadAsync(conn, token).ConfigureAwait(false) is { } model)
                {
                    await using var cmd = new NpgsqlCommand(StatusSql.ChangeRateHistogram, conn);
                    ChangeModelStore.AddRateParameters(cmd.Parameters, model);
                    await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                    await reader.ReadAsync(token).ConfigureAwait(false);
                    foreach (var (column, label) in StatusSql.ChangeRateBuckets)
                    {
                        rates.Add(new(label, reader.Long(column) ?? 0));
                    }
                }
                return (histogram, stalest, rates);
            },
            ct
        );

    /// <summary>Up to <paramref name="limit"/> assets never decided, in sync order.</summary>
    public ValueTask<List<string>> GetNeverSyncedAsync(int limit, CancellationToken ct) =>
        db.WithConnection(
            async (conn, token) =>
            {
                await using var cmd = new NpgsqlCommand(StatusSql.NeverSynced, conn);
                cmd.Parameters.Add(Int(limit));
                var serials = new List<string>(limit);
                await using var reader = await cmd.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    serials.Add(reader.GetString(0));
                }
                return serials;
            },
            ct
        );
}
