using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Syncs asset details from Innomaint into the IC3 asset register.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CmmsSync", DefaultParameterSetName = BatchSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AssetSyncResult), typeof(SyncRunSummary))]
public sealed class InvokeCmmsSyncCommand : SyncCommandBase
{
    private const string BatchSet = "Batch";
    private const string RetryFailedSet = "RetryFailed";
    private const string SerialSet = "SerialNumber";

    private readonly List<string> _serials = [];

    /// <summary>Assets to sync; 0 means all. Default 100 for a batch run; with -RetryFailed, all failed assets, as Invoke-CmmsRetryFailed.</summary>
    [Parameter(ParameterSetName = BatchSet)]
    [Parameter(ParameterSetName = RetryFailedSet)]
    [ValidateRange(0, int.MaxValue)]
    public int BatchSize { get; set; } = SyncOptions.DefaultBatchSize;

    /// <summary>Assets to skip at the start of the batch order.</summary>
    [Parameter(ParameterSetName = BatchSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Offset { get; set; }

    /// <summary>Sync only the assets whose current state is error.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RetryFailedSet)]
    public SwitchParameter RetryFailed { get; set; }

    /// <summary>Sync exactly these serial numbers (ic3_asset_master.cmms_asset_id).</summary>
    [Parameter(Mandatory = true, ParameterSetName = SerialSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, Position = 0)]
    [Alias("CmmsAssetId", "Serial")]
    [ArgumentCompleter(typeof(Completion.FailedSerialNumberCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] SerialNumber { get; set; } = [];

    protected override Task ProcessRecordAsync()
    {
        if (ParameterSetName == SerialSet)
        {
            // Gathered, then synced as one run in EndProcessing: one run row, one rate budget.
            _serials.AddRange(SerialNumber);
        }
        return Task.CompletedTask;
    }

    protected override Task EndProcessingAsync()
    {
        var options = BuildOptions();
        var selection = ParameterSetName switch
        {
            SerialSet => AssetSelection.Serials(_serials),
            RetryFailedSet => AssetSelection.RetryFailed(MyInvocation.BoundParameters.ContainsKey(nameof(BatchSize)) ? BatchSize : SyncOptions.DefaultRetryBatchSize),
            _ => AssetSelection.Batch(BatchSize, Offset),
        };
        return RunSyncAsync(selection, options);
    }
}
