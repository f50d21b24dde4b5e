namespace AssetSync;

/// <summary>What a sync does when another run holds the database's run lock (-IfRunning).</summary>
public enum IfRunningAction
{
    /// <summary>Stop with the error AssetSync.SyncRunInProgress (the default).</summary>
    Fail,

    /// <summary>Wait for the other run to finish, up to -WaitTimeoutSec (the same as -Wait).</summary>
    Wait,

    /// <summary>Return at once with a warning and a summary whose Status is "skipped"; no run row is written.</summary>
    Skip,
}
