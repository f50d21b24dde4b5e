using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Re-syncs only the assets whose current state is error.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CmmsRetryFailed", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AssetSyncResult), typeof(SyncRunSummary))]
public sealed class InvokeCmmsRetryFailedCommand : SyncCommandBase
{
    /// <summary>At most this many failed assets; 0 means all.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int BatchSize { get; set; } = SyncDefaults.RetryBatchSize;

    protected override Task EndProcessingAsync()
    {
        var options = BuildOptions();
        return RunSyncAsync(AssetSelection.RetryFailed(BatchSize, IncludeDeferred), options);
    }
}
