using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>
/// A new or changed asset, waiting to be written with others in one commit: its enrichment, schedules, log row and state.
/// <paramref name="ChangedAt"/> is when Innomaint last changed it, on this machine's clock, for the change model; null when
/// the answer said nothing usable.
/// </summary>
internal sealed record ChangedAsset(
    string SerialNumber,
    AssetDetail Asset,
    int Attempts,
    int? HttpStatus,
    long DurationMs,
    FetchValidators Validators,
    DateTimeOffset? ChangedAt = null,
    TimeSpan Waited = default
)
{
    /// <summary>Its log and state rows.</summary>
    public OutcomeRow Row => OutcomeRow.Success(SerialNumber, Attempts, HttpStatus, DurationMs, Validators, unchanged: false, ChangedAt, Waited);

    /// <summary>The failure row of a changed asset the database refused on its own: nothing of it was written.</summary>
    public OutcomeRow Refused(Npgsql.PostgresException ex) =>
        OutcomeRow.Failure(
            SerialNumber,
            SyncErrorKind.Database,
            "Writing the asset to the database failed: " + StoreConnections.Describe(ex),
            Attempts,
            HttpStatus,
            DurationMs,
            Waited
        );
}
