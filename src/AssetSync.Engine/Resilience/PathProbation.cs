namespace AssetSync.Resilience;

/// <summary>
/// Until the first answer that is not a 404, 404s are held back instead of written: if the first <see cref="Threshold"/>
/// answers are all 404, the base URL or asset path is wrong, and marking the whole register failed would be a lie.
/// Thread-safe; 0 turns it off (named serial numbers are the operator's own choice).
/// </summary>
/// <typeparam name="T">What is held: an asset's decided outcome.</typeparam>
internal sealed class PathProbation<T>(int threshold)
{
    public enum Verdict
    {
        /// <summary>Probation is over (or off): write it.</summary>
        Write,

        /// <summary>Held until the probation ends.</summary>
        Held,

        /// <summary>This 404 reached the threshold: check the path before anything is written.</summary>
        Suspect,
    }

    private readonly object _gate = new();
    private List<T>? _held = threshold > 0 ? [] : null;

    public int Threshold { get; } = threshold;

    /// <summary>Offers a 404.</summary>
    public Verdict Offer(T outcome)
    {
        lock (_gate)
        {
            if (_held is null)
            {
                return Verdict.Write;
            }
            _held.Add(outcome);
            // Only the answer that reaches the threshold decides; those after it wait with the rest.
            return _held.Count == Threshold ? Verdict.Suspect : Verdict.Held;
        }
    }

    /// <summary>Ends the probation; returns what was held (empty when it had ended already).</summary>
    public IReadOnlyList<T> End()
    {
        lock (_gate)
        {
            var held = _held ?? [];
            _held = null;
            return held;
        }
    }
}
