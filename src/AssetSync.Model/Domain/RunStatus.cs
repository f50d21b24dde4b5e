namespace AssetSync;

/// <summary>
/// A run's status, as cmms_sync_log.status records it (the IC3 database contract). Typed, so no file spells a status by
/// hand; it turns into its contract name wherever text is wanted (a result's Status, a SQL parameter, a report).
/// </summary>
public readonly record struct RunStatus
{
    private RunStatus(string name) => Name = name;

    /// <summary>The contract name: running, complete, cancelled, failed, interrupted; skipped is never stored.</summary>
    public string Name { get; }

    /// <summary>The contract name of <see cref="Running"/>, for the SQL that looks for running rows.</summary>
    internal const string RunningName = "running";

    /// <summary><see cref="RunningName"/> as a SQL literal.</summary>
    internal const string RunningSql = "'" + RunningName + "'";

    /// <summary>The run holds the lock and is working.</summary>
    public static RunStatus Running { get; } = new(RunningName);

    /// <summary>Every selected asset was decided, or the time budget ended the run (StoppedBy max_duration).</summary>
    public static RunStatus Complete { get; } = new("complete");

    /// <summary>Stopped by Ctrl+C or a service manager; what was decided is kept.</summary>
    public static RunStatus Cancelled { get; } = new("cancelled");

    /// <summary>Stopped by a fatal error (credentials refused, Innomaint unreachable, the database lost for good).</summary>
    public static RunStatus Failed { get; } = new("failed");

    /// <summary>Left 'running' by a process that died; so marked by the next run, or so shown by status.</summary>
    public static RunStatus Interrupted { get; } = new("interrupted");

    /// <summary>Not started: another run held the lock (-IfRunning Skip). Only in a summary; no row is written.</summary>
    public static RunStatus Skipped { get; } = new("skipped");

    /// <summary>The statuses a run can close with, in the order metrics list them.</summary>
    public static IReadOnlyList<RunStatus> Closing { get; } = [Complete, Cancelled, Failed];

    /// <summary>Whether the run ended before it had decided what it set out to: not complete.</summary>
    public static bool IsBroken(string? status) => status == Interrupted || status == Cancelled || status == Failed;

    public override string ToString() => Name;

    public static implicit operator string(RunStatus status) => status.Name;
}
