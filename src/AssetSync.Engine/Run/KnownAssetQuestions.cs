using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;

namespace AssetSync.Run;

/// <summary>
/// The two questions a run asks Innomaint about an asset that synced before, ahead of every other request, when its own
/// answers leave a doubt (<see cref="AssetVerdict.Next"/>): is the asset path right, and does the service answer at all?
/// </summary>
internal sealed class KnownAssetQuestions(SelectionStore selection, ResilientFetcher fetcher, SyncObserver observer)
{
    /// <summary>
    /// Before the breaker gives up on the service: does an asset that synced before still get an answer that is not an
    /// outage (a success, a 304, a 404, any 4xx)? With no asset ever synced there is nothing to ask, and the streak decides.
    /// </summary>
    public async Task<bool> ServiceAnswersAsync(int breakerThreshold, CancellationToken token)
    {
        var outcome = await AskAsync("service check", token).ConfigureAwait(false);
        var answers = outcome is not null && (outcome.Kind is not { } k || !k.SuggestsOutage());
        observer.Verbose(
            $"{breakerThreshold} assets in a row failed as an outage would; "
                + (
                    answers
                        ? "an asset that synced before still answers, so those failures are the assets' own."
                        : "no asset that synced before answers either, so the service is taken to be down."
                )
        );
        return answers;
    }

    /// <summary>
    /// The deciding question once the first answers were all 404: does an asset that synced before still
    /// answer? If so, the path is right. With no asset ever synced, there is nothing to ask, and the path is suspect.
    /// </summary>
    public async Task<bool> PathStillWorksAsync(CancellationToken token) =>
        await AskAsync("asset path check", token).ConfigureAwait(false) is { } outcome && outcome.Kind != SyncErrorKind.NotFound;

    /// <summary>Asks Innomaint about the asset that synced last (ahead of every other request); null when none ever synced.</summary>
    private async Task<FetchOutcome?> AskAsync(string why, CancellationToken token)
    {
        var known = await selection.GetLastSucceededSerialAsync(token).ConfigureAwait(false);
        if (known is null)
        {
            observer.Debug($"The {why} has no asset to ask about: none has ever synced.");
            return null;
        }
        var outcome = (await fetcher.FetchAsync(known, token).ConfigureAwait(false)).Outcome;
        observer.Debug($"The {why} asked about '{TextSafety.Inert(known)}', which synced before: {outcome}.");
        return outcome;
    }
}
