namespace AssetSync;

/// <summary>
/// The database lost this run's lock (the server restarted) and another run took it before this
/// one could take it back. The run stops, so two runs never go on side by side.
/// </summary>
public sealed class RunLockLostException()
    : SyncRunFailedException(
        "The run lock was lost when the database restarted, and another AssetSync run has taken it. This run stopped so that the two do not sync "
            + "side by side; "
            + "what it decided so far is in the log. Run Get-CmmsSyncStatus to see the other run."
    );
