using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>Parameters and plumbing shared by every command that talks to the IC3 database.</summary>
public abstract class DatabaseCommandBase : AsyncPSCmdlet
{
    internal const string ConnectionStringVariable = "ASSETSYNC_CONNECTION_STRING";

    /// <summary>Npgsql connection string of the IC3 database. Defaults to $env:ASSETSYNC_CONNECTION_STRING.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    /// <summary>The connection string from the parameter, else the environment; a clear error when neither is set.</summary>
    protected string ResolveConnectionString()
    {
        var value = string.IsNullOrWhiteSpace(ConnectionString) ? Environment.GetEnvironmentVariable(ConnectionStringVariable) : ConnectionString;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SyncConfigurationException(
                $"No database connection string: pass -ConnectionString or set the environment variable {ConnectionStringVariable}.", "ConnectionString");
        }
        DatabaseSettings.ValidateConnectionString(value);
        return value;
    }

    /// <summary>-WhatIf when given (-WhatIf:$false included) decides; else $WhatIfPreference. Call on the pipeline thread.</summary>
    protected bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? w is SwitchParameter { IsPresent: true }
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    protected override void OnFailure(Exception exception) => ThrowTerminatingError(ErrorRecords.From(exception));
}
