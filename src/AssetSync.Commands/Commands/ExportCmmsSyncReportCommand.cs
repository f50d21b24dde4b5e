using System.Management.Automation;
using AssetSync.Commands.Infrastructure;
using AssetSync.Reporting;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Writes a self-contained HTML health report: runs, failures by kind, oldest failures, never-synced assets.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "CmmsSyncReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportCmmsSyncReportCommand : DatabaseCommandBase
{
    /// <summary>The HTML file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>How many of the latest runs the chart shows.</summary>
    [Parameter]
    [ValidateRange(1, 500)]
    public int Last { get; set; } = SyncDefaults.ReportLastRuns;

    /// <summary>How many oldest-failing and never-synced assets to list.</summary>
    [Parameter]
    [ValidateRange(0, 10000)]
    public int Top { get; set; } = SyncDefaults.ReportTop;

    /// <summary>Emit the written file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task EndProcessingAsync()
    {
        var path = await OnPipelineThread(() => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)).ConfigureAwait(false);
        if (!await OnPipelineThread(() => ShouldProcess(path, "Write AssetSync health report")).ConfigureAwait(false))
        {
            return;
        }
        await using var database = new SyncDatabase(ResolveConnectionString());
        var report = await database.GetReportAsync(Last, Top, CancelToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(path, SyncReportWriter.Render(report), CancelToken).ConfigureAwait(false);
        PostVerbose($"Wrote the health report of {report.Database} to {path}.");
        if (PassThru)
        {
            PostObject(new FileInfo(path));
        }
    }
}
