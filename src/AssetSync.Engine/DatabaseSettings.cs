using System.Data.Common;
using Npgsql;

namespace AssetSync;

/// <summary>Checks connection strings without ever echoing them: they may hold a password.</summary>
public static class DatabaseSettings
{
    /// <summary>Throws <see cref="SyncConfigurationException"/> when the string is empty or not a valid Npgsql connection string.</summary>
    public static void ValidateConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new SyncConfigurationException(
                "No connection string was given. Pass -ConnectionString or set ASSETSYNC_CONNECTION_STRING.", "ConnectionString");
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new SyncConfigurationException(
                    "The connection string names no Host. Use a string such as 'Host=db01;Database=ic3;Username=assetsync'.", "ConnectionString");
            }
            if (builder.Multiplexing)
            {
                // The run lock is a session lock held on a connection of its own; multiplexing shares connections between commands.
                throw new SyncConfigurationException(
                    "Multiplexing=true is not supported: AssetSync holds its run lock on a database session of its own, which multiplexing would share. Remove Multiplexing from the connection string.", "ConnectionString");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException or OverflowException)
        {
            // Deliberately not ex.Message: Npgsql may quote the offending part, which can be the password.
            throw new SyncConfigurationException(
                "The connection string is malformed: expected 'Key=Value' pairs such as 'Host=db01;Database=ic3;Username=assetsync'. " +
                "Check for unknown keywords, stray characters or missing '=' signs.", "ConnectionString");
        }
    }

    /// <summary>Host and database of a connection string, for messages: never the password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{b.Host}:{b.Port}/{b.Database}";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or DbException)
        {
            return "(unreadable connection string)";
        }
    }
}
