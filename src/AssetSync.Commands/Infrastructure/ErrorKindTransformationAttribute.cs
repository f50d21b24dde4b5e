using System.Collections;
using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Lets -ErrorKind take the contract's names (not_found, invalid_response), as the log and the CSV show
/// them, as well as the enum's (NotFound); either way the parameter holds the contract name. An unknown name is refused
/// with the list of valid ones.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ErrorKindTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is string or SyncErrorKind)
        {
            return new[] { Convert(value).ToContractName() };
        }
        if (value is IEnumerable items)
        {
            var list = new List<string>();
            foreach (var item in items)
            {
                list.Add(Convert(item is PSObject p ? p.BaseObject : item).ToContractName());
            }
            return list.ToArray();
        }
        return inputData;
    }

    private static SyncErrorKind Convert(object? item)
    {
        if (item is SyncErrorKind kind)
        {
            return kind;
        }
        if (SyncErrorKinds.TryParse(item?.ToString(), out kind))
        {
            return kind;
        }
        var valid = string.Join(", ", SyncErrorKinds.Logged.Select(k => k.ToContractName()));
        throw new ArgumentTransformationMetadataException($"'{TextSafety.Inert(item?.ToString(), 60)}' is not an error kind. Use one of: {valid}.");
    }
}
