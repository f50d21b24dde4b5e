namespace AssetSync.Freshness;

/// <summary>
/// The register's change rates, learned from its own observations: an empirical-Bayes prior (a discrete mixture of rates on
/// a log grid, fitted by EM as the nonparametric maximum-likelihood estimate) and each asset's posterior mean rate.
/// <para>
/// An asset's observations are summed as (k, T): k changes whose time is known (Innomaint's last_modified) and T seconds of
/// exposure, the time over which they were counted. For Poisson changes at rate λ the likelihood is λ^k·e^(−λT) (Cho and
/// Garcia-Molina, "Estimating frequency of change", TOIT 2003, with the last-modified date), so (k, T) is all an asset
/// needs to keep; its maximum-likelihood rate is k/T, not the biased changes-per-visit count.
/// </para>
/// <para>
/// Few observations say little: an asset seen unchanged twice may change monthly or never. The posterior mean under the
/// register's own mixture shrinks each estimate toward rates the register actually shows. Grid and exposures are taken
/// from the data, so nothing here assumes a tempo: observations scaled by 1,000 in time give rates scaled by 1/1,000.
/// </para>
/// </summary>
internal sealed class ChangeRateModel
{
    /// <summary>Grid points of the prior.</summary>
    internal const int GridSize = 24;

    /// <summary>EM iterations: the mixture's weights settle well before (a test checks the fit, not this count).</summary>
    private const int Iterations = 400;

    /// <summary>Changes beyond which the data outweigh any prior: the lookup table stops here and the rate is k/T.</summary>
    internal const int TableChanges = 32;

    /// <summary>Exposure buckets of the lookup table, log-spaced over the register's observed range.</summary>
    internal const int TableBuckets = 64;

    public ChangeRateModel(double[] rates, double[] weights, double minExposure, double maxExposure, long observedAssets)
    {
        if (rates.Length == 0 || rates.Length != weights.Length)
        {
            throw new ArgumentException("A change model needs one weight per rate, and at least one rate.", nameof(weights));
        }
        Rates = rates;
        Weights = weights;
        MinExposure = minExposure;
        MaxExposure = Math.Max(maxExposure, minExposure);
        ObservedAssets = observedAssets;
        PriorMean = rates.Zip(weights, (r, w) => r * w).Sum();
    }

    /// <summary>The refresh index E[ψ] over each asset's posterior, tabulated once per model (<see cref="PosteriorTable.Index"/>).</summary>
    public PosteriorTable IndexTable => _index ??= PosteriorTable.Index(this);

    /// <summary>The refresh index for runs every <paramref name="cadenceSeconds"/> (E[ψ_Δ]; 0 or less: <see cref="IndexTable"/>).</summary>
    public PosteriorTable IndexTableFor(double cadenceSeconds) => cadenceSeconds > 0 ? PosteriorTable.Index(this, cadenceSeconds) : IndexTable;

    /// <summary>The chance of no change since the last sync, tabulated once per model (<see cref="PosteriorTable.Unchanged"/>).</summary>
    public PosteriorTable UnchangedTable => _unchanged ??= PosteriorTable.Unchanged(this);

    private PosteriorTable? _index;
    private PosteriorTable? _unchanged;

    /// <summary>The prior's rates (per second), ascending.</summary>
    public double[] Rates { get; }

    /// <summary>The prior's weight on each rate; they sum to 1.</summary>
    public double[] Weights { get; }

    /// <summary>The least exposure (seconds) of an observed asset when fitted.</summary>
    public double MinExposure { get; }

    /// <summary>The most exposure (seconds) of an observed asset when fitted.</summary>
    public double MaxExposure { get; }

    /// <summary>Assets with at least one observation when fitted.</summary>
    public long ObservedAssets { get; }

    /// <summary>The prior's mean rate: the estimate for an asset not observed yet.</summary>
    public double PriorMean { get; }

