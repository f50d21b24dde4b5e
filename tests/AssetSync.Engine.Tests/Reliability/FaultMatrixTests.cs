using System.Text.Json.Nodes;
using AssetSync.Simulator;
using AssetSync.Tests.Fixtures;
using Xunit.Abstractions;

namespace AssetSync.Tests.Reliability;

/// <summary>
/// 1,000 assets, 30 % of them faulty with every API failure of the contract at seeded positions
/// (ASSETSYNC_FAULT_SEED varies them). After the run the log, the run row and the enriched data
/// must all be exactly right; after a heal, retry-failed leaves only the assets that do not exist.
/// </summary>
public sealed class FaultMatrixTests(DatabaseFixture db, ITestOutputHelper output) : IClassFixture<DatabaseFixture>
{
    private static readonly Dictionary<string, string> ExpectedKind = new()
    {
        ["400"] = "client_error",
        ["405"] = "client_error",
        ["409"] = "client_error",
        ["410"] = "client_error",
        ["422"] = "client_error",
        ["404"] = "not_found",
        ["408"] = "transient",
        ["429"] = "transient",
        ["500"] = "transient",
        ["502"] = "transient",
        ["503"] = "transient",
        ["504"] = "transient",
        ["503-date"] = "transient",
        ["timeout"] = "timeout",
        ["reset"] = "network",
        ["malformed"] = "invalid_response",
        ["truncated"] = "invalid_response",
        ["notobject"] = "invalid_response",
        ["wrongserial"] = "invalid_response",
        ["badtype"] = "invalid_response",
        ["deep"] = "invalid_response",
        ["badutf8"] = "invalid_response",
        ["huge"] = "invalid_response",
        ["badgzip"] = "invalid_response",
        ["badbr"] = "invalid_response",
        ["baddeflate"] = "invalid_response",
    };

    [Fact]
    public async Task Every_fault_is_recorded_exactly_and_nothing_is_lost()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ASSETSYNC_FAULT_SEED"), out var s) ? s : 7;
        await using var sim = await SimulatorServer.StartAsync(o =>
        {
            o.Assets = 1000;
            o.Seed = seed;
            o.FaultyRate = 0.3;
            o.FaultyKinds = string.Join(',', ExpectedKind.Keys);
            o.HangMs = 3000;
        });
        await db.ApplySchemaAsync();
        var serials = TestSerials.Range(1, 1000).ToList();
        await db.SeedAssetsAsync(serials);
        var state = new SimulatorState(sim.Options);
        var faults = serials.ToDictionary(x => x, state.FaultyKindOf);

        await using var engine = new SyncEngine(sim.SyncOptions(db.ConnectionString, o =>
            {
                // Long enough that a busy 2-core machine does not turn a slow healthy answer into a timeout.
                o.Timeout = TimeSpan.FromMilliseconds(1200);
                o.RetryInterval = TimeSpan.FromMilliseconds(1);
                o.MaxRetryAfter = TimeSpan.FromMilliseconds(20);
                o.ThrottleLimit = 16;
                o.CircuitBreakerThreshold = 0;
                // The huge body is refused at the size limit, not by the clock: a limit two of its chunks away, so streaming a
                // whole MiB on a busy machine cannot outlast the attempt's timeout (a CI run recorded it as a timeout).
                o.MaxResponseBytes = 128 * 1024;
            }));
        var summary = await engine.RunAsync(AssetSelection.Batch(0));

        // Each asset's current state is right.
        var current = (
            await db.RowsAsync(
                """
                SELECT DISTINCT ON (serialnumber) serialnumber, status, error_kind FROM ic3_sync_log
                WHERE sync_type = 'api_sync' ORDER BY serialnumber, id DESC
                """
            )
        ).ToDictionary(r => (string)r[0]!, r => ((string)r[1]!, (string?)r[2]));
        Assert.Equal(1000, current.Count);
        foreach (var serial in serials)
        {
            var expected = faults[serial] is { } f ? ("error", ExpectedKind[f]) : ("success", (string?)null);
            Assert.True(expected == current[serial], $"{serial} (fault {faults[serial] ?? "none"}): expected {expected}, got {current[serial]}");
        }

