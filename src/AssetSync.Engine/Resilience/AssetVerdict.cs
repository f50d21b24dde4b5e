namespace AssetSync.Resilience;

/// <summary>
/// What the run does with one decided asset: the assets to write now (in this order), then what comes next: go on, ask
/// Innomaint a question first (is the asset path right? does the service answer?), or stop the run for a reason.
/// </summary>
internal readonly record struct AssetVerdict(AssetVerdict.Next Then, IReadOnlyList<DecidedAsset> Write, SyncRunFailedException? StopReason = null)
{
    internal enum Next
    {
        /// <summary>Write <see cref="Write"/> and take the next asset.</summary>
        GoOn,

        /// <summary>The first answers were all 404: ask about an asset that synced before, then <see cref="AssetVerdicts.AfterPathCheck"/>.</summary>
        CheckPath,

        /// <summary>Assets in a row failed as an outage would: ask about an asset that synced before, then <see
        /// cref="AssetVerdicts.AfterServiceCheck"/>.</summary>
        CheckService,

        /// <summary>Stop the run for <see cref="StopReason"/>; write nothing more for this asset.</summary>
        Stop,
    }

    public static AssetVerdict GoOn(IReadOnlyList<DecidedAsset> write) => new(Next.GoOn, write);

    public static AssetVerdict Stop(SyncRunFailedException reason) => new(Next.Stop, [], reason);
}
