using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// The rules that turn each decided asset into a verdict (<see cref="AssetVerdict"/>): a refused route or token stops the run
/// and writes nothing; 404s are held while the asset path is on probation; failures that look like an outage are held in
/// the breaker's streak; everything else is written. The questions to Innomaint (is the path right, does the service
/// answer) are the run's to ask; their answers come back here. Thread-safe, as the probation and the breaker are.
/// </summary>
internal sealed class AssetVerdicts(int pathSuspectThreshold, int circuitBreakerThreshold, ServiceHealth health)
{
    private readonly PathProbation<DecidedAsset> _probation = new(pathSuspectThreshold);
    private readonly ServiceBreaker<DecidedAsset> _breaker = new(circuitBreakerThreshold);

    /// <summary>Assets in a row, failing as an outage would, before the service is asked about.</summary>
    public int BreakerThreshold => _breaker.Threshold;

    /// <summary>
    /// The verdict on <paramref name="decided"/>. <paramref name="knownToFailThisWay"/>: its last attempt failed the same way,
    /// so it says nothing of the service (counted only once Innomaint has answered anything).
    /// </summary>
    public AssetVerdict Decide(DecidedAsset decided, bool knownToFailThisWay)
    {
        var outcome = decided.Outcome;
        if (outcome.StopsRun is { } routeFault)
        {
            // The proxy or the certificate check refused: the way out is broken, not the asset. Nothing is written for it.
            return AssetVerdict.Stop(routeFault);
        }
        if (outcome.Kind == SyncErrorKind.Credentials)
        {
            // Not the asset's fault: nothing is written for it, and everything stops.
            return AssetVerdict.Stop(new CredentialsRefusedException(outcome.HttpStatus ?? 401, decided.SerialNumber));
        }

        IReadOnlyList<DecidedAsset> first = [];
        if (outcome.Kind == SyncErrorKind.NotFound)
        {
            switch (_probation.Offer(decided))
            {
                case PathProbation<DecidedAsset>.Verdict.Held:
                    return AssetVerdict.GoOn([]);
                case PathProbation<DecidedAsset>.Verdict.Suspect:
                    return new AssetVerdict(AssetVerdict.Next.CheckPath, []);
            }
        }
        else
        {
            // The path works (or at least is not all 404): the held answers were real; they are written first.
            first = _probation.End();
        }

        var knownToFail = knownToFailThisWay && health.EverAnswered;
        return _breaker.Offer(decided, outcome.Kind, knownToFail, out var release) switch
        {
            ServiceBreaker<DecidedAsset>.Verdict.Write => AssetVerdict.GoOn([.. first, .. release, decided]),
            ServiceBreaker<DecidedAsset>.Verdict.Held => AssetVerdict.GoOn(first),
            _ => new AssetVerdict(AssetVerdict.Next.CheckService, first),
        };
    }

    /// <summary>After the path check: the path works (write what was held), or it is wrong (stop; <paramref name="assetUri"/> names what was
    /// tried).</summary>
    public AssetVerdict AfterPathCheck(bool pathWorks, string assetUri) =>
        pathWorks ? AssetVerdict.GoOn(_probation.End()) : AssetVerdict.Stop(new AssetPathSuspectException(_probation.Threshold, assetUri));

    /// <summary>After the service check: it answers (the streak was the assets' own: write it), or it is down (stop).</summary>
    public AssetVerdict AfterServiceCheck(bool serviceAnswers, FetchOutcome last, string baseUrl) =>
        serviceAnswers
            ? AssetVerdict.GoOn(_breaker.ServiceAnswered())
            : AssetVerdict.Stop(new InnomaintUnreachableException(_breaker.Trip(), last.Message ?? "unknown") { BaseUrl = baseUrl });

    /// <summary>
    /// What is still held when the run ends was decided, and is written then: the 404s of the probation (unless the path
    /// proved wrong) and the failures of an unfinished streak (unless the service proved down or the way out was refused).
    /// </summary>
    public IReadOnlyList<DecidedAsset> Release(SyncRunFailedException? fatal)
    {
        var held = new List<DecidedAsset>();
        if (fatal is not AssetPathSuspectException)
        {
            held.AddRange(_probation.End());
        }
        if (fatal is not (InnomaintUnreachableException or ProxyRefusedException))
        {
            held.AddRange(_breaker.End());
        }
        return held;
    }
}
