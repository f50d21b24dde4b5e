namespace AssetSync.Storage;

/// <summary>The schema-2 figures a run row gets when it closes.</summary>
internal readonly record struct RunFigures(int Unchanged, int NotReached, string? StoppedBy, int Requests, int Throttled, double? RequestsPerSecond);
