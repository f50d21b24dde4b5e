using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Reads -CriticalityWeight (a parameter, the settings file or the job) as a hashtable from criticality to a positive
/// weight, checked once by <see cref="AssetSelection.CheckWeights"/>: a name once (case-insensitive), a number above 0 and at
/// most <see cref="AssetSelection.MaxCriticalityWeight"/>. Anything else is refused before anything is sent.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class CriticalityWeightTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is null)
        {
            return null;
        }
        if (value is not IDictionary table)
        {
            throw new ArgumentTransformationMetadataException(
                $"CriticalityWeight takes a hashtable from criticality to weight, such as @{{ High = 5; Medium = 2; Low = 1 }}; it was "
                    + $"{(value is string ? "a string" : "a " + value.GetType().Name)}."
            );
        }
        var weights = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in table)
        {
            var name = Convert.ToString(entry.Key is PSObject k ? k.BaseObject : entry.Key, CultureInfo.InvariantCulture) ?? "";
            double weight;
            try
            {
                weight = (double)
                    LanguagePrimitives.ConvertTo(
                        entry.Value is PSObject v ? v.BaseObject : entry.Value,
                        typeof(double),
                        CultureInfo.InvariantCulture
                    );
            }
            catch (PSInvalidCastException)
            {
                throw new ArgumentTransformationMetadataException(
                    $"CriticalityWeight's weight for '{TextSafety.Inert(name, 100)}' is not a number "
                        + $"({TextSafety.Inert(Convert.ToString(entry.Value, CultureInfo.InvariantCulture), 40)})."
                );
            }
            if (weights.ContainsKey(name))
            {
                throw new ArgumentTransformationMetadataException(
                    $"CriticalityWeight names '{TextSafety.Inert(name, 100)}' twice (names are case-insensitive)."
                );
            }
            weights[name] = weight;
        }
        try
        {
            var checkedWeights = AssetSelection.CheckWeights(weights);
            var result = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, weight) in checkedWeights)
            {
                result[name] = weight;
            }
            return result;
        }
        catch (SyncConfigurationException ex)
        {
            throw new ArgumentTransformationMetadataException(ex.Message, ex);
        }
    }

    /// <summary>The weights a transformed hashtable holds, for the selection.</summary>
    internal static IReadOnlyDictionary<string, double>? ToWeights(Hashtable? table) =>
        table?.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (double)e.Value!, StringComparer.OrdinalIgnoreCase);
}
