using AssetSync.Freshness;
using AssetSync.Storage;
using AssetSync.Tests.Fixtures;
using Npgsql;

namespace AssetSync.Tests.Storage;

/// <summary>
/// The change model against the database: what a success observes (and what does not), the ChangeRate order (cold start,
/// the floor, never-synced assets and failures in their places), the SQL formulas against the C# ones, and the estimate
/// of outdated assets.
/// </summary>
public sealed class ChangeRateOrderTests(DatabaseFixture db) : SimulatorAndDatabaseTests(db)
{
    private async Task<List<string>> PreviewAsync(AssetSelection selection)
    {
        await using var database = new SyncDatabase(Db.ConnectionString);
        return await database.PreviewAsync(selection).ToListAsync();
    }

    /// <summary>Fits and keeps the change model, as a batch run does when it ends.</summary>
    private async Task<ChangeRateModel?> FitAsync()
    {
        await using var store = new SyncStore(Db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        return await store.ChangeModel.FitAsync(save: true, CancellationToken.None);
    }

    /// <summary>A state row as a run leaves it: last success <paramref name="ageDays"/> ago, k changes over t days of exposure.</summary>
    private Task StateAsync(string serial, double ageDays, int k, double tDays, string status = "success") =>
        Db.ExecAsync(
            """
            INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, change_count, change_exposure,
                change_observations,
                                               error_kind, failing_since, consecutive_failures)
            VALUES ($1, $2, now() - make_interval(secs => $3 * 86400), now() - make_interval(secs => $3 * 86400), $4, $5 * 86400, CASE WHEN $5
                > 0 THEN 1 ELSE 0 END,
                    CASE WHEN $2 = 'error' THEN 'transient' END, CASE WHEN $2 = 'error' THEN now() END, CASE WHEN $2 = 'error' THEN 1 ELSE 0 END)
            """,
            serial,
            status,
            ageDays,
            k,
            tDays
        );

    [Fact]
    public async Task The_run_cadence_is_the_median_interval_between_recent_batch_runs_and_unknown_before_two()
    {
        await using var conn = new NpgsqlConnection(Db.ConnectionString);
        await conn.OpenAsync();
        Assert.Equal(0, await SelectionStore.RunCadenceAsync(conn, CancellationToken.None));
        // Nightly batch runs 24 h apart, one started by hand 2 h after one of them, and runs of other modes in between,
        // all from one instant: now() of separate statements drifts apart by what a busy machine takes between them.
        var at = DateTimeOffset.UtcNow;
        foreach (
            var (hoursAgo, mode) in new[]
            {
                (96.0, "batch"),
                (72.0, "batch"),
                (70.0, "batch"),
                (60.0, "serials"),
                (48.0, "batch"),
                (30.0, "retry_failed"),
                (24.0, "batch"),
                (0.0, "batch"),
            }
        )
        {
            await Db.ExecAsync(
                """
                INSERT INTO cmms_sync_log (sync_type, status, assets_synced, duration_ms, synced_at, mode, started_at)
                VALUES ('api_sync', 'success', 0, 0, now(), $1, $3 - make_interval(secs => $2 * 3600))
                """,
                mode,
                hoursAgo,
                at
            );
        }
        // Gaps between the batch runs: 24, 2, 22, 24, 24 hours; their median is a day.
        Assert.Equal(86400, await SelectionStore.RunCadenceAsync(conn, CancellationToken.None), 3);
    }

    [Fact]
    public async Task A_success_is_an_observation_and_a_failure_or_a_404_is_not()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 6));
        await Sim.ScriptForeverAsync("INF-000005", "500");
        await Sim.ScriptForeverAsync("INF-000006", "404");
        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString, o =>
            {
                o.MaximumRetryCount = 0;
                o.CircuitBreakerThreshold = 0;
            }));

        await engine.RunAsync(AssetSelection.Batch(0));
        // A first success: one change (Innomaint's last change), its age the exposure.
        var first = await Db.RowsAsync(
            "SELECT serialnumber, change_count, change_exposure, change_observations, extract(epoch FROM last_success_at - (SELECT "
                + "cmms_last_modified FROM ic3_asset_master m WHERE m.cmms_asset_id = serialnumber))::float8 FROM cmms_asset_sync_state ORDER BY 1"
        );
        Assert.Equal(6, first.Count);
        foreach (var row in first.Take(4))
        {
            Assert.Equal((1, 1), ((int)row[1]!, (int)row[3]!));
            Assert.Equal((double)row[4]!, (double)row[2]!, 0.01);
        }
        Assert.All(first.Skip(4), row => Assert.Equal((0, 0.0, 0), ((int)row[1]!, (double)row[2]!, (int)row[3]!)));

        // Unchanged (the same body): the whole interval, no change. The failing assets still observe nothing.
        await Db.ExecAsync(
            "UPDATE cmms_asset_sync_state SET last_success_at = last_success_at - interval '10 days' WHERE serialnumber = 'INF-000001'"
        );
        await engine.RunAsync(AssetSelection.Batch(0, includeDeferred: true));
        var unchanged = await Db.RowsAsync(
            "SELECT change_count, change_exposure, change_observations FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000001'"
        );
        Assert.Equal((1, 2), ((int)unchanged[0][0]!, (int)unchanged[0][2]!));
        Assert.InRange((double)unchanged[0][1]! - (double)first[0][2]!, 10 * 86400, (10 * 86400) + 120);
        // What the model reads forgets: the earlier observation kept at SyncDefaults.ChangeMemory, the new one whole.
        var recent = await Db.RowsAsync("SELECT recent_changes, recent_exposure FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000001'");
        Assert.Equal(SyncDefaults.ChangeMemory, (double)recent[0][0]!, 9);
        Assert.InRange((double)recent[0][1]! - (SyncDefaults.ChangeMemory * (double)first[0][2]!), 10 * 86400, (10 * 86400) + 120);
        Assert.Equal(
            0L,
            await Db.ScalarAsync<long>(
                "SELECT count(*) FROM cmms_asset_sync_state WHERE serialnumber IN ('INF-000005', 'INF-000006') AND change_observations > 0"
            )
        );

        // Changed, with a last_modified before the last success (a generation moves it only a day on): one change, and an
        // exposure imputed inside the interval, never more than it.
        await Sim.ConfigureAsync(new { ChangeRate = 1.0 });
        await Sim.NextGenerationAsync();
        var before = (double)(await Db.RowsAsync("SELECT change_exposure FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000002'"))[0][0]!;
        await Db.ExecAsync(
            "UPDATE cmms_asset_sync_state SET last_success_at = last_success_at - interval '4 days' WHERE serialnumber = 'INF-000002'"
        );
        await engine.RunAsync(AssetSelection.Batch(0));
        var changed = await Db.RowsAsync(
            "SELECT change_count, change_exposure, change_observations FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000002'"
        );
        Assert.Equal((2, 3), ((int)changed[0][0]!, (int)changed[0][2]!));
        Assert.InRange((double)changed[0][1]! - before, 1, 4 * 86400);
    }

    [Fact]
    public async Task With_no_observations_ChangeRate_orders_exactly_as_Stalest()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 30));
        for (var i = 1; i <= 24; i++)
        {
            await StateAsync(
                AssetSync.Simulator.AssetGenerator.SerialFor(i),
                ageDays: (i * 7) % 13,
                k: 0,
                tDays: 0,
                status: i % 5 == 0 ? "error" : "success"
            );
        }

        Assert.Null(await FitAsync());
        foreach (var size in new[] { 0, 7, 20 })
        {
            var stalest = await PreviewAsync(AssetSelection.Batch(size, order: SyncOrder.Stalest));
            Assert.Equal(stalest, await PreviewAsync(AssetSelection.Batch(size, order: SyncOrder.ChangeRate)));
            Assert.Equal(size == 0 ? 30 : size, stalest.Count);
        }
        Assert.Equal(0L, await Db.ScalarAsync<long>("SELECT count(*) FROM cmms_change_model")); // nothing observed, nothing kept
    }

    [Fact]
    public async Task Audits_take_one_place_in_twenty_of_a_budget_and_are_drawn_anew_each_run()
    {
        // 1-40 change about daily (the value order's first forty); 41-400 about yearly, verified a day earlier (twice the
        // weight in the draw). Within the floor, so only value and audits decide.
        await Db.SeedAssetsAsync(TestSerials.Range(1, 400));
        await Db.ExecAsync(
            """
            INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, change_count, change_exposure,
                change_observations)
            SELECT cmms_asset_id, 'success', now() - make_interval(days => CASE WHEN report_seq_no <= 40 THEN 1 ELSE 2 END),
                now() - make_interval(days => CASE WHEN report_seq_no <= 40 THEN 1 ELSE 2 END),
                CASE WHEN report_seq_no <= 40 THEN 20 ELSE 1 END, CASE WHEN report_seq_no <= 40 THEN 20 ELSE 365 END * 86400.0, 1
            FROM ic3_asset_master
            """
        );
        Assert.NotNull(await FitAsync());
        var fast = TestSerials.Range(1, 40).ToHashSet();

        // Forty places: value ranks up to 38 (38 / 0.95) and audit ranks up to 2 (2 / 0.05). An audit that draws one of the
        // fast assets takes a place the value order would have given anyway, so at most two slow assets, and each run its own.
        var audited = new List<string>();
        for (var run = 0; run < 10; run++)
        {
            var budget = await PreviewAsync(AssetSelection.Batch(40, maxSyncAge: TimeSpan.FromDays(60)));
            Assert.Equal(40, budget.Count);
            var slow = budget.Where(s => !fast.Contains(s)).ToList();
            Assert.InRange(slow.Count, 0, 2);
            audited.AddRange(slow);
        }
        // About 18 of 20 draws land on a slow asset (720 of the 800 units of weight); a tenth would give about 36.
        Assert.InRange(audited.Count, 12, 20);
        Assert.True(audited.Distinct().Count() > 5, string.Join(",", audited));
    }

    [Fact]
    public async Task ChangeRate_takes_never_synced_first_then_the_floor_then_the_fast_changers_and_failures_keep_one_place_in_ten()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 40));
        // 1-4 change about daily, verified a day ago; 6-8 the same but failing now; 9-38 change about yearly, verified two
        // days ago (staler); 5 changes almost never and was verified 31 days ago; 39 and 40 were never synced.
        for (var i = 1; i <= 38; i++)
        {
            var fast = i <= 8 && i != 5;
            await StateAsync(
                AssetSync.Simulator.AssetGenerator.SerialFor(i),
                ageDays: i == 5 ? 31
                    : fast ? 1
                    : 2,
                k: i == 5 ? 0
                    : fast ? 20
                    : 1,
                tDays: i == 5 ? 100000
                    : fast ? 20
                    : 365,
                status: i is >= 6 and <= 8 ? "error" : "success"
            );
        }

        Assert.NotNull(await FitAsync());
        var stalest = await PreviewAsync(AssetSelection.Batch(0, order: SyncOrder.Stalest));
        Assert.Equal(["INF-000039", "INF-000040", "INF-000005", "INF-000009", "INF-000010"], stalest.Take(5));

        var byRate = await PreviewAsync(AssetSelection.Batch(0));
        Assert.Equal(["INF-000039", "INF-000040", "INF-000005", "INF-000001", "INF-000002", "INF-000003", "INF-000004"], byRate.Take(7));
        // The first failing asset goes no earlier than after nine of the others, though its rate would put it eighth.
        Assert.Equal(9, byRate.IndexOf("INF-000006"));
        Assert.Equal(40, byRate.Distinct().Count());

        // Without the floor in reach, the asset that almost never changes waits behind the fast ones and the audits.
        var relaxed = await PreviewAsync(AssetSelection.Batch(0, maxSyncAge: TimeSpan.FromDays(60)));
        Assert.True(relaxed.IndexOf("INF-000005") > relaxed.IndexOf("INF-000004"), string.Join(",", relaxed));
        // The audits: the stalest assets still get about one place in ten of a budget.
        var budget = await PreviewAsync(AssetSelection.Batch(20, maxSyncAge: TimeSpan.FromDays(60)));
        Assert.Contains("INF-000009", budget);
    }

    [Fact]
    public async Task The_SQL_posterior_lookups_are_the_CSharp_ones_and_status_sums_the_posterior_chances_with_an_interval()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 12));
        for (var i = 1; i <= 10; i++)
        {
            await StateAsync(AssetSync.Simulator.AssetGenerator.SerialFor(i), ageDays: i, k: i % 4, tDays: 10 * i);
        }
        await Db.ExecAsync("UPDATE ic3_asset_master SET criticality = CASE WHEN report_seq_no % 2 = 0 THEN 'High' ELSE 'Low' END");
        Assert.NotNull(await FitAsync());

        await using var conn = new NpgsqlConnection(Db.ConnectionString);
        await conn.OpenAsync();
        var model = (await ChangeModelStore.ReadAsync(conn, CancellationToken.None))!;
        // Fractional k (forgetting), past the table's changes, below and above the table's ages, no exposure (the prior).
        foreach (
            var (k, t, age) in new[]
            {
                (0.0, 3600.0, 60.0),
                (2.0, 86400.0 * 40, 86400.0 * 3),
                (7.3, 1e7, 1e6),
                (50, 1e6, 1e5),
                (1, 1e3, 1e9),
                (0.45, 0, 5e5),
            }
        )
        {
            await using var cmd = new NpgsqlCommand(
                $"""
                SELECT index_value, {FreshnessSql.PosteriorValue("unchanged_table", "k")},
                    {FreshnessSql.Rate("@k::double precision", "@t::double precision")}
                FROM (SELECT {FreshnessSql.PosteriorValue("index_table", "k")} AS index_value FROM (SELECT 1) one
                      {FreshnessSql.PosteriorKeys("index_table", "k", "@k::double precision", "@t::double precision", "@a::double precision")}) i
                {FreshnessSql.PosteriorKeys("unchanged_table", "k", "@k::double precision", "@t::double precision", "@a::double precision")}
                """,
                conn
            );
            ChangeModelStore.AddPosteriorParameters(cmd.Parameters, "index_table", model.IndexTable);
            ChangeModelStore.AddPosteriorParameters(cmd.Parameters, "unchanged_table", model.UnchangedTable);
            ChangeModelStore.AddRateParameters(cmd.Parameters, model);
            cmd.Parameters.AddWithValue("k", k);
            cmd.Parameters.AddWithValue("t", t);
            cmd.Parameters.AddWithValue("a", age);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(model.IndexTable.Lookup(k, t, age), reader.GetDouble(0), 9);
            Assert.Equal(model.UnchangedTable.Lookup(k, t, age), reader.GetDouble(1), 9);
            Assert.Equal(1.0, reader.GetDouble(2) / model.TableRate((int)Math.Round(k), t), 9);
        }

        await using var database = new SyncDatabase(Db.ConnectionString);
        var status = await database.GetStatusAsync();
        var rows = await Db.RowsAsync(
            "SELECT change_count, change_exposure, extract(epoch FROM now() - last_success_at)::float8, serialnumber FROM cmms_asset_sync_state"
        );
        var chances = rows.Select(r => 1 - model.UnchangedTable.Lookup((int)r[0]!, (double)r[1]!, (double)r[2]!)).ToList();
        Assert.NotNull(status.EstimatedOutdatedAssets);
        Assert.Equal(chances.Sum(), status.EstimatedOutdatedAssets!.Value, 3);
        Assert.InRange(status.EstimatedOutdatedAssets!.Value, 0.01, 10);
        // The 90 % interval of a sum of independent chances, clipped to the verified assets.
        var half = 1.6448536269514722 * Math.Sqrt(chances.Sum(p => p * (1 - p)));
        Assert.Equal(Math.Max(0, chances.Sum() - half), status.EstimatedOutdatedAssetsLow!.Value, 3);
        Assert.Equal(Math.Min(10, chances.Sum() + half), status.EstimatedOutdatedAssetsHigh!.Value, 3);
        // By criticality: the register's groups add up to the whole.
        Assert.Equal(["High", "Low"], status.EstimatedOutdatedByCriticality.Select(g => g.Criticality).Order());
        Assert.Equal(status.EstimatedOutdatedAssets!.Value, status.EstimatedOutdatedByCriticality.Sum(g => g.Expected), 6);
        var high = rows.Where(r => int.Parse(((string)r[3]!)[4..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0)
            .Sum(r => 1 - model.UnchangedTable.Lookup((int)r[0]!, (double)r[1]!, (double)r[2]!));
        Assert.Equal(high, status.EstimatedOutdatedByCriticality.Single(g => g.Criticality == "High").Expected, 3);

        var report = await database.GetReportAsync();
        Assert.Equal(10, report.ChangeRateHistogram.Sum(b => b.Value));
    }

    [Fact]
    public async Task First_successes_that_share_one_last_modified_are_an_imports_stamp_and_observe_nothing()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 5));
        await using var store = new SyncStore(Db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        var (runId, _) = await store.Runs.StartAsync(AssetSelection.Batch(0), 5, 0, "host", "user", CancellationToken.None);
        var stamp = DateTimeOffset.UtcNow.AddDays(-400);
        var rows = TestSerials
            .Range(1, 5)
            .Select(
                (serial, i) =>
                    OutcomeRow.Success(
                        serial,
                        1,
                        200,
                        5,
                        new AssetSync.Domain.FetchValidators(null, null, [1]),
                        unchanged: false,
                        changedAt: i < 3 ? stamp : DateTimeOffset.UtcNow.AddDays(-10 - i)
                    )
            )
            .ToList();
        Assert.Equal(5, await store.States.RecordAsync(runId, rows, CancellationToken.None));
        var observed = await Db.RowsAsync("SELECT serialnumber, change_observations, change_count FROM cmms_asset_sync_state ORDER BY 1");
        Assert.Equal([0, 0, 0, 1, 1], observed.Select(r => (int)r[1]!));
        Assert.Equal([0, 0, 0, 1, 1], observed.Select(r => (int)r[2]!));
    }

    /// <summary>A register's model: yearly, monthly and daily changes (per second).</summary>
    private static readonly double[] ModelRates = [1 / (365 * 86400.0), 1 / (30 * 86400.0), 1 / 86400.0];

    /// <summary>Nine in ten assets yearly, one in eleven monthly, one in a hundred daily.</summary>
    private static readonly double[] ModelWeights = [0.9, 0.09, 0.01];

    /// <summary>The model of <see cref="ModelRates"/> and <see cref="ModelWeights"/>, as a batch run keeps it.</summary>
    private Task SaveGridModelAsync() =>
        Db.ExecAsync(
            "INSERT INTO cmms_change_model (id, rates, weights, min_exposure, max_exposure, observed_assets) VALUES (1, $1, $2, 3600, $3, 1000)",
            ModelRates,
            ModelWeights,
            400 * 86400.0
        );

    [Fact]
    public async Task A_change_the_register_explains_far_better_than_the_asset_s_quiet_history_starts_its_recent_history_again()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 4));
        await SaveGridModelAsync();
        // Three quiet histories (one change in 400 days) and a busy one (ten in ten days), each verified ten days ago.
        foreach (var (serial, k, days) in new[] { ("INF-000001", 1, 400), ("INF-000002", 1, 400), ("INF-000003", 10, 10), ("INF-000004", 1, 400) })
        {
            await Db.ExecAsync(
                """
                INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, payload_sha256, change_count,
                    change_exposure, change_observations, recent_changes, recent_exposure)
                VALUES ($1, 'success', now() - interval '10 days', now() - interval '10 days', decode('00', 'hex'), $2, $3 * 86400.0, 1, $2,
                    $3 * 86400.0)
                """,
                serial,
                k,
                days
            );
        }
        await using var store = new SyncStore(Db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        var (runId, _) = await store.Runs.StartAsync(AssetSelection.Batch(0), 3, 0, "host", "user", CancellationToken.None);
        OutcomeRow Changed(string serial, TimeSpan ago) =>
            OutcomeRow.Success(serial, 1, 200, 5, new AssetSync.Domain.FetchValidators(null, null, [1]), false, DateTimeOffset.UtcNow - ago);

        // A quiet asset changed an hour ago: the register's busy assets explain that 5.5 times better than its own history
        // does, so its recent history starts again. Changed nine days ago (1.7 times), it is a quiet asset's fluke; a busy
        // asset's change an hour ago (0.016) is what it always does. Both keep their histories.
        var rows = new[]
        {
            Changed("INF-000001", TimeSpan.FromHours(1)),
            Changed("INF-000002", TimeSpan.FromDays(9)),
            Changed("INF-000003", TimeSpan.FromHours(1)),
        };
        Assert.Equal(3, await store.States.RecordAsync(runId, rows, CancellationToken.None));
        var recent = (await Db.RowsAsync("SELECT recent_changes, recent_exposure / 86400 FROM cmms_asset_sync_state ORDER BY serialnumber"))
            .Select(r => ((double)r[0]!, (double)r[1]!))
            .ToList();
        var m = SyncDefaults.ChangeMemory;
        Assert.Equal(1, recent[0].Item1, 9);
        Assert.InRange(recent[0].Item2, 1 / 24.0 - 0.01, 1 / 24.0 + 0.01);
        Assert.Equal(m + 1, recent[1].Item1, 9);
        Assert.InRange(recent[1].Item2, (m * 400) + 9 - 0.01, (m * 400) + 9 + 0.01);
        Assert.Equal((m * 10) + 1, recent[2].Item1, 9);
        Assert.InRange(recent[2].Item2, (m * 10) + (1 / 24.0) - 0.01, (m * 10) + (1 / 24.0) + 0.01);
        // The totals the prior is fitted to keep everything.
        Assert.Equal(2, await Db.ScalarAsync<int>("SELECT change_count FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000001'"));

        // Before any model is fitted, nothing is a change point.
        await Db.ExecAsync("DELETE FROM cmms_change_model");
        Assert.Equal(1, await store.States.RecordAsync(runId, [Changed("INF-000004", TimeSpan.FromHours(1))], CancellationToken.None));
        Assert.Equal(m + 1, await Db.ScalarAsync<double>("SELECT recent_changes FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000004'"), 9);
    }

    [Fact]
    public async Task A_quiet_span_the_register_explains_far_better_than_the_asset_s_busy_history_starts_its_recent_history_again()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 4));
        await SaveGridModelAsync();
        // Each verified (unchanged since) dt days ago; the visit that last saw a change was u days ago.
        foreach (
            var (serial, k, tDays, dtDays, uDays) in new[]
            {
                ("INF-000001", 10, 10, 2, 8), // busy (ten changes in ten days), no change in the last eight
                ("INF-000002", 10, 10, 2, 2), // busy, changed two days ago
                ("INF-000003", 3, 90, 10, 60), // monthly, no change in two months
                ("INF-000004", 10, 10, 2, 8), // as the first, but no model yet
            }
        )
        {
            await Db.ExecAsync(
                """
                INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, last_changed_at, payload_sha256,
                    change_count, change_exposure, change_observations, recent_changes, recent_exposure)
                VALUES ($1, 'success', now() - $3 * interval '1 day', now() - $3 * interval '1 day', now() - $4 * interval '1 day',
                    decode('00', 'hex'), $2, $5 * 86400.0, 5, $2, $5 * 86400.0)
                """,
                serial,
                k,
                (double)dtDays,
                (double)uDays,
                (double)tDays
            );
        }
        await using var store = new SyncStore(Db.ConnectionString, new DatabaseRetryOptions(0, TimeSpan.Zero), TimeProvider.System);
        var (runId, _) = await store.Runs.StartAsync(AssetSelection.Batch(0), 3, 0, "host", "user", CancellationToken.None);
        OutcomeRow Unchanged(string serial) =>
            OutcomeRow.Success(serial, 1, 304, 5, new AssetSync.Domain.FetchValidators(null, null, [0]), true, null);

        // Eight quiet days after ten changes in (at most) four: the register explains that 2,800 times better, so the busy
        // history is dropped and the span alone is the recent history. Two quiet days of a busy asset (7 times) and two months
        // of a monthly one (5 times) are what such assets do: discounted, as any visit.
        Assert.Equal(
            3,
            await store.States.RecordAsync(runId, [Unchanged("INF-000001"), Unchanged("INF-000002"), Unchanged("INF-000003")], CancellationToken.None)
        );
        var recent = (await Db.RowsAsync("SELECT recent_changes, recent_exposure / 86400 FROM cmms_asset_sync_state ORDER BY serialnumber"))
            .Select(r => ((double)r[0]!, (double)r[1]!))
            .ToList();
        var m = SyncDefaults.ChangeMemory;
        Assert.Equal(0, recent[0].Item1, 9);
        Assert.InRange(recent[0].Item2, 8 - 0.01, 8 + 0.01);
        Assert.Equal(m * 10, recent[1].Item1, 9);
        Assert.InRange(recent[1].Item2, (m * 10) + 2 - 0.01, (m * 10) + 2 + 0.01);
        Assert.Equal(m * 3, recent[2].Item1, 9);
        Assert.InRange(recent[2].Item2, (m * 90) + 10 - 0.01, (m * 90) + 10 + 0.01);
        // The totals the prior is fitted to keep everything.
        Assert.Equal(10, await Db.ScalarAsync<int>("SELECT change_count FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000001'"));

        await Db.ExecAsync("DELETE FROM cmms_change_model");
        Assert.Equal(1, await store.States.RecordAsync(runId, [Unchanged("INF-000004")], CancellationToken.None));
        Assert.Equal(m * 10, await Db.ScalarAsync<double>("SELECT recent_changes FROM cmms_asset_sync_state WHERE serialnumber = 'INF-000004'"), 9);
    }

    [Fact]
    public async Task Criticality_weights_put_the_critical_devices_first_among_equals()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 40));
        for (var i = 1; i <= 40; i++)
        {
            await StateAsync(AssetSync.Simulator.AssetGenerator.SerialFor(i), ageDays: 5, k: 1, tDays: 60);
        }
        await Db.ExecAsync("UPDATE ic3_asset_master SET criticality = CASE WHEN report_seq_no % 10 = 0 THEN 'High' ELSE 'Low' END");
        Assert.NotNull(await FitAsync());
        var high = new[] { "INF-000010", "INF-000020", "INF-000030", "INF-000040" };

        var plain = await PreviewAsync(AssetSelection.Batch(4, maxSyncAge: TimeSpan.FromDays(60)));
        var weighted = await PreviewAsync(
            AssetSelection.Batch(4, maxSyncAge: TimeSpan.FromDays(60), criticalityWeight: new Dictionary<string, double> { ["high"] = 5 })
        );
        // Equal values go in report order; weighted, the High ones take the places the value decides (one in ten may be an audit).
        Assert.InRange(plain.Count(high.Contains), 0, 1);
        Assert.InRange(weighted.Count(high.Contains), 3, 4);

        foreach (var bad in new[] { 0, -1, double.NaN, 1001 })
        {
            var ex = Assert.Throws<SyncConfigurationException>(() =>
                AssetSelection.Batch(criticalityWeight: new Dictionary<string, double> { ["High"] = bad })
            );
            Assert.Contains("more than 0 and at most 1000", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Status_has_no_estimate_before_a_batch_run_has_fitted_a_model()
    {
        await Db.SeedAssetsAsync(TestSerials.Range(1, 3));
        await using var database = new SyncDatabase(Db.ConnectionString);
        Assert.Null((await database.GetStatusAsync()).EstimatedOutdatedAssets);
        Assert.Empty((await database.GetReportAsync()).ChangeRateHistogram);

        await using var engine = new SyncEngine(Sim.SyncOptions(Db.ConnectionString));
        await engine.RunAsync(AssetSelection.Batch(0));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM cmms_change_model"));
        // Just verified: almost nothing can have changed yet.
        Assert.InRange((await database.GetStatusAsync()).EstimatedOutdatedAssets!.Value, 0, 0.1);
    }
}
