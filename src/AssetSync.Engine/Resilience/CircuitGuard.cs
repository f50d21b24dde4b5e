using AssetSync.Innomaint;

namespace AssetSync.Resilience;

/// <summary>
/// Counts assets in a row that failed in a way that suggests Innomaint is down (transient,
/// network, timeout). Any other outcome resets the count. At the threshold the run stops, instead
/// of spending the whole retry budget on every remaining asset.
/// </summary>
internal sealed class CircuitGuard(int threshold)
{
    private readonly object _gate = new();
    private int _consecutive;

    public bool Enabled => threshold > 0;

    /// <summary>Records an asset's final outcome; true when the circuit opens with it.</summary>
    public bool Record(FailureKind? kind, out int consecutive)
    {
        lock (_gate)
        {
            _consecutive = kind is { } k && k.SuggestsOutage() ? _consecutive + 1 : 0;
            consecutive = _consecutive;
            return Enabled && _consecutive >= threshold;
        }
    }
}
