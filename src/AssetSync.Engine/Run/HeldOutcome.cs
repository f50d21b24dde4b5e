using AssetSync.Innomaint;

namespace AssetSync.Run;

/// <summary>An asset decided but not yet written: a 404 on path probation, or a failure in the breaker's streak.</summary>
internal sealed record HeldOutcome(string Serial, FetchOutcome Outcome, int Attempts, TimeSpan Duration, TimeSpan Waited);
