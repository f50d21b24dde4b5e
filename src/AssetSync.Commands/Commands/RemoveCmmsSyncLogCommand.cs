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
    private const int ProgressActivityId = 0x4156;

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
        var progress = new Progress(this, rows);
        var removed = await database.RemoveLogAsync(OlderThan, progress, CancelToken).ConfigureAwait(false);
        PostProgress(new ProgressRecord(ProgressActivityId, "Removing old ic3_sync_log rows", "Done") { RecordType = ProgressRecordType.Completed });
        PostVerbose($"Removed {removed:N0} ic3_sync_log row(s) older than {OlderThan:u} from {database.Target}.");
        PostObject(new SyncLogRemoval
        {
            OlderThan = OlderThan,
            Removed = removed,
            Duration = TimeSpan.FromMilliseconds(Environment.TickCount64 - started),
            Database = database.Target,
        });
    }

    private sealed class Progress(RemoveCmmsSyncLogCommand cmdlet, long expected) : IProgress<(long Removed, long PagesDone, long Pages)>
    {
        public void Report((long Removed, long PagesDone, long Pages) value) =>
            cmdlet.PostProgress(new ProgressRecord(ProgressActivityId, "Removing old ic3_sync_log rows", $"{value.Removed:N0} of about {expected:N0} rows removed")
            {
                PercentComplete = value.Pages > 0 ? (int)Math.Clamp(value.PagesDone * 100 / value.Pages, 0, 100) : 100,
            });
    }
}
