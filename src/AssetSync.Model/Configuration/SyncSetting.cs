namespace AssetSync;

/// <summary>One setting as a command would use it (Get-CmmsSyncConfiguration): its value and where that came from. Secrets are masked.</summary>
public sealed class SyncSetting
{
    /// <summary>The setting's name (the parameter's, and the settings file's key).</summary>
    public required string Name { get; init; }

    /// <summary>The value in force; for a secret, "********" when one is set (never the secret itself).</summary>
    public object? Value { get; init; }

    /// <summary>Parameter, Environment, File or Default.</summary>
    public required SettingSource Source { get; init; }

    /// <summary>Which commands read it.</summary>
    public SettingScope Scope { get; init; }

    /// <summary>The environment variable that may give it, if any.</summary>
    public string? EnvironmentVariable { get; init; }

    /// <summary>The settings file it came from, when <see cref="Source"/> is File.</summary>
    public string? ConfigurationPath { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} = {Value} ({Source})";
}
