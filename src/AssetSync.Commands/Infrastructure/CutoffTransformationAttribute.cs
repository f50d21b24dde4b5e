using System.Globalization;
using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Lets one parameter take an age or a point in time: a TimeSpan (or "30.00:00:00") means that long ago; a DateTime
/// (or a date string) means then. The result is a DateTimeOffset.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class CutoffTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            DateTimeOffset d => d,
            DateTime d => d.Kind == DateTimeKind.Unspecified
                ? new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Local))
                : new DateTimeOffset(d),
            TimeSpan t when t > TimeSpan.Zero => DateTimeOffset.UtcNow - t,
            string s
                when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t)
                    && t > TimeSpan.Zero
                    && s.Contains(':', StringComparison.Ordinal) => DateTimeOffset.UtcNow - t,
            string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var d) => d,
            _ => throw new ArgumentTransformationMetadataException(
                $"'{TextSafety.Inert(value?.ToString() ?? "null", 80)}' is neither a positive TimeSpan (an age, such as (New-TimeSpan -Days 90) "
                    + $"or '90.00:00:00') nor a DateTime (such as '2026-01-01')."
            ),
        };
    }
}
