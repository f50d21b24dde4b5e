namespace AssetSync;

/// <summary>
/// Something AssetSync did not foresee went wrong while it synced an asset. The run stopped as
/// failed (its row is closed) instead of hanging or dying silently; the original exception is the
/// inner one. What was decided before is kept.
/// </summary>
public sealed class UnexpectedSyncErrorException(string serialNumber, Exception inner)
    : SyncRunFailedException(
        $"The run stopped on an unexpected error while asset '{TextSafety.Inert(serialNumber, 80)}' was synced ({inner.GetType().Name}: "
            + $"{TextSafety.Inert(inner.Message)}). "
            + "What was decided before it is kept. Please report this with the run's transcript.",
        inner
    )
{
    /// <summary>The asset being synced when it happened.</summary>
    public string SerialNumber { get; } = serialNumber;
}
