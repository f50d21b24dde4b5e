using System.Collections;
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
    public int BatchSize { get; set; } = SyncDefaults.BatchSize;

    /// <summary>
    /// Assets to skip at the start of the Go service's batch order (report_seq_no). Passing it, even 0, selects that order
    /// instead of stalest first.
    /// </summary>
    [Parameter(ParameterSetName = BatchSet)]
    [ValidateRange(0, int.MaxValue)]
    public int Offset { get; set; }

    /// <summary>
    /// The batch's order. ChangeRate (the default) spends the budget (-BatchSize, -MaxDuration) where a refresh buys the most
    /// freshness: by Cho and Garcia-Molina's refresh index over each asset's estimated change rate (weighted by -CriticalityWeight),
    /// never-synced assets first, then those not verified for longer than -MaxSyncAge, with one place in twenty kept for random audits; before any
    /// change has been observed it orders as Stalest. Stalest is a round robin: never-synced first, then the oldest last success.
    /// Known failures take at most one place in ten in both. -Offset (the Go service's paging) overrides it.
    /// </summary>
    [Parameter(ParameterSetName = BatchSet)]
    public SyncOrder Order { get; set; } = SyncDefaults.Order;

    /// <summary>
    /// ChangeRate's floor: an asset not verified for longer goes first whatever its estimated rate, so a deletion or a missed
    /// change is found in time. A TimeSpan (30.00:00:00, (New-TimeSpan -Days 30)) or seconds; default 30 days.
    /// </summary>
    [Parameter(ParameterSetName = BatchSet)]
    [DurationTransformation]
    public TimeSpan MaxSyncAge { get; set; } = SyncDefaults.MaxSyncAge;

    /// <summary>
    /// ChangeRate's weight of each criticality (ic3_asset_master.criticality, case-insensitive), such as
    /// @{ High = 5; Medium = 2; Low = 1 }: an asset's refresh value is multiplied by its weight (w·ψ, Azar et al., PNAS 2018),
    /// so critical devices are verified first where the budget is short. A criticality not named, or none, weighs 1; a
    /// weight is more than 0 and at most 1,000. Default: every asset 1.
    /// </summary>
    [Parameter(ParameterSetName = BatchSet)]
    [CriticalityWeightTransformation]
    public Hashtable? CriticalityWeight { get; set; }

    /// <summary>Only assets that have not synced successfully since then; never-synced assets are always included.</summary>
    [Parameter(ParameterSetName = BatchSet)]
    [Parameter(ParameterSetName = RetryFailedSet)]
    public DateTime? NotSyncedSince { get; set; }

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
            RetryFailedSet => AssetSelection.RetryFailed(
                MyInvocation.BoundParameters.ContainsKey(nameof(BatchSize)) ? BatchSize : SyncDefaults.RetryBatchSize,
                IncludeDeferred,
                Since(NotSyncedSince)
            ),
            _ => AssetSelection.Batch(
                BatchSize,
                MyInvocation.BoundParameters.ContainsKey(nameof(Offset)) ? Offset : null,
                Since(NotSyncedSince),
                IncludeDeferred,
                Order,
                MaxSyncAge,
                CriticalityWeightTransformationAttribute.ToWeights(CriticalityWeight)
            ),
        };
        return RunSyncAsync(selection, options);
    }

    /// <summary>A DateTime as the user meant it: Unspecified (Get-Date, a typed literal) is local time.</summary>
    internal static DateTimeOffset? Since(DateTime? value) =>
        value switch
        {
            null => null,
            { Kind: DateTimeKind.Utc } v => new DateTimeOffset(v),
            { } v => new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Local)),
        };
}
