namespace AssetSync;

/// <summary>
/// The process was asked to stop (SIGTERM, SIGHUP, or on Windows a console close or Ctrl+Break)
/// while a run was in progress. The run was cancelled cleanly, exactly as by Ctrl+C, and its row
/// reads <c>cancelled</c>; <see cref="Summary"/> holds what was decided before the stop.
/// </summary>
public sealed class SyncRunTerminatedException(string signal, SyncRunSummary summary)
    : AssetSyncException(
        $"The run was stopped by {signal}: run {summary.RunId} is recorded as cancelled, with {summary.Succeeded} succeeded and {summary.Failed} "
            + $"failed before the stop. "
            + "Nothing was half-written; the next run carries on."
    )
{
    /// <summary>The signal that stopped the run, e.g. SIGTERM.</summary>
    public string Signal { get; } = signal;

    /// <summary>The cancelled run as recorded.</summary>
    public SyncRunSummary Summary { get; } = summary;
}
