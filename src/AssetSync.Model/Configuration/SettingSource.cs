namespace AssetSync;

/// <summary>Where a setting's value came from, in the order they win: a parameter, an environment variable, the settings file, the built-in
/// default.</summary>
public enum SettingSource
{
    /// <summary>Given on the command line (or by $PSDefaultParameterValues, which binds as a parameter).</summary>
    Parameter,

    /// <summary>An environment variable (ASSETSYNC_CONNECTION_STRING, ASSETSYNC_BASE_URL, ASSETSYNC_API_TOKEN).</summary>
    Environment,

    /// <summary>The settings file (-ConfigurationPath or ASSETSYNC_CONFIGURATION).</summary>
    File,

    /// <summary>The built-in default.</summary>
    Default,
}
