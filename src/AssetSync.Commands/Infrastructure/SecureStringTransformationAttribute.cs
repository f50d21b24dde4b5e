using System.Management.Automation;
using System.Security;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Lets -ApiToken take a SecureString only. Without it, PowerShell's binder refuses a plain string with an error that
/// quotes it (Cannot convert the "…" value of type "System.String"), and the token lands in $Error, a transcript and
/// event logs. This refuses any other value with a message that never repeats it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => null,
            SecureString secure => secure,
            _ => throw new ArgumentTransformationMetadataException(
                $"A token given as plain text ({(value is string ? "a string" : "a " + value.GetType().Name)}; its value is not shown here) is "
                    + $"refused: "
                    + "it would stay readable in the session's history, $Error and transcripts. Pass a SecureString, for example "
                    + "-ApiToken (Get-Secret InnomaintToken), -ApiToken (Read-Host -AsSecureString), or -Credential; or set ASSETSYNC_API_TOKEN "
                    + "for a job."
            ),
        };
    }
}
