namespace AssetSync;

/// <summary>The database could not be reached, or kept failing after the database retries.</summary>
public sealed class DatabaseUnavailableException(string message, Exception? inner = null, string? target = null)
    : SyncRunFailedException(message, inner)
{
    /// <summary>host:port/database of the database at fault (never the password).</summary>
    public string? Target { get; } = target;
}
