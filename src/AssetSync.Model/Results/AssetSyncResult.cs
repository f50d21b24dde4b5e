namespace AssetSync;

/// <summary>One asset's outcome in a run, reported as soon as it is decided.</summary>
public sealed class AssetSyncResult
{
    /// <summary>The Innomaint serial number (ic3_asset_master.cmms_asset_id), verbatim.</summary>
    public required string SerialNumber { get; init; }

    public required AssetSyncStatus Status { get; init; }

    /// <summary>Requests sent for this asset, retries included.</summary>
    public required int Attempts { get; init; }

    /// <summary>The last HTTP status received, if any.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Null on success; else one of not_found, client_error, transient, network, timeout, invalid_response, database.</summary>
    public string? ErrorKind { get; init; }

    /// <summary>Why it failed, in words. Never holds a secret.</summary>
    public string? Error { get; init; }

    /// <summary>From the first attempt to the decision, waits included.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>cmms_sync_log.id of the run.</summary>
    public required long RunId { get; init; }

    public override string ToString() => $"{SerialNumber}: {Status}" + (ErrorKind is null ? "" : $" ({ErrorKind})");
}
