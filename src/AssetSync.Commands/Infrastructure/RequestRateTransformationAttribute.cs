using System.Globalization;
using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Lets -RequestsPerSecond take a number, as it always has (5, 2.5, [double]::PositiveInfinity for no limit), or the word
/// Auto (learn the quota). Anything else is refused at binding, before anything is sent or written.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class RequestRateTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        double? number = value switch
        {
            RequestRate rate => rate.PerSecond ?? double.NaN,
            double d => d,
            float f => f,
            decimal m => (double)m,
            int i => i,
            long l => l,
            short s => s,
            byte b => b,
            _ => null,
        };
        if (value is RequestRate given)
        {
            return given;
        }
        if (number is { } n)
        {
            return n > 0 && !double.IsNaN(n) ? RequestRate.Fixed(n) : throw Refused(value);
        }
        if (value is string text && RequestRate.TryParse(text, out var parsed))
        {
            return parsed!;
        }
        throw Refused(value);
    }

    private static ArgumentTransformationMetadataException Refused(object? value) =>
        new(
            $"'{TextSafety.Inert(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null", 80)}' is not a rate. Give requests per second "
                + $"greater than 0 "
                + "(for example 5 or 2.5: a hard ceiling), or Auto to use the quota Innomaint states, or learn it and remember it for the next run."
        );
}
