namespace AssetSync;

/// <summary>
/// The contract names of <see cref="RunStatus"/> (cmms_sync_log.status): the one place they are spelled. SQL parameters,
/// metrics labels, reports and views take their text from here.
/// </summary>
public static class RunStatusNames
{
    /// <summary>The contract name of <see cref="RunStatus.Running"/>, for the SQL that looks for running rows.</summary>
    internal const string RunningName = "running";

    /// <summary><see cref="RunningName"/> as a SQL literal.</summary>
    internal const string RunningSql = "'" + RunningName + "'";

    /// <summary>The statuses a run can close with, in the order metrics list them.</summary>
    public static IReadOnlyList<RunStatus> Closing { get; } = [RunStatus.Complete, RunStatus.Cancelled, RunStatus.Failed];

    /// <summary>The contract name: running, complete, cancelled, failed, interrupted, skipped (never stored) or unknown.</summary>
    public static string Name(this RunStatus status) => status switch
    {
        RunStatus.Running => RunningName,
        RunStatus.Complete => "complete",
        RunStatus.Cancelled => "cancelled",
        RunStatus.Failed => "failed",
        RunStatus.Interrupted => "interrupted",
        RunStatus.Skipped => "skipped",
        _ => "unknown",
    };

    /// <summary>The status a row's text names; <see cref="RunStatus.Unknown"/> for text that is none of the contract's.</summary>
    public static RunStatus FromName(string? name) => name switch
    {
        RunningName => RunStatus.Running,
        "complete" => RunStatus.Complete,
        "cancelled" => RunStatus.Cancelled,
        "failed" => RunStatus.Failed,
        "interrupted" => RunStatus.Interrupted,
        "skipped" => RunStatus.Skipped,
        _ => RunStatus.Unknown,
    };

    /// <summary>Whether the run ended before it had decided what it set out to: not complete, and not still running.</summary>
    public static bool IsBroken(this RunStatus status) => status is RunStatus.Interrupted or RunStatus.Cancelled or RunStatus.Failed;
}
