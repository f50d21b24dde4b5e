using System.Globalization;
using System.Management.Automation;
using System.Reflection;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// Parameters and plumbing shared by every command that talks to the IC3 database, and the one place settings are resolved:
/// each setting of <see cref="SyncSettings"/> that is a parameter of the command comes from the parameter, else its
/// environment variable, else the settings file, else its default; <see cref="Sources"/> remembers which.
/// </summary>
public abstract class DatabaseCommandBase : AsyncPSCmdlet
{
    internal const string ConnectionStringVariable = SyncSettings.ConnectionStringVariable;

    private readonly Dictionary<string, SettingSource> _sources = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Npgsql connection string of the IC3 database. Defaults to $env:ASSETSYNC_CONNECTION_STRING, then the settings file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    /// <summary>The database login (user name and password), kept apart from the connection string; it fills Username and Password.</summary>
    [Parameter]
    [Credential]
    [ValidateNotNull]
    public PSCredential? DatabaseCredential { get; set; }

    /// <summary>A settings file (.psd1) whose keys are parameter names. Defaults to $env:ASSETSYNC_CONFIGURATION.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigurationPath { get; set; }

    /// <summary>The settings file in force, if any.</summary>
    internal SettingsFile? Settings { get; private set; }

    /// <summary>Where each resolved setting came from.</summary>
    internal IReadOnlyDictionary<string, SettingSource> Sources => _sources;

