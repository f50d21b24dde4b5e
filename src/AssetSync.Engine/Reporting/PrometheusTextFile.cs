using System.Globalization;
using System.Text;

namespace AssetSync.Reporting;

/// <summary>
/// A run's figures and the register's state in the Prometheus text exposition format (0.0.4), as the textfile collectors
/// of node_exporter and windows_exporter read it. Every metric is a gauge with HELP and TYPE lines, but the sync age, a
/// summary (quantiles 0.5, 0.95 and 1, with _sum and _count), as promtool check metrics wants; the names are fixed
/// (monitoring rules and acceptance tests read them). The file is replaced atomically: written beside the old one under a
/// temporary name, then renamed over it, so a scrape never sees half a file.
/// </summary>
public static class PrometheusTextFile
{
    /// <summary>The text for <paramref name="run"/> and, when it could be read, the register's <paramref name="register"/>.</summary>
    public static string Format(SyncRunSummary run, SyncStatus? register)
    {
        ArgumentNullException.ThrowIfNull(run);
        var text = new StringBuilder();
        var finished = run.FinishedAt ?? DateTimeOffset.UtcNow;
        Gauge(text, "assetsync_last_run_timestamp_seconds", "When the last run ended (Unix time).", [(null, Seconds(finished))]);
        var lastSuccess = register?.LastSuccessAt ?? (run.Status == RunStatus.Complete ? run.FinishedAt : null);
        Gauge(
            text,
            "assetsync_last_success_timestamp_seconds",
            "When the last run that ended complete ended (Unix time).",
            lastSuccess is { } ok ? [(null, Seconds(ok))] : []
        );
        Gauge(
            text,
            "assetsync_last_run_status",
            "1 for the status the last run ended with, 0 for the others.",
            RunStatusNames.Closing.Select(s => ((string?)$"status=\"{s.Name()}\"", s == run.Status ? 1.0 : 0.0)).ToList()
        );
        Gauge(text, "assetsync_run_duration_seconds", "How long the last run took.", [(null, (run.Duration ?? TimeSpan.Zero).TotalSeconds)]);
        Gauge(
            text,
            "assetsync_run_assets",
            "Assets of the last run by outcome (succeeded includes unchanged).",
            [
                ("outcome=\"succeeded\"", run.Succeeded),
                ("outcome=\"unchanged\"", run.Unchanged),
                ("outcome=\"failed\"", run.Failed),
                ("outcome=\"skipped\"", run.Skipped),
                ("outcome=\"not_reached\"", run.NotReached),
            ]
        );
        Gauge(text, "assetsync_run_requests", "HTTP requests the last run sent, retries included.", [(null, run.Requests)]);
        Gauge(text, "assetsync_run_throttled", "429 answers the last run received.", [(null, run.Throttled)]);
        Gauge(
            text,
            "assetsync_run_requests_per_second",
            "The rate the last run achieved: requests over its duration.",
            [(null, run.RequestsPerSecond ?? 0)]
        );
        if (register is not null)
        {
            Gauge(
                text,
                "assetsync_register_assets",
                "Assets of the register by state, as Get-CmmsSyncStatus counts them.",
                [
                    ("state=\"synced\"", register.SyncedAssets),
                    ("state=\"failed\"", register.FailedAssets),
                    ("state=\"never\"", register.NeverSynced),
                    ("state=\"deferred\"", register.DeferredAssets),
                    ("state=\"stale\"", register.StaleAssets),
                ]
            );
            if (register.EstimatedOutdatedAssets is { } outdated)
            {
                Gauge(
                    text,
                    "assetsync_estimated_outdated_assets",
                    "Expected number of synced assets changed in Innomaint since their last sync, from each one's posterior change rate.",
                    [(null, outdated)]
                );
                Gauge(
                    text,
                    "assetsync_estimated_outdated_assets_interval",
                    "The 90% interval of assetsync_estimated_outdated_assets: its lower and upper ends.",
                    [
                        ("bound=\"low\"", register.EstimatedOutdatedAssetsLow ?? outdated),
                        ("bound=\"high\"", register.EstimatedOutdatedAssetsHigh ?? outdated),
                    ]
                );
                Gauge(
                    text,
                    "assetsync_estimated_outdated_assets_by_criticality",
                    "assetsync_estimated_outdated_assets by the register's criticality (\"\" for assets without one).",
                    [.. register.EstimatedOutdatedByCriticality.Select(g => ((string?)$"criticality=\"{LabelValue(g.Criticality)}\"", g.Expected))]
                );
            }
            Gauge(
                text,
                "assetsync_run_volatile_answers",
                "Answers of the last run that differed from the stored body only in fields AssetSync does not write.",
                [(null, run.VolatileAnswers)]
            );
            Gauge(
                text,
                "assetsync_last_modified_stamped_on_read",
                "1 when the latest batch run found Innomaint stamping last_modified on every read.",
                [(null, register.LastModifiedStampedOnRead ? 1 : 0)]
            );
            // A summary, not a gauge: "quantile" is a summary's label, and promtool refuses it anywhere else.
            var ages = new List<(string?, double)>();
            foreach (var (quantile, age) in new[] { ("0.5", register.SyncAgeMedian), ("0.95", register.SyncAge95), ("1", register.SyncAgeMax) })
            {
                if (age is { } a)
                {
                    ages.Add(($"quantile=\"{quantile}\"", a.TotalSeconds));
                }
            }
            Metric(
                text,
                "assetsync_sync_age_seconds",
                "summary",
                "Age of the synced assets' last success: median, 95th percentile and oldest.",
                ages,
                [
                    ("assetsync_sync_age_seconds_sum", (register.SyncAgeSum ?? TimeSpan.Zero).TotalSeconds),
                    ("assetsync_sync_age_seconds_count", register.SyncedAssets),
                ]
            );
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to <paramref name="path"/> atomically (a temporary file in the same folder, then a rename).</summary>
    public static void Write(string path, SyncRunSummary run, SyncStatus? register)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        // Same folder, so the rename is atomic; a name the collectors skip (they read *.prom only).
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temporary, Format(run, register), new UTF8Encoding(false));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>A label value from the register (untrusted): made inert, then escaped as the text format requires (\\, \", \n).</summary>
    private static string LabelValue(string? value) =>
        (TextSafety.Inert(value, 100) ?? "")
            .Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private static void Gauge(StringBuilder text, string name, string help, IReadOnlyList<(string? Labels, double Value)> samples) =>
        Metric(text, name, "gauge", help, samples, []);

    private static void Metric(
        StringBuilder text,
        string name,
        string type,
        string help,
        IReadOnlyList<(string? Labels, double Value)> samples,
        IReadOnlyList<(string Name, double Value)> extra
    )
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value) in samples)
        {
            text.Append(name);
            if (labels is not null)
            {
                text.Append('{').Append(labels).Append('}');
            }
            text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        foreach (var (series, value) in extra)
        {
            text.Append(series).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
