using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>One asset's decided outcome as the rows that record it, its log row and its state row (<see cref="AssetStateSql.RecordOutcomes"/>).</summary>
internal sealed record OutcomeRow(string SerialNumber, int Attempts, int? HttpStatus, long DurationMs)
{
    /// <summary>Null for a success.</summary>
    public SyncErrorKind? ErrorKind { get; private init; }

    public string? ErrorMessage { get; private init; }

    /// <summary>What a success stores for the next conditional request (a failure keeps the stored ones).</summary>
    public FetchValidators Validators { get; private init; }

    /// <summary>When Innomaint says the asset last changed (a changed body's last_modified): the change model's observation.</summary>
    public DateTimeOffset? ChangedAt { get; private init; }

    /// <summary>A success that rewrote nothing (a 304, or the same body).</summary>
    public bool Unchanged { get; private init; }

    public static OutcomeRow Success(string serial, int attempts, int? httpStatus, long durationMs, FetchValidators validators, bool unchanged,
        DateTimeOffset? changedAt = null) =>
        new(serial, attempts, httpStatus, durationMs) { Validators = validators, Unchanged = unchanged, ChangedAt = changedAt };

    public static OutcomeRow Failure(string serial, SyncErrorKind kind, string message, int attempts, int? httpStatus, long durationMs) =>
        new(serial, attempts, httpStatus, durationMs) { ErrorKind = kind, ErrorMessage = message };
}
