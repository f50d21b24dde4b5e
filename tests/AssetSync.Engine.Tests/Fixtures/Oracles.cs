using AssetSync.Freshness;

namespace AssetSync.Tests.Fixtures;

/// <summary>
/// The rules the SQL carries, written again in C# for the tests to hold it to: kept here, not in the shipped assemblies,
/// which never run them.
/// </summary>
internal static class Oracles
{
    /// <summary>Days a deferred asset waits after its <paramref name="consecutiveFailures"/>-th failure in a row: 1, 2, 4 … at most 30.</summary>
    public static int DeferralDays(int consecutiveFailures) =>
        consecutiveFailures <= 1 ? 1 : (int)Math.Min(DeferralSchedule.MaxDays, Math.Pow(2, Math.Min(consecutiveFailures - 1, 30)));

    /// <summary>The rate <see cref="ChangeRateModel.RateTable"/> gives as the SQL looks it up: exposure clamped to the fitted range, past the table
    /// k/T.</summary>
    public static double TableRate(this ChangeRateModel model, int changes, double exposureSeconds)
    {
        if (exposureSeconds <= 0)
        {
            return model.PriorMean;
        }
        if (changes > ChangeRateModel.TableChanges)
        {
            return changes / exposureSeconds;
        }
        var bucket = (int)
            Math.Clamp(Math.Round((Math.Log(exposureSeconds) - model.TableLogMin) / model.TableLogStep), 0, ChangeRateModel.TableBuckets - 1);
        return model.PosteriorRate(changes, Math.Exp(model.TableLogMin + (bucket * model.TableLogStep)));
    }
}
