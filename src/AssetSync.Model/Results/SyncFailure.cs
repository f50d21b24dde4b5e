namespace AssetSync;

/// <summary>An asset whose current state is error, with its latest error.</summary>
public sealed class SyncFailure
{
    public required string SerialNumber { get; init; }

    public string? ErrorKind { get; init; }

    public int? HttpStatus { get; init; }

    public int? Attempts { get; init; }

    public string? Error { get; init; }

    public DateTimeOffset? FailedAt { get; init; }

    public long? RunId { get; init; }

    /// <summary>When the asset began failing: its first error after its last success.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    public override string ToString() => $"{TextSafety.Inert(SerialNumber, 80)}: {ErrorKind} {TextSafety.Inert(Error)}";
}
