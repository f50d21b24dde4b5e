using System.Globalization;
using System.Net;
using System.Text;

namespace AssetSync.Reporting;

/// <summary>
/// Renders a <see cref="SyncReport"/> as one self-contained HTML page: inline CSS and SVG, no script,
/// no font or image fetched from anywhere, so it opens the same from a mail attachment or a share.
/// Figures carry data-* attributes so tools (and tests) can read them back.
/// </summary>
public static class SyncReportWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(SyncReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Status;
        var html = new StringBuilder(16 * 1024);
        html.Append(
            """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy"
                content="default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>AssetSync health report</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem;color:#1f2933;background:#f7f9fb}
            h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .6rem}
            .meta{color:#52606d;font-size:.9rem}
            .cards{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1.2rem}
            .card{background:#fff;border-radius:8px;padding:1rem 1.4rem;box-shadow:0 1px 3px rgba(0,0,0,.12);min-width:9rem}
            .card .n{font-size:2rem;font-weight:600}.card .l{color:#52606d;font-size:.85rem}
            .ok{color:#1b7f3b}.bad{color:#c62828}.never{color:#8a6d00}
            table{border-collapse:collapse;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12);font-size:.9rem}
            th,td{padding:.4rem .8rem;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
            th{background:#eef2f6}td.num{text-align:right}
            .legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
            .empty{color:#52606d;font-style:italic}
            </style></head><body>
            """
        );
        html.Append("<h1>AssetSync health report</h1>");
        html.Append(
            CultureInfo.InvariantCulture,
            $"<div class=\"meta\">Database {E(report.Database)} · generated {report.GeneratedAt.ToUniversalTime():yyyy-MM-dd HH:mm} UTC · last "
                + $"sync {(s.LastSyncAt is { } at ? at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant) : "never")}</div>"
        );

        html.Append("<div class=\"cards\">");
        Card(html, "total-assets", s.TotalAssets, "assets in the register", "");
        Card(html, "synced-assets", s.SyncedAssets, "synced", "ok");
        Card(html, "failed-assets", s.FailedAssets, "failing now", "bad");
        Card(html, "never-synced", s.NeverSynced, "never attempted", "never");
        Card(html, "deferred-assets", s.DeferredAssets, "deferred (404, 4xx)", "never");
        Card(html, "stale-assets", s.StaleAssets, $"stale (no fresh data for {s.StaleAfter.TotalDays:0.#} days; deferred not counted)", "bad");
        if (s.EstimatedOutdatedAssets is { } outdated)
        {
            Card(
                html,
                "estimated-outdated-assets",
                (long)Math.Round(outdated),
                $"probably changed in Innomaint since their last sync (estimated; 90 % between {s.EstimatedOutdatedAssetsLow ?? outdated:N0} and "
                    + $"{s.EstimatedOutdatedAssetsHigh ?? outdated:N0})",
                "bad"
            );
        }
        else
        {
            html.Append(
                "<div class=\"card\"><div class=\"n never\" data-testid=\"estimated-outdated-assets\" data-value=\"\">n/a</div><div "
                    + "class=\"l\">probably out of date: no change model yet (a batch run fits one)</div></div>"
            );
        }
        html.Append("</div>");
        html.Append(
            Invariant,
            $"<div class=\"meta\">Last complete run "
                + $"{(s.LastSuccessAt is { } ok ? ok.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant) : "never")} · sync age median "
                + $"{Age(s.SyncAgeMedian)}, 95th percentile {Age(s.SyncAge95)}, oldest {Age(s.SyncAgeMax)}</div>"
        );

        if (s.LastModifiedStampedOnRead)
        {
            html.Append(
                "<p class=\"meta\" data-testid=\"stamped-on-read\">Innomaint stamps last_modified on every read: it is not used to learn change "
                    + "rates.</p>"
            );
        }

        html.Append("<h2>Latest runs</h2>");
        html.Append("<div class=\"charts\" style=\"display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start\">");
        RunsChart(html, s.LastRuns);
        OutdatedChart(html, s.LastRuns);
        html.Append("</div>");

        html.Append("<h2>Estimated out of date, by criticality</h2>");
        if (s.EstimatedOutdatedByCriticality.Count == 0)
        {
            html.Append("<p class=\"empty\">No change model yet: a batch run fits one.</p>");
        }
        else
        {
            html.Append(
                "<table data-testid=\"outdated-by-criticality\"><tr><th>Criticality</th><th>Synced assets</th><th>Estimated out of "
                    + "date</th><th>90 % interval</th></tr>"
            );
            foreach (var g in s.EstimatedOutdatedByCriticality)
            {
                html.Append(
                    Invariant,
                    $"<tr data-criticality=\"{E(g.Criticality)}\" "
                        + $"data-expected=\"{g.Expected:0.###}\"><td>{(g.Criticality is null ? "(none)" : E(g.Criticality))}</td><td "
                        + $"class=\"num\">{g.SyncedAssets:N0}</td><td class=\"num\">{g.Expected:N1}</td><td class=\"num\">{g.Low:N1} – "
                        + $"{g.High:N1}</td></tr>"
                );
            }
            html.Append("</table>");
        }

        html.Append("<h2>Current failures by error kind</h2>");
        if (report.FailuresByKind.Count == 0)
        {
            html.Append("<p class=\"empty\">No asset is failing.</p>");
        }
        else
        {
            html.Append("<table data-testid=\"failures-by-kind\"><tr><th>Error kind</th><th>Assets</th></tr>");
            foreach (var (kind, count) in report.FailuresByKind)
            {
                html.Append(
                    Invariant,
                    $"<tr data-kind=\"{E(kind)}\" data-count=\"{count}\"><td>{E(kind)}</td><td class=\"num\">{count:N0}</td></tr>"
                );
            }
            html.Append("</table>");
        }

        html.Append("<h2>Failing for longest</h2>");
        if (report.OldestFailing.Count == 0)
        {
            html.Append("<p class=\"empty\">No asset is failing.</p>");
        }
        else
        {
            html.Append(
                "<table data-testid=\"oldest-failing\"><tr><th>Serial number</th><th>Asset</th><th>Department</th><th>Failing "
                    + "since</th><th>Failures</th><th>Kind</th><th>HTTP</th><th>Next try</th><th>Last error</th></tr>"
            );
            foreach (var f in report.OldestFailing)
            {
                html.Append(
                    Invariant,
                    $"<tr data-serial=\"{E(f.SerialNumber)}\"><td>{E(f.SerialNumber)}</td><td>{E(f.AssetCode)} "
                        + $"{E(f.AssetName)}</td><td>{E(f.Department)}</td>"
                        + $"<td>{f.FailingSince?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", Invariant)}</td>"
                        + $"<td class=\"num\">{f.ConsecutiveFailures}</td><td>{E(f.ErrorKind)}</td><td class=\"num\">{f.HttpStatus}</td>"
                        + $"<td>{(f.Deferred ? f.NextAttemptAt?.ToUniversalTime().ToString("yyyy-MM-dd", Invariant) : "next run")}</td>"
                        + $"<td>{E(f.Error)}</td></tr>"
                );
            }
            html.Append("</table>");
        }

        html.Append("<h2>How long ago assets last synced</h2>");
        AgeHistogram(html, report.SyncAgeHistogram);
        html.Append("<h2>Assets by estimated change rate</h2>");
        if (report.ChangeRateHistogram.Count == 0)
        {
            html.Append(
                "<p class=\"empty\">No change model yet: a batch run fits one once assets have been seen twice, or once with Innomaint's "
                    + "last_modified.</p>"
            );
        }
        else
        {
            Bars(html, "change-rate-histogram", "Assets by estimated mean time between changes", report.ChangeRateHistogram, "not observed yet", 4);
        }

        html.Append("<h2>Stalest synced assets</h2>");
        if (report.Stalest.Count == 0)
        {
            html.Append("<p class=\"empty\">No asset has synced yet.</p>");
        }
        else
        {
            html.Append(
                "<table data-testid=\"stalest\"><tr><th>Serial number</th><th>Asset</th><th>Department</th><th>Last success</th><th>Now</th></tr>"
            );
            foreach (var a in report.Stalest)
            {
                html.Append(
                    Invariant,
                    $"<tr data-serial=\"{E(a.SerialNumber)}\"><td>{E(a.SerialNumber)}</td><td>{E(a.AssetCode)} "
                        + $"{E(a.AssetName)}</td><td>{E(a.Department)}</td>"
                        + $"<td>{a.LastSuccessAt?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", Invariant)}</td><td>{E(a.Status)}</td></tr>"
                );
            }
            html.Append("</table>");
        }

        html.Append(Invariant, $"<h2>Never synced ({s.NeverSynced:N0})</h2>");
        if (report.NeverSynced.Count == 0)
        {
            html.Append("<p class=\"empty\">Every asset has been synced at least once.</p>");
        }
        else
        {
            html.Append("<table data-testid=\"never-synced-list\"><tr><th>Serial number</th></tr>");
            foreach (var serial in report.NeverSynced)
            {
                html.Append(Invariant, $"<tr data-serial=\"{E(serial)}\"><td>{E(serial)}</td></tr>");
            }
            html.Append("</table>");
            if (s.NeverSynced > report.NeverSynced.Count)
            {
                html.Append(Invariant, $"<p class=\"meta\">… and {s.NeverSynced - report.NeverSynced.Count:N0} more.</p>");
            }
        }
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Card(StringBuilder html, string id, long value, string label, string css) =>
        html.Append(
            Invariant,
            $"<div class=\"card\"><div class=\"n {css}\" data-testid=\"{id}\" data-value=\"{value}\">{value:N0}</div><div "
                + $"class=\"l\">{label}</div></div>"
        );

    private static string Age(TimeSpan? age) =>
        age switch
        {
            null => "n/a",
            { TotalDays: >= 1 } t => string.Create(Invariant, $"{t.TotalDays:0.#} days"),
            { TotalHours: >= 1 } t => string.Create(Invariant, $"{t.TotalHours:0.#} h"),
            { } t => string.Create(Invariant, $"{t.TotalMinutes:0} min"),
        };

    /// <summary>
    /// A stacked bar per run, oldest on the left: green succeeded (light green: unchanged), red failed. Under each bar its
    /// date and time; the run kind as a letter (B batch, R retry, S serials) and its status; an interrupted, cancelled
    /// or failed run is outlined and labelled. The y axis gets a margin wide enough for its largest label.
    /// </summary>
    private static void RunsChart(StringBuilder html, IReadOnlyList<SyncRunSummary> newestFirst)
    {
        if (newestFirst.Count == 0)
        {
            html.Append("<p class=\"empty\">No run yet.</p>");
            return;
        }
        var runs = newestFirst.Reverse().ToList();
        var max = Math.Max(1, runs.Max(r => r.Succeeded + r.Failed));
        var maxLabel = max.ToString("N0", Invariant);
        const int height = 250,
            barWidth = 46,
            gap = 20,
            top = 20,
            bottom = 64;
        var left = 16 + (maxLabel.Length * 7);
        var width = left + runs.Count * (barWidth + gap) + gap;
        var plot = height - top - bottom;
        html.Append(
            Invariant,
            $"<svg data-testid=\"runs-chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" "
                + $"aria-label=\"Succeeded and failed assets per run\" style=\"background:#fff;border-radius:8px;box-shadow:0 1px 3px "
                + $"rgba(0,0,0,.12)\">"
        );
        html.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{top + 4}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">{maxLabel}</text>");
        html.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{top + plot}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">0</text>");
        html.Append(
            Invariant,
            $"<text x=\"10\" y=\"{top + (plot / 2)}\" font-size=\"10\" fill=\"#52606d\" transform=\"rotate(-90 10 {top + (plot / 2)})\" "
                + $"text-anchor=\"middle\">assets</text>"
        );
        html.Append(Invariant, $"<line x1=\"{left}\" y1=\"{top + plot}\" x2=\"{width - (gap / 2)}\" y2=\"{top + plot}\" stroke=\"#9aa5b1\"/>");
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            var x = left + gap + (i * (barWidth + gap));
            var changed = r.Succeeded - r.Unchanged;
            var okChanged = (int)Math.Round((double)changed / max * plot);
            var okSame = (int)Math.Round((double)r.Unchanged / max * plot);
            var bad = (int)Math.Round((double)r.Failed / max * plot);
            var y = top + plot;
            var kind = SelectionMode.FromName(r.Mode)?.Letter ?? "?";
            var broken = r.Status.IsBroken();
            html.Append(
                Invariant,
                $"<g data-run-id=\"{r.RunId}\" data-succeeded=\"{r.Succeeded}\" data-failed=\"{r.Failed}\" data-unchanged=\"{r.Unchanged}\" "
                    + $"data-status=\"{r.Status.Name()}\" data-mode=\"{E(r.Mode)}\">"
            );
            html.Append(
                Invariant,
                $"<title>Run {r.RunId} ({E(r.Mode)}, {r.Status.Name()}{(r.StoppedBy is null ? "" : ", stopped by " + E(r.StoppedBy))}), started "
                    + $"{r.StartedAt?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant)}: {r.Succeeded:N0} succeeded "
                    + $"({r.Unchanged:N0} unchanged), {r.Failed:N0} failed, {r.NotReached:N0} not reached</title>"
            );
            html.Append(Invariant, $"<rect x=\"{x}\" y=\"{y - okChanged}\" width=\"{barWidth}\" height=\"{okChanged}\" fill=\"#2e9d57\"/>");
            html.Append(Invariant, $"<rect x=\"{x}\" y=\"{y - okChanged - okSame}\" width=\"{barWidth}\" height=\"{okSame}\" fill=\"#9fd8b2\"/>");
            html.Append(Invariant, $"<rect x=\"{x}\" y=\"{y - okChanged - okSame - bad}\" width=\"{barWidth}\" height=\"{bad}\" fill=\"#d64545\"/>");
            if (broken)
            {
                // Around what was decided, not the whole plot: a run that stopped early did not do the rest (its NotReached).
                var drawn = Math.Max(okChanged + okSame + bad, 6);
                html.Append(
                    Invariant,
                    $"<rect data-outline=\"broken\" x=\"{x - 2}\" y=\"{y - drawn - 2}\" width=\"{barWidth + 4}\" height=\"{drawn + 2}\" "
                        + $"fill=\"none\" stroke=\"#8a6d00\" stroke-dasharray=\"4 3\"/>"
                );
            }
            html.Append(
                Invariant,
                $"<text x=\"{x + (barWidth / 2)}\" y=\"{y + 14}\" font-size=\"10\" text-anchor=\"middle\" "
                    + $"fill=\"#1f2933\">{r.StartedAt?.ToUniversalTime().ToString("MM-dd", Invariant)}</text>"
            );
            html.Append(
                Invariant,
                $"<text x=\"{x + (barWidth / 2)}\" y=\"{y + 26}\" font-size=\"10\" text-anchor=\"middle\" "
                    + $"fill=\"#52606d\">{r.StartedAt?.ToUniversalTime().ToString("HH:mm", Invariant)}</text>"
            );
            html.Append(
                Invariant,
                $"<text x=\"{x + (barWidth / 2)}\" y=\"{y + 40}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1f2933\">{kind} #{r.RunId}</text>"
            );
            html.Append(
                Invariant,
                $"<text x=\"{x + (barWidth / 2)}\" y=\"{y + 53}\" font-size=\"9\" text-anchor=\"middle\" "
                    + $"fill=\"{(broken ? "#8a6d00" : "#52606d")}\">{r.Status.Name()}</text>"
            );
            html.Append("</g>");
        }
        html.Append("</svg>");
        html.Append(
            "<div class=\"legend meta\"><span style=\"background:#2e9d57\"></span>succeeded, rewritten<span "
                + "style=\"background:#9fd8b2\"></span>succeeded, unchanged<span style=\"background:#d64545\"></span>failed<span style=\"border:1px "
                + "dashed #8a6d00\"></span>interrupted, cancelled or failed run · B batch, R retry-failed, S serial numbers · dates in UTC</div>"
        );
    }

    /// <summary>
    /// The estimated outdated assets as each batch run left the register (cmms_sync_log.estimated_outdated), one line per
    /// criticality (the five largest) and one for all, oldest run first: how fresh the critical devices stay, night after night.
    /// </summary>
    private static void OutdatedChart(StringBuilder html, IReadOnlyList<SyncRunSummary> newestFirst)
    {
        var runs = newestFirst.Where(r => r.EstimatedOutdatedAssets is not null).Reverse().ToList();
        if (runs.Count == 0)
        {
            html.Append("<p class=\"empty\" data-testid=\"outdated-chart\">No estimate recorded yet: each batch run records one as it ends.</p>");
            return;
        }
        var names = runs.SelectMany(r => r.EstimatedOutdatedByCriticality)
            .GroupBy(g => g.Criticality)
            .OrderByDescending(g => g.Max(x => x.SyncedAssets))
            .Take(5)
            .Select(g => g.Key)
            .ToList();
        var max = Math.Max(1, runs.Max(r => r.EstimatedOutdatedAssets!.High));
        const int height = 250,
            top = 20,
            bottom = 40,
            left = 56,
            step = 66;
        var width = left + Math.Max(1, runs.Count) * step + 140;
        var plot = height - top - bottom;
        string[] colours = ["#d64545", "#d9822b", "#2680c2", "#8a6d00", "#7b61b0"];
        double Y(double v) => top + plot - (v / max * plot);
        html.Append(
            Invariant,
            $"<svg data-testid=\"outdated-chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" "
                + $"aria-label=\"Estimated outdated assets per run, by criticality\" style=\"background:#fff;border-radius:8px;box-shadow:0 1px 3px "
                + $"rgba(0,0,0,.12)\">"
        );
        html.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{top + 4}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">{max:N0}</text>");
        html.Append(Invariant, $"<text x=\"{left - 6}\" y=\"{top + plot}\" font-size=\"11\" text-anchor=\"end\" fill=\"#52606d\">0</text>");
        html.Append(
            Invariant,
            $"<line x1=\"{left}\" y1=\"{top + plot}\" x2=\"{left + (runs.Count * step)}\" y2=\"{top + plot}\" stroke=\"#9aa5b1\"/>"
        );
        // The register's 90 % band, then its line, then one line per criticality.
        var band = string.Join(
            " ",
            runs.Select((r, i) => $"{left + (i * step) + (step / 2)},{Y(r.EstimatedOutdatedAssets!.High):0.#}")
                .Concat(
                    runs.Select((r, i) => (r, i))
                        .Reverse()
                        .Select(p => $"{left + (p.i * step) + (step / 2)},{Y(p.r.EstimatedOutdatedAssets!.Low):0.#}")
                )
        );
        html.Append(Invariant, $"<polygon points=\"{band}\" fill=\"#cbd2d9\" opacity=\"0.6\"/>");
        Line(html, "all", "#1f2933", runs.Select(r => r.EstimatedOutdatedAssets!.Expected).ToList(), runs);
        for (var n = 0; n < names.Count; n++)
        {
            var values = runs.Select(r => r.EstimatedOutdatedByCriticality.FirstOrDefault(g => g.Criticality == names[n])?.Expected ?? 0).ToList();
            Line(html, names[n] ?? "(none)", colours[n], values, runs);
        }
        for (var i = 0; i < runs.Count; i++)
        {
            html.Append(
                Invariant,
                $"<text x=\"{left + (i * step) + (step / 2)}\" y=\"{top + plot + 14}\" font-size=\"10\" text-anchor=\"middle\" "
                    + $"fill=\"#1f2933\">#{runs[i].RunId}</text>"
            );
            html.Append(
                Invariant,
                $"<text x=\"{left + (i * step) + (step / 2)}\" y=\"{top + plot + 26}\" font-size=\"10\" text-anchor=\"middle\" "
                    + $"fill=\"#52606d\">{runs[i].StartedAt?.ToUniversalTime().ToString("MM-dd", Invariant)}</text>"
            );
        }
        html.Append("</svg>");

        void Line(StringBuilder svg, string name, string colour, List<double> values, List<SyncRunSummary> at)
        {
            var points = string.Join(" ", values.Select((v, i) => $"{left + (i * step) + (step / 2)},{Y(v):0.#}"));
            svg.Append(
                Invariant,
                $"<g data-series=\"{E(name)}\" data-values=\"{string.Join(" ", values.Select(v => v.ToString("0.###", Invariant)))}\">"
            );
            svg.Append(Invariant, $"<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            for (var i = 0; i < values.Count; i++)
            {
                svg.Append(
                    Invariant,
                    $"<circle cx=\"{left + (i * step) + (step / 2)}\" cy=\"{Y(values[i]):0.#}\" r=\"3\" fill=\"{colour}\"><title>{E(name)}, run "
                        + $"{at[i].RunId}: {values[i]:N1} estimated out of date</title></circle>"
                );
            }
            svg.Append(
                Invariant,
                $"<text x=\"{left + (values.Count * step) + 6}\" y=\"{Y(values[^1]) + 4:0.#}\" font-size=\"11\" "
                    + $"fill=\"{colour}\">{E(name)}</text></g>"
            );
        }
    }

    /// <summary>Horizontal bars: how many assets last synced how long ago.</summary>
    private static void AgeHistogram(StringBuilder html, IReadOnlyList<KeyValuePair<string, long>> buckets) =>
        // "never" here is never succeeded (failing ones included), not the "never attempted" card.
        Bars(html, "age-histogram", "Assets by time since their last sync", buckets, "never", 3, ("never", "never succeeded"));

    /// <summary>
    /// Horizontal bars, one per bucket, each carrying data-bucket and data-count. Buckets from <paramref name="warnFrom"/> on
    /// are drawn as a warning; <paramref name="muted"/> is drawn apart; <paramref name="rename"/> shows one label differently.
    /// </summary>
    private static void Bars(
        StringBuilder html,
        string id,
        string caption,
        IReadOnlyList<KeyValuePair<string, long>> buckets,
        string muted,
        int warnFrom,
        (string Label, string Shown)? rename = null
    )
    {
        if (buckets.Count == 0)
        {
            html.Append("<p class=\"empty\">No data.</p>");
            return;
        }
        var max = Math.Max(1, buckets.Max(b => b.Value));
        const int rowHeight = 24,
            labelWidth = 160,
            barMax = 420;
        var height = (buckets.Count * rowHeight) + 10;
        html.Append(
            Invariant,
            $"<svg data-testid=\"{id}\" width=\"{labelWidth + barMax + 80}\" height=\"{height}\" role=\"img\" aria-label=\"{E(caption)}\" "
                + $"style=\"background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)\">"
        );
        for (var i = 0; i < buckets.Count; i++)
        {
            var (label, count) = buckets[i];
            var y = 5 + (i * rowHeight);
            var w = (int)Math.Round((double)count / max * barMax);
            var colour =
                label == muted ? "#8a6d00"
                : i >= warnFrom ? "#d64545"
                : "#2e9d57";
            var shown = rename is { } r && r.Label == label ? r.Shown : label;
            html.Append(
                Invariant,
                $"<g data-bucket=\"{E(label)}\" data-count=\"{count}\"><text x=\"{labelWidth - 8}\" y=\"{y + 15}\" font-size=\"11\" "
                    + $"text-anchor=\"end\" fill=\"#1f2933\">{E(shown)}</text>"
            );
            html.Append(Invariant, $"<rect x=\"{labelWidth}\" y=\"{y + 3}\" width=\"{w}\" height=\"{rowHeight - 8}\" fill=\"{colour}\"/>");
            html.Append(Invariant, $"<text x=\"{labelWidth + w + 6}\" y=\"{y + 15}\" font-size=\"11\" fill=\"#52606d\">{count:N0}</text></g>");
        }
        html.Append("</svg>");
    }

    /// <summary>Text from the API or the register, made inert (no control characters) and HTML-encoded.</summary>
    private static string E(string? text) => WebUtility.HtmlEncode(TextSafety.Inert(text ?? "")!);
}
