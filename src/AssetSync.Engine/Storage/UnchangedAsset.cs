using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>An asset found unchanged, waiting to be written with others in one statement.</summary>
internal sealed record UnchangedAsset(string SerialNumber, int Attempts, int? HttpStatus, long DurationMs, FetchValidators Validators);
