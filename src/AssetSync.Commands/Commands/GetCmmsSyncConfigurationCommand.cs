using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Shows every AssetSync setting as a sync would use it: its value and where it came from.</para>
/// <para type="description">One object per setting, with Name, Value and Source (Parameter, Environment, File or Default),
/// resolved as Invoke-CmmsSync resolves them: a parameter, then the environment variable, then the settings file
/// (-ConfigurationPath or ASSETSYNC_CONFIGURATION), then the built-in default. Secrets (the API token, the database and proxy
/// logins, a password in the connection string) are masked: Source says where they came from, Value never shows them.
/// Reading the settings file checks it: an unknown key or a secret in it is refused with AssetSync.InvalidSetting.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CmmsSyncConfiguration")]
[OutputType(typeof(SyncSetting))]
public sealed class GetCmmsSyncConfigurationCommand : SyncCommandBase
{
    private const string Masked = "********";

    /// <summary>Only the settings with these names (wildcards allowed).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override Task EndProcessingAsync()
    {
        // A connection string in force is checked as a run would check it (and -DatabaseCredential with it).
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            DatabaseSettings.ValidateConnectionString(ResolveConnectionString());
        }
        var patterns = (Name ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var definition in SyncSettings.All.Where(d => patterns.Any(p => p.IsMatch(d.Name))))
        {
            var (value, source) = Sources.TryGetValue(definition.Name, out var resolved) ? (ValueOf(definition), resolved) : Unbound(definition);
            if (definition.IsSecret)
            {
                value = Describe(definition.Name, value);
            }
            else if (definition.Name == "ConnectionString" && value is string cs && !string.IsNullOrWhiteSpace(cs))
            {
                value = Redacted(cs);
            }
            else if (definition.ValueType == typeof(Uri) || definition.Name == "BaseUrl")
            {
                // A URL given with a login in it (refused by a run, but shown here first) never shows the login.
                value = value is null ? null : TextSafety.WithoutLogin(value.ToString());
            }
            PostObject(
                new SyncSetting
                {
                    Name = definition.Name,
                    Value = value,
                    Source = source,
                    Scope = definition.Scope,
                    EnvironmentVariable = definition.EnvironmentVariable,
                    ConfigurationPath = source == SettingSource.File ? Settings?.Path : null,
                }
            );
        }
        return Task.CompletedTask;
    }

    /// <summary>The value in force of a setting this command takes as a parameter.</summary>
    private object? ValueOf(SettingDefinition definition)
    {
        var value = GetType().GetProperty(definition.Name)!.GetValue(this);
        return value is SwitchParameter s ? s.IsPresent : value;
    }

    /// <summary>A secret, masked: the login's user name may show, a password or token never.</summary>
    private static string? Describe(string name, object? value) =>
        value switch
        {
            null => null,
            PSCredential credential when name != "Credential" => $"{TextSafety.Inert(credential.UserName, 80)} / {Masked}",
            _ => Masked,
        };

    private static string Redacted(string connectionString)
    {
        try
        {
            return DatabaseSettings.Redact(connectionString);
        }
        catch (ArgumentException)
        {
            return Masked;
        }
    }
}
