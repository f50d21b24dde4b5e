namespace AssetSync;

/// <summary>Base of every failure AssetSync reports. Messages never hold the API token or a password.</summary>
public abstract class AssetSyncException : Exception
{
    protected AssetSyncException(string message, Exception? inner = null)
        : base(message, inner) { }
}
