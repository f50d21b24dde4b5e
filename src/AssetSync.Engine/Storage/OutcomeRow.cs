using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>
/// One asset's decided outcome as the rows that record it, its log row and its state row (<see cref="AssetStateSql.RecordOutcomes"/>),
/// and, once they are committed, the pipeline's <see cref="AssetSyncResult"/> built from them (<see cref="Committed"/>).
/// </summary>
internal sealed record OutcomeRow(string SerialNumber, int Attempts, int? HttpStatus, long DurationMs)
{
    /// <summary>The longest failure message stored; longer text is cut, control characters made inert.</summary>
    private const int MaxMessage = 1000;

    /// <summary>Null for a success.</summary>
    public SyncErrorKind? ErrorKind { get; private init; }

    public string? ErrorMessage { get; private init; }

    /// <summary>What a success stores for the next conditional request (a failure keeps the stored ones).</summary>
    public FetchValidators Validators { get; private init; }

    /// <summary>When Innomaint says the asset last changed (a changed body's last_modified): the change model's observation.</summary>
    public DateTimeOffset? ChangedAt { get; private init; }

    /// <summary>A success that rewrote nothing (a 304, or the same body).</summary>
    public bool Unchanged { get; private init; }

    /// <summary>Time the asset spent queued for the rate budget: not stored, but the pipeline shows it.</summary>
    public TimeSpan Waited { get; private init; }

    public static OutcomeRow Success(
        string serial,
        int attempts,
        int? httpStatus,
        long durationMs,
        FetchValidators validators,
        bool unchanged,
        DateTimeOffset? changedAt = null,
        TimeSpan waited = default
    ) =>
        new(serial, attempts, httpStatus, durationMs)
        {
            Validators = validators,
            Unchanged = unchanged,
            ChangedAt = changedAt,
            Waited = waited,
        };

    /// <summary>A failure; its message (from the API, or ours quoting it) is stored and shown inert, never raw.</summary>
    public static OutcomeRow Failure(
        string serial,
        SyncErrorKind kind,
        string? message,
        int attempts,
        int? httpStatus,
        long durationMs,
        TimeSpan waited = default
    )
    {
        var text = TextSafety.Inert(message, MaxMessage) ?? "";
        if (serial.Length > 0 && (char.IsWhiteSpace(serial[0]) || char.IsWhiteSpace(serial[^1])))
        {
            text += " Note: this serial number has leading or trailing whitespace in ic3_asset_master.cmms_asset_id; it was requested as stored.";
        }
        return new(serial, attempts, httpStatus, durationMs)
        {
            ErrorKind = kind,
            ErrorMessage = text,
            Waited = waited,
        };
    }

    /// <summary>The pipeline's object for this row, once it is committed in run <paramref name="runId"/>.</summary>
    public AssetSyncResult Committed(long runId) =>
        new()
        {
            SerialNumber = SerialNumber,
            Outcome =
                ErrorKind is not null ? AssetSyncStatus.Failed
                : Unchanged ? AssetSyncStatus.Unchanged
                : AssetSyncStatus.Succeeded,
            Attempts = Attempts,
            HttpStatus = HttpStatus,
            ErrorKind = ErrorKind?.ToContractName(),
            Error = ErrorMessage,
            Elapsed = TimeSpan.FromMilliseconds(DurationMs),
            WaitTime = Waited,
            RunId = runId,
        };
}
