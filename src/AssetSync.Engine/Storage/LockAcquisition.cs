namespace AssetSync.Storage;

/// <summary>What taking the run lock came to: the lock, or (with -IfRunning Skip) the run that holds it. Never an exception for Skip.</summary>
internal readonly record struct LockAcquisition(RunLock? Lock, RunInProgress? Holder)
{
    public bool Skipped => Lock is null;

    public static LockAcquisition Acquired(RunLock runLock) => new(runLock, null);

    public static LockAcquisition SkippedFor(RunInProgress holder) => new(null, holder);
}
