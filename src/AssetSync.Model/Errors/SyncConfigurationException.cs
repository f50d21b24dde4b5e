namespace AssetSync;

/// <summary>A setting is missing or invalid. Raised before anything is sent or written.</summary>
public sealed class SyncConfigurationException(string message, string setting) : AssetSyncException(message)
{
    /// <summary>The setting (or parameter) at fault.</summary>
    public string Setting { get; } = setting;
}
