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

    /// <summary>Errors since its last success (1 for an asset that failed once).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>For a deferred asset (not_found, client_error), the earliest time runs try it again; null: any time.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>True when <see cref="NextAttemptAt"/> is still ahead: batch and retry-failed runs skip the asset until then.</summary>
    public bool Deferred { get; init; }

    /// <summary>When the asset last synced successfully; null: never.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>From the register (the last values synced): what a manager can act on.</summary>
    public string? AssetCode { get; init; }

    public string? AssetName { get; init; }

    public string? Department { get; init; }

    public override string ToString() => $"{TextSafety.Inert(SerialNumber, 80)}: {ErrorKind} {TextSafety.Inert(Error)}";
}
