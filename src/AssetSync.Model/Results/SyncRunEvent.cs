namespace AssetSync;

/// <summary>How serious a <see cref="SyncRunEvent"/> is: the Event Log's entry type, the journal's priority.</summary>
public enum SyncRunEventLevel
{
    Information,
    Warning,
    Error,
}

/// <summary>
/// One Event Log (or journal) entry about a run. Fixed IDs, for alert rules:
/// 1000 complete, nothing failed; 1001 complete with failures (a warning above the threshold); 1002 the run failed;
/// 1003 skipped, another run in progress; 1004 the register is stale beyond the threshold.
/// </summary>
public sealed record SyncRunEvent(int EventId, SyncRunEventLevel Level, string Message)
{
    public const int Complete = 1000;
    public const int CompleteWithFailures = 1001;
    public const int Failed = 1002;
    public const int Skipped = 1003;
    public const int Stale = 1004;

    /// <summary>The Event Log source, and the journal's identifier.</summary>
    public const string Source = "AssetSync";
}
