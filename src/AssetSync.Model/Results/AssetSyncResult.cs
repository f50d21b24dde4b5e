namespace AssetSync;

/// <summary>
/// One asset's outcome in a run, reported as soon as it is decided. The properties a script or a JSON
/// consumer reads (Status, Duration, Waited) are plain: a name and seconds, so <c>ConvertTo-Json</c> gives
/// readable values. The typed forms are beside them: <see cref="Outcome"/>, <see cref="Elapsed"/>, <see cref="WaitTime"/>.
/// </summary>
public sealed class AssetSyncResult
{
    /// <summary>The Innomaint serial number (ic3_asset_master.cmms_asset_id), verbatim. Display it through <see cref="TextSafety.Inert"/>.</summary>
    public required string SerialNumber { get; init; }

    /// <summary>How the asset ended: Succeeded, Unchanged or Failed, as a name.</summary>
    public string Status => Outcome.ToString();

    /// <summary>How the asset ended, typed.</summary>
    public required AssetSyncStatus Outcome { get; init; }

    /// <summary>Requests sent for this asset, retries included.</summary>
    public required int Attempts { get; init; }

    /// <summary>The last HTTP status received, if any.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>Null on success; else one of not_found, client_error, transient, network, timeout, invalid_response, database.</summary>
    public string? ErrorKind { get; init; }

    /// <summary>Why it failed, in words, with any text from the API made inert. Never holds a secret.</summary>
    public string? Error { get; init; }

    /// <summary>The asset's own time in seconds: from its first request to its decision (backoff waits included, its queueing before the first
    /// request not).</summary>
    public double Duration => Math.Round(Elapsed.TotalSeconds, 3);

    /// <summary>The asset's own time, typed (see <see cref="Duration"/>).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Seconds the asset's requests queued for the rate budget (the requests-per-second limit), all attempts together.</summary>
    public double Waited => Math.Round(WaitTime.TotalSeconds, 3);

    /// <summary>The time queued for the rate budget, typed (see <see cref="Waited"/>).</summary>
    public TimeSpan WaitTime { get; init; }

    /// <summary>cmms_sync_log.id of the run.</summary>
    public required long RunId { get; init; }

    public override string ToString() => $"{TextSafety.Inert(SerialNumber, 80)}: {Status}" + (ErrorKind is null ? "" : $" ({ErrorKind})");
}