    /// <summary>Resolves every setting this command has as a parameter, on the pipeline thread, before anything is sent or written.</summary>
    protected override void Prepare()
    {
        var path = ConfigurationPath ?? Environment.GetEnvironmentVariable(SyncSettings.ConfigurationVariable);
        if (!string.IsNullOrWhiteSpace(path))
        {
            Settings = SettingsFile.Read(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
        }
        foreach (var definition in SyncSettings.All)
        {
            var property = GetType().GetProperty(definition.Name, BindingFlags.Public | BindingFlags.Instance);
            if (property?.GetCustomAttribute<ParameterAttribute>() is null)
            {
                continue;
            }
            if (MyInvocation.BoundParameters.ContainsKey(definition.Name))
            {
                _sources[definition.Name] = SettingSource.Parameter;
                ResolvePathSetting(definition, property, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            }
            else if (FromEnvironment(definition) is { } fromEnvironment)
            {
                // Read here once: the property then holds the value in force, whichever of the four places gave it.
                property.SetValue(this, Converted(fromEnvironment, property.PropertyType));
                _sources[definition.Name] = SettingSource.Environment;
            }
            else if (Settings?.TryGet(definition.Name, out var value) == true)
            {
                property.SetValue(this, FromFile(property, definition, value));
                ResolvePathSetting(definition, property, Settings.Folder);
                _sources[definition.Name] = SettingSource.File;
            }
            else
            {
                _sources[definition.Name] = SettingSource.Default;
            }
        }
    }

    /// <summary>
    /// The value <paramref name="definition"/>'s environment variable gives, when it has one that is set and not blank, and the
    /// parameter that stands in for it (<see cref="SettingDefinition.ReplacedBy"/>) was not given.
    /// </summary>
    private string? FromEnvironment(SettingDefinition definition)
    {
        if (definition.EnvironmentVariable is not { } variable || Environment.GetEnvironmentVariable(variable) is not { } value)
        {
            return null;
        }
        var replaced = definition.ReplacedBy is { } other && MyInvocation.BoundParameters.ContainsKey(other);
        return string.IsNullOrWhiteSpace(value) || replaced ? null : value;
    }

    /// <summary>An environment variable's text as the parameter's type; a secret becomes a SecureString at once.</summary>
    private static object? Converted(string value, Type type) =>
        type == typeof(System.Security.SecureString)
            ? new System.Net.NetworkCredential(string.Empty, value).SecurePassword
            : LanguagePrimitives.ConvertTo(value, type, CultureInfo.InvariantCulture);

    /// <summary>Where a setting this command does not take as a parameter would come from (for Get-CmmsSyncConfiguration).</summary>
    internal (object? Value, SettingSource Source) Unbound(SettingDefinition definition)
    {
        if (FromEnvironment(definition) is { } fromEnvironment)
        {
            return (fromEnvironment, SettingSource.Environment);
        }
        if (Settings?.TryGet(definition.Name, out var value) == true)
        {
            return (value, SettingSource.File);
        }
        return (definition.Default, SettingSource.Default);
    }

    /// <summary>A relative path (the CA file, the metrics file) is taken from where it was given: the current folder, or the settings
    /// file's.</summary>
    private void ResolvePathSetting(SettingDefinition definition, PropertyInfo property, string folder)
    {
        if (!definition.IsPath || property.GetValue(this) is not string { Length: > 0 } path)
        {
            return;
        }
        if (!Path.IsPathRooted(path))
        {
            property.SetValue(this, Path.GetFullPath(Path.Combine(folder, path)));
        }
    }

    /// <summary>A value from the settings file, converted and checked as the parameter would take it.</summary>
    private object? FromFile(PropertyInfo property, SettingDefinition definition, object? value)
    {
        var name = definition.Name;
        try
        {
            var engine = GetVariableValue("ExecutionContext") as EngineIntrinsics;
            foreach (var transformation in property.GetCustomAttributes<ArgumentTransformationAttribute>())
            {
                value = transformation.Transform(engine!, value);
            }
            var converted = LanguagePrimitives.ConvertTo(value, property.PropertyType, CultureInfo.InvariantCulture);
            if (definition.CheckRange(converted) is { } outside)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{TextSafety.Inert(Settings!.Path, 200)}' gives {name} = "
                        + $"{TextSafety.Inert(Convert.ToString(converted, CultureInfo.InvariantCulture), 60)}: {outside}.",
                    name
                );
            }
            if (
                property.GetCustomAttribute<ValidateNotNullOrEmptyAttribute>() is not null
                && (converted is null || converted is string { Length: 0 })
            )
            {
                throw new SyncConfigurationException(
                    $"The settings file '{TextSafety.Inert(Settings!.Path, 200)}' gives {name} an empty value; remove the key or give a value.",
                    name
                );
            }
            return converted;
        }
        catch (Exception ex) when (ex is PSInvalidCastException or ArgumentTransformationMetadataException or ArgumentException or FormatException)
        {
            throw new SyncConfigurationException(
                $"The settings file '{TextSafety.Inert(Settings!.Path, 200)}' gives {name} a value it cannot take "
                    + $"({TextSafety.Inert(value?.ToString(), 60)}): "
                    + $"{TextSafety.Inert((ex.InnerException ?? ex).Message, 200)} {definition.Description}",
                name
            );
        }
    }

    /// <summary>
    /// The connection string in force (the parameter, else the environment, else the settings file: <see cref="Prepare"/> resolved
    /// it), with -DatabaseCredential's login filled in. A clear error when none is set; its own check is made where it is used
    /// (the engine, <see cref="SyncDatabase"/>).
    /// </summary>
    protected string ResolveConnectionString()
    {
        var value = ConnectionString;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SyncConfigurationException(
                $"No database connection string: pass -ConnectionString, set the environment variable {ConnectionStringVariable}, or put "
                    + $"ConnectionString in the settings file.",
                "ConnectionString"
            );
        }
        if (DatabaseCredential is { } login)
        {
            var network = login.GetNetworkCredential();
            value = DatabaseSettings.WithCredential(value, login.UserName, network.Password);
        }
        return value;
    }

    /// <summary>-WhatIf when given (-WhatIf:$false included) decides; else $WhatIfPreference. Call on the pipeline thread.</summary>
    protected bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? w is SwitchParameter { IsPresent: true }
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    protected override void OnFailure(Exception exception) => ThrowTerminatingError(ErrorRecords.From(exception));
}
