using AssetSync.Domain;

namespace AssetSync.Storage;

/// <summary>
/// The schema-2 and schema-4 figures a run row gets when it closes, and the rate it learned for <see cref="BaseUrl"/> (stored with it,
/// in the same statement; null when nothing was learned).
/// </summary>
internal readonly record struct RunFigures(
    int Unchanged,
    int NotReached,
    string? StoppedBy,
    int Requests,
    int Throttled,
    double? RequestsPerSecond,
    string? BaseUrl = null,
    LearnedRate? Learned = null
)
{
    /// <summary>Unchanged answers whose body differed only in fields AssetSync does not write (schema 4).</summary>
    public int VolatileAnswers { get; init; }

    /// <summary>Answers whose last_modified was stamped on read, when the run found the server doing so (schema 4).</summary>
    public int? StampedAnswers { get; init; }
}
