namespace AssetSync;

/// <summary>Which assets a run syncs.</summary>
public sealed class AssetSelection
{
    private AssetSelection(string mode, int batchSize, int offset, IReadOnlyList<string>? serials)
    {
        Mode = mode;
        BatchSize = batchSize;
        Offset = offset;
        SerialNumbers = serials;
    }

    /// <summary>batch, retry_failed or serials, as cmms_sync_log.mode records it.</summary>
    public string Mode { get; }

    /// <summary>At most this many assets; 0 means all.</summary>
    public int BatchSize { get; }

    /// <summary>Assets skipped at the start of the batch order.</summary>
    public int Offset { get; }

    /// <summary>The explicit list of the serials mode, de-duplicated, in the order given.</summary>
    public IReadOnlyList<string>? SerialNumbers { get; }

    /// <summary>Assets ordered by report_seq_no (nulls last), then asset_id; <paramref name="batchSize"/> 0 means all.</summary>
    public static AssetSelection Batch(int batchSize = 100, int offset = 0)
    {
        if (batchSize < 0)
        {
            throw new SyncConfigurationException($"BatchSize must be 0 (all) or more; it was {batchSize}.", "BatchSize");
        }
        if (offset < 0)
        {
            throw new SyncConfigurationException($"Offset must be 0 or more; it was {offset}.", "Offset");
        }
        return new AssetSelection("batch", batchSize, offset, null);
    }

    /// <summary>The assets whose current state is error.</summary>
    public static AssetSelection RetryFailed(int batchSize = 0)
    {
        if (batchSize < 0)
        {
            throw new SyncConfigurationException($"BatchSize must be 0 (all) or more; it was {batchSize}.", "BatchSize");
        }
        return new AssetSelection("retry_failed", batchSize, 0, null);
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
                    "A serial number is empty or only whitespace. Pass the serial numbers (ic3_asset_master.cmms_asset_id) to sync; blank ones are never requested.", "SerialNumber");
            }
            if (seen.Add(s))
            {
                list.Add(s);
            }
        }
        return new AssetSelection("serials", 0, 0, list);
    }

    public override string ToString() => Mode switch
    {
        "batch" => $"batch (size {(BatchSize == 0 ? "all" : BatchSize)}, offset {Offset})",
        "retry_failed" => $"retry-failed (size {(BatchSize == 0 ? "all" : BatchSize)})",
        _ => $"{SerialNumbers!.Count} serial number(s)",
    };
}
