using System.Globalization;
using AssetSync.Reporting;

namespace AssetSync.Tests.Reporting;

/// <summary>The metrics file on its own: every series named and typed, the run's status one-hot, the register's only when read, written
/// whole.</summary>
public sealed class PrometheusTextFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("assetsync-prom-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly DateTimeOffset Finished = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);

    private static SyncRunSummary Run(string status) =>
        new()
        {
            RunId = 7,
            Status = RunStatusNames.FromName(status),
            FinishedAt = Finished,
            Duration = TimeSpan.FromSeconds(90),
            Succeeded = 40,
            Unchanged = 30,
            Failed = 2,
            Skipped = 1,
            NotReached = 5,
            Requests = 50,
            Throttled = 3,
            RequestsPerSecond = 0.5,
        };

    private static SyncStatus Register() =>
        new()
        {
            SyncedAssets = 90,
            FailedAssets = 4,
            NeverSynced = 6,
            DeferredAssets = 1,
            StaleAssets = 2,
            TotalAssets = 100,
            SyncAgeMedian = TimeSpan.FromHours(10),
            SyncAge95 = TimeSpan.FromHours(20),
            SyncAgeMax = TimeSpan.FromDays(2),
            SyncAgeSum = TimeSpan.FromHours(900),
            LastSuccessAt = Finished.AddDays(-1),
            LastRuns = [],
        };

    private static Dictionary<string, double> Samples(string text) =>
        text.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("complete")]
    [InlineData("cancelled")]
    [InlineData("failed")]
    public void The_last_run_status_is_one_for_the_run_and_zero_for_the_others(string status)
    {
        var samples = Samples(PrometheusTextFile.Format(Run(status), null));
        foreach (var s in RunStatusNames.Closing)
        {
            Assert.Equal(s.Name() == status ? 1 : 0, samples[$"assetsync_last_run_status{{status=\"{s.Name()}\"}}"]);
        }
    }

    [Fact]
    public void Every_series_has_its_help_and_type_and_the_run_figures_as_given()
    {
        var text = PrometheusTextFile.Format(Run("complete"), Register());
        var names = text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('{', ' ')[0]).Distinct();
        foreach (var name in names.Where(n => !n.EndsWith("_sum", StringComparison.Ordinal) && !n.EndsWith("_count", StringComparison.Ordinal)))
        {
            Assert.Contains($"# HELP {name} ", text, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {name} ", text, StringComparison.Ordinal);
        }
        var samples = Samples(text);
        Assert.Equal(Finished.ToUnixTimeSeconds(), samples["assetsync_last_run_timestamp_seconds"]);
        Assert.Equal(90, samples["assetsync_run_duration_seconds"]);
        Assert.Equal(5, samples["assetsync_run_assets{outcome=\"not_reached\"}"]);
        Assert.Equal(3, samples["assetsync_run_throttled"]);
        Assert.Equal(2, samples["assetsync_register_assets{state=\"stale\"}"]);
        Assert.Equal(36000, samples["assetsync_sync_age_seconds{quantile=\"0.5\"}"]);
        Assert.Equal(90, samples["assetsync_sync_age_seconds_count"]);
        Assert.Equal(3240000, samples["assetsync_sync_age_seconds_sum"]);
        Assert.Contains("# TYPE assetsync_sync_age_seconds summary", text, StringComparison.Ordinal);
        // The register's last success, not the run's end, when the register could be read.
        Assert.Equal(Finished.AddDays(-1).ToUnixTimeSeconds(), samples["assetsync_last_success_timestamp_seconds"]);
    }

    [Fact]
    public void Without_the_register_its_series_are_left_out_and_a_failed_run_has_no_last_success()
    {
        var samples = Samples(PrometheusTextFile.Format(Run("failed"), null));
        Assert.DoesNotContain(samples.Keys, k =>
            k.StartsWith("assetsync_register_", StringComparison.Ordinal) || k.StartsWith("assetsync_sync_age", StringComparison.Ordinal)
        );
        Assert.False(samples.ContainsKey("assetsync_last_success_timestamp_seconds"));
    }

    [Fact]
    public void Write_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_folder, "sub", "assetsync.prom");
        PrometheusTextFile.Write(path, Run("complete"), null);
        PrometheusTextFile.Write(path, Run("failed"), Register());

        Assert.Equal(PrometheusTextFile.Format(Run("failed"), Register()), File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Path.Combine(_folder, "sub")));
    }
}
