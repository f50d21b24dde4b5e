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

    /// <summary>The contract name of <see cref="RunStatus.Complete"/>.</summary>
    internal const string CompleteName = "complete";

    /// <summary><see cref="CompleteName"/> as a SQL literal, for the statement that finds the last complete run.</summary>
    internal const string CompleteSql = "'" + CompleteName + "'";

    /// <summary>The contract name of <see cref="RunStatus.Interrupted"/>.</summary>
    internal const string InterruptedName = "interrupted";

    /// <summary><see cref="InterruptedName"/> as a SQL literal, for the statement that marks a dead run's row.</summary>
    internal const string InterruptedSql = "'" + InterruptedName + "'";

    /// <summary>The statuses a run can close with, in the order metrics list them.</summary>
    public static IReadOnlyList<RunStatus> Closing { get; } = [RunStatus.Complete, RunStatus.Cancelled, RunStatus.Failed];

    /// <summary>The contract name: running, complete, cancelled, failed, interrupted, skipped (never stored) or unknown.</summary>
    public static string Name(this RunStatus status) =>
        status switch
        {
            RunStatus.Running => RunningName,
            RunStatus.Complete => CompleteName,
            RunStatus.Cancelled => "cancelled",
            RunStatus.Failed => "failed",
            RunStatus.Interrupted => InterruptedName,
            RunStatus.Skipped => "skipped",
            _ => "unknown",
        };

    /// <summary>The status a row's text names; <see cref="RunStatus.Unknown"/> for text that is none of the contract's.</summary>
    public static RunStatus FromName(string? name) =>
        name switch
        {
            RunningName => RunStatus.Running,
            CompleteName => RunStatus.Complete,
            "cancelled" => RunStatus.Cancelled,
            "failed" => RunStatus.Failed,
            InterruptedName => RunStatus.Interrupted,
            "skipped" => RunStatus.Skipped,
            _ => RunStatus.Unknown,
        };

    /// <summary>Whether the run ended before it had decided what it set out to: not complete, and not still running.</summary>
    public static bool IsBroken(this RunStatus status) => status is RunStatus.Interrupted or RunStatus.Cancelled or RunStatus.Failed;
}
