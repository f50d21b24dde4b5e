using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Deletes old ic3_sync_log rows in small batches; what status, failures and retry-failed report does not change.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CmmsSyncLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SyncLogRemoval))]
public sealed class RemoveCmmsSyncLogCommand : DatabaseCommandBase
{
    /// <summary>An age (TimeSpan: rows older than that) or a point in time (DateTime: rows before then).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [CutoffTransformation]
    public DateTimeOffset OlderThan { get; set; }

    protected override async Task EndProcessingAsync()
    {
        await using var database = new SyncDatabase(ResolveConnectionString());
        var rows = await database.CountLogAsync(OlderThan, CancelToken).ConfigureAwait(false);
        var target = $"ic3_sync_log in {database.Target}";
        var action = $"Delete {rows:N0} row(s) synced before {OlderThan:u} (each asset's latest deciding row is kept)";
        if (!await OnPipelineThread(() => ShouldProcess(target, action)).ConfigureAwait(false))
        {
            return;
        }
        var started = Environment.TickCount64;
        var bar = new ProgressBar(this, ProgressBar.LogRemovalActivity, "Removing old ic3_sync_log rows");
        var progress = new Progress(bar, rows);
        var removed = await database.RemoveLogAsync(OlderThan, progress, CancelToken).ConfigureAwait(false);
        bar.Complete();
        PostVerbose($"Removed {removed:N0} ic3_sync_log row(s) older than {OlderThan:u} from {database.Target}.");
        PostObject(
            new SyncLogRemoval
            {
                OlderThan = OlderThan,
                Removed = removed,
                Duration = TimeSpan.FromMilliseconds(Environment.TickCount64 - started),
                Database = database.Target,
            }
        );
    }

    private sealed class Progress(ProgressBar bar, long expected) : IProgress<(long Removed, long PagesDone, long Pages)>
    {
        public void Report((long Removed, long PagesDone, long Pages) value) =>
            bar.Report(
                $"{value.Removed:N0} of about {expected:N0} rows removed",
                value.PagesDone,
                value.Pages > 0 ? value.Pages : null,
                percent: value.Pages > 0 ? null : 100,
                force: true
            );
    }
}
