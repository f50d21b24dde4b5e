using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>
/// A new or changed asset, waiting to be written with others in one commit: its enrichment, schedules, log row and state.
/// <paramref name="ChangedAt"/> is when Innomaint last changed it, on this machine's clock, for the change model; null when
/// the answer said nothing usable.
/// </summary>
internal sealed record ChangedAsset(string SerialNumber, AssetDetail Asset, int Attempts, int? HttpStatus, long DurationMs, FetchValidators Validators,
    DateTimeOffset? ChangedAt = null);