    /// <summary>Fits the prior to the register's grouped observations; null when there are none (a cold start).</summary>
    public static ChangeRateModel? Fit(IReadOnlyList<ExposureGroup> groups)
    {
        var data = groups.Where(g => g.Assets > 0 && g.ExposureSeconds > 0 && g.Changes >= 0).ToList();
        if (data.Count == 0)
        {
            return null;
        }
        var minT = data.Min(g => g.ExposureSeconds);
        var maxT = data.Max(g => g.ExposureSeconds);
        // From a twentieth of a change over the longest exposure to one more change than the busiest asset showed: the data's
        // own scale. The floor sits well below what the data resolve: when every exposure is short (an imported history, a
        // server that stamps every read), a floor at 1/T made every unobserved asset change within days (the benchmark's
        // estimate read 1,000 of 3,000 outdated where 80 were).
        var low = 0.05 / maxT;
        var high = Math.Max(data.Max(g => (g.Changes + 1) / g.ExposureSeconds), low * 10);
        var rates = new double[GridSize];
        for (var j = 0; j < GridSize; j++)
        {
            rates[j] = low * Math.Pow(high / low, j / (double)(GridSize - 1));
        }

        // Each group's likelihood on the grid, scaled by its largest term: constant across EM iterations.
        var likelihood = new double[data.Count][];
        for (var g = 0; g < data.Count; g++)
        {
            var row = new double[GridSize];
            var max = double.NegativeInfinity;
            for (var j = 0; j < GridSize; j++)
            {
                row[j] = (data[g].Changes * Math.Log(rates[j])) - (rates[j] * data[g].ExposureSeconds);
                max = Math.Max(max, row[j]);
            }
            for (var j = 0; j < GridSize; j++)
            {
                row[j] = Math.Exp(row[j] - max);
            }
            likelihood[g] = row;
        }

        var total = data.Sum(g => (double)g.Assets);
        var weights = Enumerable.Repeat(1.0 / GridSize, GridSize).ToArray();
        var next = new double[GridSize];
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            Array.Clear(next);
            for (var g = 0; g < data.Count; g++)
            {
                var row = likelihood[g];
                var sum = 0.0;
                for (var j = 0; j < GridSize; j++)
                {
                    sum += weights[j] * row[j];
                }
                if (sum <= 0)
                {
                    continue;
                }
                var share = data[g].Assets / sum;
                for (var j = 0; j < GridSize; j++)
                {
                    next[j] += weights[j] * row[j] * share;
                }
            }
            for (var j = 0; j < GridSize; j++)
            {
                weights[j] = next[j] / total;
            }
        }
        return new ChangeRateModel(rates, weights, minT, maxT, (long)total);
    }

    /// <summary>
    /// The posterior mean rate (per second) of an asset with <paramref name="changes"/> changes over
    /// <paramref name="exposureSeconds"/> of exposure; the prior mean when it has none.
    /// </summary>
    public double PosteriorRate(int changes, double exposureSeconds)
    {
        if (exposureSeconds <= 0)
        {
            return PriorMean;
        }
        var max = double.NegativeInfinity;
        var logs = new double[Rates.Length];
        for (var j = 0; j < Rates.Length; j++)
        {
            logs[j] = Weights[j] > 0 ? Math.Log(Weights[j]) + (changes * Math.Log(Rates[j])) - (Rates[j] * exposureSeconds) : double.NegativeInfinity;
            max = Math.Max(max, logs[j]);
        }
        double num = 0,
            den = 0;
        for (var j = 0; j < Rates.Length; j++)
        {
            var p = Math.Exp(logs[j] - max);
            num += p * Rates[j];
            den += p;
        }
        return den > 0 ? num / den : (changes + 0.5) / exposureSeconds;
    }

    /// <summary>
    /// The posterior over the grid of an asset with <paramref name="changes"/> (possibly fractional: observations are
    /// discounted) over <paramref name="exposureSeconds"/>, into <paramref name="posterior"/>; the prior for no exposure.
    /// </summary>
    public void Posterior(double changes, double exposureSeconds, double[] posterior)
    {
        if (exposureSeconds <= 0)
        {
            Weights.CopyTo(posterior, 0);
            return;
        }
        var max = double.NegativeInfinity;
        for (var j = 0; j < Rates.Length; j++)
        {
            posterior[j] =
                Weights[j] > 0 ? Math.Log(Weights[j]) + (changes * Math.Log(Rates[j])) - (Rates[j] * exposureSeconds) : double.NegativeInfinity;
            max = Math.Max(max, posterior[j]);
        }
        var sum = 0.0;
        for (var j = 0; j < Rates.Length; j++)
        {
            posterior[j] = Math.Exp(posterior[j] - max);
            sum += posterior[j];
        }
        for (var j = 0; j < Rates.Length; j++)
        {
            posterior[j] /= sum;
        }
    }

    /// <summary>ln of the table's first exposure bucket.</summary>
    public double TableLogMin => Math.Log(MinExposure);

    /// <summary>ln-width of one exposure bucket.</summary>
    public double TableLogStep => MaxExposure > MinExposure ? (Math.Log(MaxExposure) - Math.Log(MinExposure)) / (TableBuckets - 1) : 1;

    /// <summary>
    /// The posterior rate for every (changes 0..<see cref="TableChanges"/>, exposure bucket) pair, row-major: what the SQL
    /// looks up, so a query over a million assets costs one array subscript per asset, not a sum over the grid.
    /// </summary>
    public double[] RateTable()
    {
        var table = new double[(TableChanges + 1) * TableBuckets];
        for (var k = 0; k <= TableChanges; k++)
        {
            for (var b = 0; b < TableBuckets; b++)
            {
                table[(k * TableBuckets) + b] = PosteriorRate(k, Math.Exp(TableLogMin + (b * TableLogStep)));
            }
        }
        return table;
    }
}
