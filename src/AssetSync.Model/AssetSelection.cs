namespace AssetSync;

/// <summary>Which assets a run syncs.</summary>
public sealed class AssetSelection
{
    private AssetSelection(
        SelectionMode mode,
        int batchSize,
        int offset,
        IReadOnlyList<string>? serials,
        bool reportOrder = false,
        DateTimeOffset? notSyncedSince = null,
        bool includeDeferred = false,
        SyncOrder order = SyncOrder.Stalest,
        TimeSpan? maxSyncAge = null,
        IReadOnlyDictionary<string, double>? criticalityWeight = null
    )
    {
        Order = order;
        CriticalityWeight = criticalityWeight ?? new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        MaxSyncAge = maxSyncAge ?? SyncDefaults.MaxSyncAge;
        Mode = mode;
        BatchSize = batchSize;
        Offset = offset;
        SerialNumbers = serials;
        ReportOrder = reportOrder;
        NotSyncedSince = notSyncedSince;
        IncludeDeferred = includeDeferred;
    }

    /// <summary>
    /// Batch mode only: true for the Go service's paging in report_seq_no order (chosen by passing an offset); false for
    /// stalest first: never-synced assets in report_seq_no order, then the oldest last success first.
    /// </summary>
    public bool ReportOrder { get; }

    /// <summary>
    /// Batch mode's order (stalest first or by change rate); retry-failed and serials modes are never ordered by it. The seed's
    /// paging (<see cref="ReportOrder"/>) overrides it.
    /// </summary>
    public SyncOrder Order { get; }

    /// <summary><see cref="SyncOrder.ChangeRate"/>'s floor: an asset not verified for longer goes first.</summary>
    public TimeSpan MaxSyncAge { get; }

    /// <summary>
    /// <see cref="SyncOrder.ChangeRate"/>'s weight of each criticality (ic3_asset_master.criticality, case-insensitive): an
    /// asset's refresh value is multiplied by it (w·ψ, Azar et al., PNAS 2018). Empty: every asset 1; a criticality not named: 1.
    /// </summary>
    public IReadOnlyDictionary<string, double> CriticalityWeight { get; }

    /// <summary>The largest weight a criticality may take: beyond it one class would hold every place the floor leaves.</summary>
    public const double MaxCriticalityWeight = 1000;

    /// <summary>Only assets that have not succeeded since then (never-synced ones included); null: no limit.</summary>
    public DateTimeOffset? NotSyncedSince { get; }

    /// <summary>Take deferred assets (not_found, client_error, not yet due) too. Serials mode always does.</summary>
    public bool IncludeDeferred { get; }

    /// <summary>batch, retry_failed or serials, as cmms_sync_log.mode records it.</summary>
    public SelectionMode Mode { get; }

    /// <summary>At most this many assets; 0 means all.</summary>
    public int BatchSize { get; }

    /// <summary>Assets skipped at the start of the batch order.</summary>
    public int Offset { get; }

    /// <summary>The explicit list of the serials mode, de-duplicated, in the order given.</summary>
    public IReadOnlyList<string>? SerialNumbers { get; }

    /// <summary>
    /// <paramref name="batchSize"/> assets (0: all) in <paramref name="order"/>: never synced first, in report_seq_no order,
    /// then by change rate (assets older than <paramref name="maxSyncAge"/> first) or the oldest last success. With an <paramref name="offset"/>,
    /// the Go service's paging instead: report_seq_no (nulls last), then asset_id.
    /// Deferred assets are left out unless <paramref name="includeDeferred"/>.
    /// </summary>
    public static AssetSelection Batch(
        int batchSize = SyncDefaults.BatchSize,
        int? offset = null,
        DateTimeOffset? notSyncedSince = null,
        bool includeDeferred = false,
        SyncOrder order = SyncDefaults.Order,
        TimeSpan? maxSyncAge = null,
        IReadOnlyDictionary<string, double>? criticalityWeight = null
    )
    {
        var weights = CheckWeights(criticalityWeight);
        if (!Enum.IsDefined(order))
        {
            throw new SyncConfigurationException($"Order must be ChangeRate or Stalest; it was {(int)order}.", "Order");
        }
        if (maxSyncAge is { } age && age <= TimeSpan.Zero)
        {
            throw new SyncConfigurationException(
                $"MaxSyncAge must be longer than zero (for example 30.00:00:00 for 30 days); it was {age}.",
                "MaxSyncAge"
            );
        }
        if (batchSize < 0)
        {
            throw new SyncConfigurationException($"BatchSize must be 0 (all) or more; it was {batchSize}.", "BatchSize");
        }
        if (offset < 0)
        {
            throw new SyncConfigurationException($"Offset must be 0 or more; it was {offset}.", "Offset");
        }
        return new AssetSelection(
            SelectionMode.Batch,
            batchSize,
            offset ?? 0,
            null,
            offset is not null,
            notSyncedSince,
            includeDeferred,
            order,
            maxSyncAge,
            weights
        );
    }

