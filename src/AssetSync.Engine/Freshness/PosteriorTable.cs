namespace AssetSync.Freshness;

/// <summary>
/// A function of an asset's rate and age averaged over its posterior, tabulated: E[f(λ, a) | k changes over T], for
/// the refresh index (E[ψ]) and the chance of no change since the last sync (E[e^(−λa)] = M(k, T + a) / M(k, T)). The
/// posterior's mean would do neither: 1 − e^(−λ̄a) overstates the chance of a change, and ψ(λ̄) misranks an asset that
/// may be daily or yearly. SQL looks the value up (<c>FreshnessSql.Posterior</c>), so a million assets cost a subscript each.
/// <para>
/// Rows are (k in half steps up to <see cref="MaxChanges"/>, exposure bucket), plus one last row for an asset with no
/// observation (the prior). Columns are ages, log-spaced; the lookup interpolates between two exposures and two ages. Every range comes from the
/// fitted model (its rates and longest history), so the table has no tempo: scaled by 1,000 in time, the same table in scaled units.
/// </para>
/// </summary>
internal sealed class PosteriorTable
{
    /// <summary>Changes past which an asset's observations are scaled down to this many (keeping k/T): its posterior is narrow by then.</summary>
    public const double MaxChanges = 16;

    /// <summary>Rows per exposure bucket: k = 0, 0.5, 1 … <see cref="MaxChanges"/> (forgetting makes k fractional).</summary>
    public const int ChangeSteps = (int)(MaxChanges * 2) + 1;

    public const int ExposureBuckets = 32;

    public const int AgeBuckets = 32;

    private PosteriorTable(double[] values, double exposureLogMin, double exposureLogStep, double ageLogMin, double ageLogStep)
    {
        Values = values;
        ExposureLogMin = exposureLogMin;
        ExposureLogStep = exposureLogStep;
        AgeLogMin = ageLogMin;
        AgeLogStep = ageLogStep;
    }

    /// <summary>Row-major: row (k step × <see cref="ExposureBuckets"/> + bucket, or the prior's last row) × <see cref="AgeBuckets"/> + age.</summary>
    public double[] Values { get; }

    public double ExposureLogMin { get; }

    public double ExposureLogStep { get; }

    public double AgeLogMin { get; }

    public double AgeLogStep { get; }

    /// <summary>The index of the prior's row.</summary>
    public static int PriorRow => ChangeSteps * ExposureBuckets;

    /// <summary>
    /// E[ψ_Δ(λ, a)]: what refreshing the asset now is worth when runs come every <paramref name="cadenceSeconds"/> (0: unknown,
    /// E[ψ]; <see cref="RefreshValue.Index(double, double, double)"/>).
    /// </summary>
    public static PosteriorTable Index(ChangeRateModel model, double cadenceSeconds = 0) =>
        Build(model, (rate, age) => RefreshValue.Index(rate, age, cadenceSeconds));

    /// <summary>E[e^(−λa)]: the chance the asset is unchanged since it was verified.</summary>
    public static PosteriorTable Unchanged(ChangeRateModel model) => Build(model, static (rate, age) => Math.Exp(-Math.Min(rate * age, 700)));

    private static PosteriorTable Build(ChangeRateModel model, Func<double, double, double> f)
    {
        // Exposures from far below the fastest rate's time scale, where the posterior no longer moves, to the longest history.
        // Not from the shortest whole history the model was fitted to: the order looks up each asset's recent pair, which
        // forgetting and change points keep far shorter (hours after a change point, days for a busy asset), and clamped to
        // the fitted minimum a busy asset read as a slow one and went unranked (the benchmark's daily assets every other night).
        var exposureMin = Math.Min(model.MinExposure, 0.1 / model.Rates[^1]);
        var exposureLogMin = Math.Log(exposureMin);
        var exposureLogStep = model.MaxExposure > exposureMin ? (Math.Log(model.MaxExposure) - exposureLogMin) / (ExposureBuckets - 1) : 1;
        // Ages from far below the fastest rate's time scale to far above the slowest's: past both ends f no longer moves.
        var ageLogMin = Math.Log(0.01 / model.Rates[^1]);
        var ageLogStep = (Math.Log(100 / model.Rates[0]) - ageLogMin) / (AgeBuckets - 1);
        var grid = model.Rates.Length;
        var fAt = new double[grid * AgeBuckets];
        for (var j = 0; j < grid; j++)
        {
            for (var c = 0; c < AgeBuckets; c++)
            {
                fAt[(j * AgeBuckets) + c] = f(model.Rates[j], Math.Exp(ageLogMin + (c * ageLogStep)));
            }
        }
        var values = new double[((ChangeSteps * ExposureBuckets) + 1) * AgeBuckets];
        var posterior = new double[grid];
        for (var row = 0; row <= PriorRow; row++)
        {
            if (row == PriorRow)
            {
                model.Weights.CopyTo(posterior, 0);
            }
            else
            {
                model.Posterior(row / ExposureBuckets / 2.0, Math.Exp(exposureLogMin + (row % ExposureBuckets * exposureLogStep)), posterior);
            }
            for (var c = 0; c < AgeBuckets; c++)
            {
                var sum = 0.0;
                for (var j = 0; j < grid; j++)
                {
                    sum += posterior[j] * fAt[(j * AgeBuckets) + c];
                }
                values[(row * AgeBuckets) + c] = sum;
            }
        }
        return new PosteriorTable(values, exposureLogMin, exposureLogStep, ageLogMin, ageLogStep);
    }

    /// <summary>
    /// The table's value for k changes over T seconds of exposure at an age (the SQL's lookup, in C#): k to the nearest half,
    /// interpolated between two exposures and two ages (a nearest exposure bucket misplaced rates by up to 40 %: the
    /// benchmark's order lost most of its gain to it).
    /// </summary>
    public double Lookup(double changes, double exposureSeconds, double ageSeconds)
    {
        var u = Math.Clamp((Math.Log(Math.Max(ageSeconds, 1e-300)) - AgeLogMin) / AgeLogStep, 0, AgeBuckets - 1);
        if (exposureSeconds <= 0)
        {
            return AtAge(PriorRow, u);
        }
        if (changes > MaxChanges)
        {
            exposureSeconds *= MaxChanges / changes;
            changes = MaxChanges;
        }
        var v = Math.Clamp((Math.Log(exposureSeconds) - ExposureLogMin) / ExposureLogStep, 0, ExposureBuckets - 1);
        var step = (int)Math.Round(Math.Max(changes, 0) * 2, MidpointRounding.AwayFromZero) * ExposureBuckets;
        var lo = (int)Math.Floor(v);
        var hi = Math.Min(lo + 1, ExposureBuckets - 1);
        return (AtAge(step + lo, u) * (1 - (v - lo))) + (AtAge(step + hi, u) * (v - lo));
    }

    /// <summary>Row <paramref name="row"/> at fractional age position <paramref name="u"/>, between two ages.</summary>
    private double AtAge(int row, double u)
    {
        var lo = (int)Math.Floor(u);
        var hi = Math.Min(lo + 1, AgeBuckets - 1);
        var at = row * AgeBuckets;
        return (Values[at + lo] * (1 - (u - lo))) + (Values[at + hi] * (u - lo));
    }
}
