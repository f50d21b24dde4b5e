namespace AssetSync;

/// <summary>
/// One setting, declared once: its name (the parameter's and the settings file's key), its built-in default, the environment
/// variable that may hold it, whether it is a secret, and what it does. <see cref="SyncSettings"/> lists them all.
/// </summary>
public sealed class SettingDefinition
{
    internal SettingDefinition(string name, SettingScope scope, object? defaultValue, string description)
    {
        Name = name;
        Scope = scope;
        Default = defaultValue;
        Description = description;
    }

    /// <summary>The parameter name, and the key in the settings file.</summary>
    public string Name { get; }

    /// <summary>Which commands read it.</summary>
    public SettingScope Scope { get; }

    /// <summary>The built-in default (null: none).</summary>
    public object? Default { get; }

    /// <summary>One line of help.</summary>
    public string Description { get; }

    /// <summary>The environment variable that gives it when no parameter does; null when none.</summary>
    public string? EnvironmentVariable { get; init; }

    /// <summary>
    /// A secret (the API token, a credential): refused in the settings file, its value never repeated, shown masked by
    /// Get-CmmsSyncConfiguration.
    /// </summary>
    public bool IsSecret { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
