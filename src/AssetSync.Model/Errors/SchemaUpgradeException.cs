namespace AssetSync;

/// <summary>
/// A schema step failed or timed out. Never retried blindly: the upgrade stops, names the step, and keeps
/// every step (and every committed batch) done before it, so running Initialize-CmmsSyncSchema again resumes there.
/// </summary>
public sealed class SchemaUpgradeException(string step, string reason, Exception? inner = null)
    : AssetSyncException(
        $"Schema step {step} did not finish: {reason}. Everything done before it is kept; run Initialize-CmmsSyncSchema again to resume from this "
            + $"step.",
        inner
    )
{
    /// <summary>The step's name, as recorded in assetsync_schema_step.</summary>
    public string Step { get; } = step;

    /// <summary>host:port/database being upgraded.</summary>
    public string? Target { get; init; }
}
