using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// One asset's fetch, whole, as the fetcher returns it and nothing changes after: what it came to, after how many requests,
/// its time from its first request (zero when none was sent) and its time queued for the rate. Held while the path is on
/// probation (a 404) or the breaker's streak is open (a failure), then written by the run's outcome writer.
/// </summary>
internal sealed record DecidedAsset(string SerialNumber, FetchOutcome Outcome, int Attempts, TimeSpan Duration, TimeSpan Waited)
{
    /// <summary>The time budget ran out before the first request: the asset is left for the next run.</summary>
    public bool NotStarted => Outcome.NotStarted;
}
