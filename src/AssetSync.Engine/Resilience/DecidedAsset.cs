using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// One asset's decision: what its fetch came to, after how many attempts and how long. Held while the path is on probation
/// (a 404) or the breaker's streak is open (a failure), then written by the run's outcome writer.
/// </summary>
internal sealed record DecidedAsset(string SerialNumber, FetchOutcome Outcome, int Attempts, TimeSpan Duration, TimeSpan Waited);
