namespace AssetSync;

/// <summary>One run as cmms_sync_log records it: the result of a run, and a row of the status's LastRuns.</summary>
public sealed class SyncRunSummary
{
    public required long RunId { get; init; }

    /// <summary>batch, retry_failed or serials (null for runs written before AssetSync).</summary>
    public string? Mode { get; init; }

    /// <summary>Assets the run took on: Succeeded + Failed + Skipped + NotReached, on every run whatever its status.</summary>
    public int Total { get; init; }

    public int Succeeded { get; init; }

    public int Failed { get; init; }

    /// <summary>Assets selected but not attempted, e.g. serial numbers that are not in ic3_asset_master.</summary>
    public int Skipped { get; init; }

    /// <summary>Of <see cref="Succeeded"/>, the assets found unchanged (a 304, or a body identical to the stored one): nothing of them was
    /// rewritten.</summary>
    public int Unchanged { get; init; }

    /// <summary>
    /// Of <see cref="Unchanged"/>, answers whose body differed from the stored one only in fields AssetSync does not write (a
    /// served-at stamp, a request id): nothing was rewritten for them. A run where most are is a server with volatile fields.
    /// </summary>
    public int VolatileAnswers { get; init; }

    /// <summary>
    /// Answers whose last_modified was their own Date, when the run found Innomaint stamping last_modified on read (0: it did
    /// not; null: too few answers with a last_modified to tell): their last_modified was not used to learn change rates.
    /// </summary>
    public int? StampedAnswers { get; init; }

    /// <summary>
    /// The estimated outdated assets as this batch run left the register, recorded when it refitted the change model; null for
    /// other runs and before a model.
    /// </summary>
    public OutdatedEstimate? EstimatedOutdatedAssets { get; init; }

    /// <summary><see cref="EstimatedOutdatedAssets"/> by criticality, as the run left the register; empty when not recorded.</summary>
    public IReadOnlyList<OutdatedEstimate> EstimatedOutdatedByCriticality { get; init; } = [];

    /// <summary>
    /// Assets selected and never decided: left by the time budget (-MaxDuration) for the next run, or not reached because
    /// the run was cancelled or failed first. Nothing of them was written.
    /// </summary>
    public int NotReached { get; init; }

    /// <summary>"max_duration" when the time budget ended the run; null otherwise.</summary>
    public string? StoppedBy { get; init; }

    /// <summary>HTTP requests sent, retries included.</summary>
    public int Requests { get; init; }

    /// <summary>429 answers received.</summary>
    public int Throttled { get; init; }

    /// <summary>The rate achieved: requests over the run's duration.</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>
    /// The rate this run learned and stored in cmms_rate_state for the next (-RequestsPerSecond Auto, or a quota the API
    /// stated); null when it learned nothing.
    /// </summary>
    public double? LearnedRequestsPerSecond { get; init; }

    /// <summary>Where <see cref="LearnedRequestsPerSecond"/> came from: "headers" (the API stated it) or "probe" (learned from 429s).</summary>
    public string? LearnedRateSource { get; init; }

    /// <summary>
    /// Running, Complete, Cancelled, Failed, Interrupted (a run whose process died), or Skipped (-IfRunning Skip: no run row).
    /// An enum: <c>$s.Status -eq 'complete'</c> compares by name, and ConvertTo-Json writes the contract name.
    /// </summary>
    public required RunStatus Status { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public TimeSpan? Duration { get; init; }

    /// <summary>Why the run failed, when it did.</summary>
    public string? Error { get; init; }

    /// <summary>The machine the run ran on.</summary>
    public string? Host { get; init; }

    /// <summary>The OS account the run ran as.</summary>
    public string? User { get; init; }

    public override string ToString() =>
        $"Run {RunId} ({Mode}): {Status.Name()}{(StoppedBy is null ? "" : $" (stopped by {StoppedBy})")}, {Succeeded} succeeded ({Unchanged} "
        + $"unchanged), {Failed} failed, {Skipped} skipped, {NotReached} not reached";
}
