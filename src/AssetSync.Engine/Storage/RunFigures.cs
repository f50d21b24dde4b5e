using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>
/// The schema-2 figures a run row gets when it closes, and the rate it learned for <see cref="BaseUrl"/> (stored with it,
/// in the same statement; null when nothing was learned).
/// </summary>
internal readonly record struct RunFigures(int Unchanged, int NotReached, string? StoppedBy, int Requests, int Throttled, double? RequestsPerSecond,
    string? BaseUrl = null, LearnedRate? Learned = null);
