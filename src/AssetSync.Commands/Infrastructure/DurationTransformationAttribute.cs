using System.Globalization;
using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Lets -MaxDuration take a number of seconds, as -TimeoutSec does (90, 2.5), or a TimeSpan ('01:30:00',
/// (New-TimeSpan -Minutes 90)). Without it PowerShell reads a bare 90 as 90 ticks: 9 microseconds.
/// Anything else is refused at binding, before anything is sent or written.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => null,
            TimeSpan t => t,
            double d when double.IsFinite(d) && d <= TimeSpan.MaxValue.TotalSeconds => TimeSpan.FromSeconds(d),
            float f when float.IsFinite(f) => TimeSpan.FromSeconds(f),
            decimal m => TimeSpan.FromSeconds((double)m),
            int i => TimeSpan.FromSeconds(i),
            long l when l <= TimeSpan.MaxValue.TotalSeconds => TimeSpan.FromSeconds(l),
            short s => TimeSpan.FromSeconds(s),
            byte b => TimeSpan.FromSeconds(b),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) =>
                TimeSpan.FromSeconds(seconds),
            // Only the clock form: '90' is seconds above, never 90 days as TimeSpan.Parse would read it.
            string text when text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) =>
                span,
            _ => throw new ArgumentTransformationMetadataException(
                $"'{TextSafety.Inert(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null", 80)}' is not a duration. Give a number of "
                    + $"seconds "
                    + "(for example 5400) or a TimeSpan (for example 01:30:00 or (New-TimeSpan -Minutes 90))."
            ),
        };
    }
}