    /// <summary>The weights, checked and copied case-insensitively: a name once, a weight above 0 and at most <see
    /// cref="MaxCriticalityWeight"/>.</summary>
    public static IReadOnlyDictionary<string, double> CheckWeights(IReadOnlyDictionary<string, double>? weights)
    {
        var result = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, weight) in weights ?? new Dictionary<string, double>())
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new SyncConfigurationException(
                    "CriticalityWeight names a blank criticality. Use the values of ic3_asset_master.criticality, e.g. @{ High = 5; Medium = 2 }.",
                    "CriticalityWeight"
                );
            }
            if (!double.IsFinite(weight) || weight <= 0 || weight > MaxCriticalityWeight)
            {
                throw new SyncConfigurationException(
                    $"CriticalityWeight's weight for '{TextSafety.Inert(name, 100)}' must be more than 0 and at most {MaxCriticalityWeight:0}; it "
                        + $"was {weight.ToString(System.Globalization.CultureInfo.InvariantCulture)}. "
                        + "A criticality not named weighs 1.",
                    "CriticalityWeight"
                );
            }
            if (!result.TryAdd(name.Trim(), weight))
            {
                throw new SyncConfigurationException(
                    $"CriticalityWeight names '{TextSafety.Inert(name, 100)}' twice (names are case-insensitive).",
                    "CriticalityWeight"
                );
            }
        }
        return result;
    }

    /// <summary>The assets whose current state is error, deferred ones left out unless <paramref name="includeDeferred"/>.</summary>
    public static AssetSelection RetryFailed(int batchSize = 0, bool includeDeferred = false, DateTimeOffset? notSyncedSince = null)
    {
        if (batchSize < 0)
        {
            throw new SyncConfigurationException($"BatchSize must be 0 (all) or more; it was {batchSize}.", "BatchSize");
        }
        return new AssetSelection(SelectionMode.RetryFailed, batchSize, 0, null, false, notSyncedSince, includeDeferred);
    }

    /// <summary>An explicit list of serial numbers, stored and sent verbatim.</summary>
    public static AssetSelection Serials(IEnumerable<string> serialNumbers)
    {
        ArgumentNullException.ThrowIfNull(serialNumbers);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var s in serialNumbers)
        {
            if (string.IsNullOrWhiteSpace(s))
            {
                throw new SyncConfigurationException(
                    "A serial number is empty or only whitespace. Pass the serial numbers (ic3_asset_master.cmms_asset_id) to sync; blank ones "
                        + "are never requested.",
                    "SerialNumber"
                );
            }
            if (seen.Add(s))
            {
                list.Add(s);
            }
        }
        return new AssetSelection(SelectionMode.Serials, 0, 0, list, false, null, includeDeferred: true);
    }

    public override string ToString()
    {
        var size = BatchSize == 0 ? "all" : BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Mode == SelectionMode.Batch)
        {
            return ReportOrder ? $"batch (size {size}, offset {Offset}, report order{Filters})"
                : Order == SyncOrder.Stalest ? $"batch (size {size}, stalest first{Filters})"
                : $"batch (size {size}, by change rate{Weights}{Filters})";
        }
        return Mode == SelectionMode.RetryFailed ? $"retry-failed (size {size}{Filters})" : $"{SerialNumbers!.Count} serial number(s)";
    }

    private string Weights =>
        CriticalityWeight.Count == 0
            ? ""
            : ", weighted "
                + string.Join(
                    " ",
                    CriticalityWeight.Select(w =>
                        $"{TextSafety.Inert(w.Key, 40)}={w.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
                    )
                );

    private string Filters => (NotSyncedSince is { } since ? $", not synced since {since:u}" : "") + (IncludeDeferred ? ", deferred included" : "");
}
