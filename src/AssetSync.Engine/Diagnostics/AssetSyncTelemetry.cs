using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AssetSync.Diagnostics;

/// <summary>
/// The engine's instruments: a <see cref="System.Diagnostics.Metrics.Meter"/> and an <see cref="ActivitySource"/>, both named
/// <see cref="Name"/>. Standard .NET tooling (dotnet-counters, dotnet-trace, any OpenTelemetry host that adds the "AssetSync"
/// meter and source) can listen without AssetSync depending on an exporter. Unlistened, each costs a flag check.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>assetsync.assets</term><description>counter: assets decided, tagged outcome (succeeded, unchanged, failed) and
/// error.kind</description></item>
/// <item><term>assetsync.requests</term><description>counter: requests sent, tagged http.response.status_code (0: no answer)</description></item>
/// <item><term>assetsync.retries</term><description>counter: retries scheduled, tagged error.kind</description></item>
/// <item><term>assetsync.throttled</term><description>counter: 429 answers</description></item>
/// <item><term>assetsync.request.duration</term><description>histogram, s: from sending a request to its answer</description></item>
/// <item><term>assetsync.asset.duration</term><description>histogram, s: an asset's own time, first request to decision</description></item>
/// <item><term>assetsync.rate</term><description>observable gauge, requests/s: the running run's current rate</description></item>
/// </list>
/// Activities: "AssetSync.Run" per run (tags assetsync.run.id, assetsync.mode, assetsync.status) and "AssetSync.Asset" per asset
/// (assetsync.serial_number, assetsync.outcome, error.kind), its parent the run.
/// </remarks>
public static class AssetSyncTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "AssetSync";

    private static readonly string? Version = typeof(AssetSyncTelemetry).Assembly.GetName().Version?.ToString(3);

    internal static readonly ActivitySource Source = new(Name, Version);

    internal static readonly Meter Meter = new(Name, Version);

    internal static readonly Counter<long> Assets = Meter.CreateCounter<long>(
        "assetsync.assets",
        "{asset}",
        "Assets decided, by outcome and error kind."
    );

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "assetsync.requests",
        "{request}",
        "HTTP requests sent, by status code (0: no answer)."
    );

    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("assetsync.retries", "{retry}", "Retries scheduled, by error kind.");

    internal static readonly Counter<long> Throttled = Meter.CreateCounter<long>("assetsync.throttled", "{answer}", "429 answers received.");

    internal static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "assetsync.request.duration",
        "s",
        "From sending a request to its answer."
    );

    internal static readonly Histogram<double> AssetDuration = Meter.CreateHistogram<double>(
        "assetsync.asset.duration",
        "s",
        "An asset's own time: from its first request to its decision."
    );

    /// <summary>The running run's rate, as a function: telemetry knows nothing of how the rate is kept.</summary>
    private static Func<double>? _rate;

    static AssetSyncTelemetry()
    {
        Meter.CreateObservableGauge("assetsync.rate", ObserveRate, "{request}/s", "The running run's current request rate.");
    }

    private static IEnumerable<Measurement<double>> ObserveRate()
    {
        if (Volatile.Read(ref _rate) is { } rate && rate() is var current && double.IsFinite(current))
        {
            yield return new Measurement<double>(current);
        }
    }

    /// <summary>The gauge follows this run's rate until <see cref="RunEnded"/>.</summary>
    internal static void RunStarted(Func<double> currentRate) => Volatile.Write(ref _rate, currentRate);

    /// <summary>Stops following <paramref name="currentRate"/> (the delegate given to <see cref="RunStarted"/>), unless another run has started
    /// since.</summary>
    internal static void RunEnded(Func<double> currentRate) => Interlocked.CompareExchange(ref _rate, null, currentRate);

    internal static void AssetDecided(AssetSyncResult result)
    {
        var outcome = result.Outcome switch
        {
            AssetSyncStatus.Failed => "failed",
            AssetSyncStatus.Unchanged => "unchanged",
            _ => "succeeded",
        };
        if (Assets.Enabled)
        {
            Assets.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("error.kind", result.ErrorKind));
        }
        if (AssetDuration.Enabled)
        {
            AssetDuration.Record(result.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    internal static void RequestAnswered(int? httpStatus, TimeSpan took)
    {
        if (Requests.Enabled)
        {
            Requests.Add(1, new KeyValuePair<string, object?>("http.response.status_code", httpStatus ?? 0));
        }
        if (RequestDuration.Enabled)
        {
            RequestDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("http.response.status_code", httpStatus ?? 0));
        }
        if (httpStatus == 429)
        {
            Throttled.Add(1);
        }
    }
}
