namespace AssetSync;

/// <summary>The database could not be reached, or kept failing after the database retries.</summary>
public sealed class DatabaseUnavailableException(string message, Exception? inner = null) : SyncRunFailedException(message, inner);
