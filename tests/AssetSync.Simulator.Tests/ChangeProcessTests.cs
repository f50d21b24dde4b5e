using System.Net.Http.Json;
using System.Text.Json;

namespace AssetSync.Simulator.Tests;

/// <summary>The simulator's change process: classes, compressed days, the same changes in two simulators, the ground truth.</summary>
public sealed class ChangeProcessTests
{
    private static readonly DateTimeOffset Epoch = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static ChangeProcess Process(string classes = "0.01:1d,0.09:30d,0.90:365d", double daySeconds = 10, int seed = 1) =>
        new(
            new SimulatorOptions
            {
                ChangeClasses = classes,
                DaySeconds = daySeconds,
                Seed = seed,
                ChangeEpoch = Epoch.ToString("o"),
            },
            DateTimeOffset.UtcNow
        );

    [Fact]
    public void Parses_classes_with_a_compressed_day_and_refuses_shares_that_do_not_add_up()
    {
        var classes = ChangeProcess.ParseClasses("0.5:1d,0.25:12h,0.25:90m", 10);
        Assert.Equal([(0.5, 10.0), (0.25, 5.0), (0.25, 90 * 10 / 1440.0)], classes);
        Assert.Throws<ArgumentException>(() => ChangeProcess.ParseClasses("0.5:1d,0.4:30d", 10));
        Assert.Throws<ArgumentException>(() => ChangeProcess.ParseClasses("1:30w", 10));
        Assert.Throws<ArgumentException>(() => ChangeProcess.ParseClasses("1:1d", 0));
    }

    [Fact]
    public void Draws_each_class_in_its_share_and_changes_at_its_rate()
    {
        var process = Process();
        var serials = Enumerable.Range(1, 20000).Select(AssetGenerator.SerialFor).ToList();
        var daily = serials.Where(s => process.MeanSecondsOf(s) == 10).ToList();
        Assert.InRange(daily.Count, 150, 250); // 1% of 20,000
        Assert.InRange(serials.Count(s => process.MeanSecondsOf(s) == 300), 1600, 2000);

        // Thirty compressed days: a daily asset changes about 30 times.
        var changes = daily.Select(s => process.At(s, Epoch.AddSeconds(300)).Version).Average();
        Assert.InRange(changes, 26, 34);
        var (version, last) = process.At(daily[0], Epoch.AddSeconds(300));
        Assert.True(last <= Epoch.AddSeconds(300) && (version == 0 ? last < Epoch : last >= Epoch));
    }

    [Fact]
    public void Two_processes_with_the_same_seed_and_epoch_change_the_same_assets_at_the_same_instants()
    {
        var a = Process();
        var b = Process();
        var c = Process(seed: 2);
        var serials = Enumerable.Range(1, 300).Select(AssetGenerator.SerialFor).ToList();
        var at = Epoch.AddSeconds(123.4);
        Assert.Equal(serials.Select(s => a.At(s, at)), serials.Select(s => b.At(s, at)));
        Assert.NotEqual(serials.Select(s => a.At(s, at)), serials.Select(s => c.At(s, at)));
    }

    [Fact]
    public void The_truth_counts_the_assets_changed_since_they_were_last_served()
    {
        var process = Process(classes: "0.5:1s,0.5:1000d", daySeconds: 86400);
        var serials = Enumerable.Range(1, 40).Select(AssetGenerator.SerialFor).ToList();
        var served = Epoch.AddSeconds(5);
        foreach (var serial in serials.Take(30))
        {
            process.Served(serial, process.At(serial, served).Version);
        }
        // A minute later every asset changing about each second has changed; those changing every 1,000 days have not.
        var truth = JsonSerializer.SerializeToElement(process.Truth(served.AddSeconds(60), serials, s => s.EndsWith('1') ? "High" : "Low"));
        var fast = serials.Take(30).Count(s => process.MeanSecondsOf(s) == 1);
        Assert.Equal(
            (40, 30, 10),
            (truth.GetProperty("assets").GetInt32(), truth.GetProperty("served").GetInt32(), truth.GetProperty("neverServed").GetInt32())
        );
        Assert.Equal(fast, truth.GetProperty("changedSinceServed").GetInt32());
        Assert.InRange(fast, 5, 25);
        var byCriticality = truth.GetProperty("changedSinceServedByCriticality");
        Assert.Equal(
            serials.Take(30).Count(s => process.MeanSecondsOf(s) == 1 && s.EndsWith('1')),
            byCriticality.TryGetProperty("High", out var high) ? high.GetInt32() : 0
        );
    }

    [Fact]
    public void Rates_drift_at_the_drift_day_a_share_of_quiet_assets_turning_busy_and_the_busy_going_quiet()
    {
        var options = new SimulatorOptions
        {
            ChangeClasses = "0.1:1d,0.9:365d",
            DaySeconds = 10,
            Seed = 1,
            ChangeEpoch = Epoch.ToString("o"),
            DriftAtDay = 20,
            DriftShare = 0.05,
        };
        var process = new ChangeProcess(options, DateTimeOffset.UtcNow);
        var serials = Enumerable.Range(1, 4000).Select(AssetGenerator.SerialFor).ToList();
        var before = Epoch.AddSeconds(199);
        var after = Epoch.AddSeconds(201);
        var busyBefore = serials.Where(s => process.MeanSecondsOf(s, before) == 10).ToHashSet();
        var busyAfter = serials.Where(s => process.MeanSecondsOf(s, after) == 10).ToHashSet();
        Assert.InRange(busyBefore.Count, 320, 480); // 10%
        Assert.InRange(busyAfter.Count, 140, 260); // 5% of the register, all from the quiet class
        Assert.Empty(busyBefore.Intersect(busyAfter));
        // The assets that turned busy change about daily after the drift, as the process draws them.
        var atDrift = busyAfter.ToDictionary(s => s, s => process.At(s, Epoch.AddSeconds(200)).Version);
        var changes = busyAfter.Select(s => process.At(s, Epoch.AddSeconds(500)).Version - atDrift[s]).Average();
        Assert.InRange(changes, 25, 35);
    }

    [Fact]
    public void An_imported_history_reports_every_last_change_before_the_epoch_at_one_date()
    {
        var options = new SimulatorOptions
        {
            ChangeClasses = "0.5:1d,0.5:365d",
            DaySeconds = 10,
            Seed = 1,
            ChangeEpoch = Epoch.ToString("o"),
            ImportedDaysBefore = 400,
        };
        var process = new ChangeProcess(options, DateTimeOffset.UtcNow);
        var lasts = Enumerable.Range(1, 100).Select(AssetGenerator.SerialFor).Select(s => process.At(s, Epoch).LastChange).Distinct().ToList();
        Assert.Equal([Epoch.AddSeconds(-4000)], lasts);
    }

    [Fact]
    public async Task Serves_last_modified_to_the_millisecond_and_the_truth_at_its_control_endpoint()
    {
        var options = new SimulatorOptions
        {
            Token = "t",
            Assets = 50,
            ChangeClasses = "1:365d",
        };
        var (app, url) = await SimulatorHost.StartAsync(options);
        try
        {
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new("Bearer", "t");
            var body = await http.GetFromJsonAsync<JsonElement>(url + "/api/v1/assets/INF-000001");
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body.GetProperty("last_modified").GetString());
            var truth = await http.GetFromJsonAsync<JsonElement>(url + "/_sim/truth");
            Assert.Equal(
                (50, 1, 49),
                (truth.GetProperty("assets").GetInt32(), truth.GetProperty("served").GetInt32(), truth.GetProperty("neverServed").GetInt32())
            );
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