        // Exactly one row per decided asset in the run, and the run row's totals match the log.
        Assert.Equal(
            0L,
            await db.ScalarAsync<long>(
                "SELECT count(*) FROM (SELECT serialnumber FROM ic3_sync_log WHERE run_id = $1 GROUP BY serialnumber HAVING count(*) > 1) d",
                summary.RunId
            )
        );
        var logged = (
            await db.RowsAsync(
                "SELECT count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'error') FROM ic3_sync_log WHERE run_id = $1",
                summary.RunId
            )
        ).Single();
        var run = (await db.RowsAsync("SELECT assets_synced, failed, total, status FROM cmms_sync_log WHERE id = $1", summary.RunId)).Single();
        Assert.Equal((long)(int)run[0]!, (long)logged[0]!);
        Assert.Equal((long)(int)run[1]!, (long)logged[1]!);
        Assert.Equal(1000, (int)run[2]!);
        Assert.Equal("complete", run[3]);
        var faultyCount = faults.Values.Count(f => f is not null);
        Assert.Equal(1000 - faultyCount, summary.Succeeded);

        // The enriched columns equal the simulator's data for every succeeded asset, and failed ones are untouched.
        var rows = await db.RowsAsync(
            """
            SELECT cmms_asset_id, cmms_payload::text, make, model, location_site, cmms_status, install_date, warranty_expiry,
                   (SELECT array_agg(schedule_id ORDER BY schedule_id) FROM ic3_asset_pm_schedule p WHERE p.cmms_asset_id = m.cmms_asset_id)
            FROM ic3_asset_master m
            """
        );
        var checkedRows = 0;
        foreach (var row in rows)
        {
            var serial = (string)row[0]!;
            if (faults[serial] is not null)
            {
                Assert.Null(row[1]);
                Assert.Null(row[8]);
                continue;
            }
            var body = AssetGenerator.Body(serial, sim.Options.Seed);
            Assert.True(JsonNode.DeepEquals(body, JsonNode.Parse((string)row[1]!)), $"{serial}: payload differs");
            Assert.Equal((string?)body["make"], row[2]);
            Assert.Equal((string?)body["model"], row[3]);
            Assert.Equal((string?)body["location"]!["site"], row[4]);
            Assert.Equal((string?)body["status"], row[5]);
            Assert.Equal(DateOnly.Parse((string)body["install_date"]!, System.Globalization.CultureInfo.InvariantCulture), (DateOnly)row[6]!);
            DateOnly? expectedWarranty = body["warranty_expiry"] is null
                ? null
                : DateOnly.Parse((string)body["warranty_expiry"]!, System.Globalization.CultureInfo.InvariantCulture);
            var actualWarranty = (DateOnly?)row[7];
            Assert.Equal(expectedWarranty, actualWarranty);
            var expectedSchedules = body["pm_schedules"]!.AsArray().Select(p => (string)p!["schedule_id"]!).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(expectedSchedules, (string[]?)row[8] ?? []);
            checkedRows++;
        }

        // Heal; retry-failed brings the failures down to the assets that do not exist.
        await sim.HealAsync();
        await using var database = new SyncDatabase(db.ConnectionString);
        // not_found and client_error are deferred: a plain retry-failed leaves them for later.
        var deferrable = faults.Values.Count(f => f is not null && ExpectedKind[f] is "not_found" or "client_error");
        Assert.Equal(faultyCount - deferrable, await database.PreviewAsync(AssetSelection.RetryFailed()).CountAsync());
        var retry = await engine.RunAsync(AssetSelection.RetryFailed(includeDeferred: true));
        var status = await database.GetStatusAsync();
        var missing = faults.Values.Count(f => f == "404");
        Assert.Equal(faultyCount, retry.Total);
        Assert.Equal(missing, status.FailedAssets);
        Assert.Equal(1000 - missing, status.SyncedAssets);
        Assert.Equal(0, status.NeverSynced);

        var byKind = faults.Values.Where(f => f is not null).GroupBy(f => f!).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}");
        output.WriteLine(
            $"seed {seed}: 1000 assets, {faultyCount} faulty ({string.Join(", ", byKind)}); run 1: {summary.Succeeded} succeeded, "
                + $"{summary.Failed} failed; "
                + $"{checkedRows} enriched rows checked against the simulator; retry-failed: {retry.Succeeded} succeeded, {retry.Failed} failed "
                + $"(404s: {missing}); lost: 0"
        );
    }
}
