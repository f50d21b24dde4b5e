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
            // Deliberately not ex.Message: Npgsql may quote the offending part, which can be the password. A key is never a
            // secret, so an unknown one is named.
            if (UnknownKey(connectionString) is { } key)
            {
                var near = Suggest(key);
                throw new SyncConfigurationException(
                    $"The connection string has a key Npgsql does not know: '{TextSafety.Inert(key, 60)}'.{(near is null ? "" : $" Did you mean '{near}'?")} " +
                    "Use keys such as 'Host=db01;Port=5432;Database=ic3;Username=assetsync'.", "ConnectionString");
            }
            throw new SyncConfigurationException(
                "The connection string is malformed: expected 'Key=Value' pairs such as 'Host=db01;Database=ic3;Username=assetsync'. " +
                "Check for unknown keywords, stray characters or missing '=' signs.", "ConnectionString");
        }
    }

    private static readonly string[] CommonKeys =
    [
        "Host", "Port", "Database", "Username", "Password", "Passfile", "SSL Mode", "Trust Server Certificate", "Timeout",
        "Command Timeout", "Pooling", "Minimum Pool Size", "Maximum Pool Size", "Application Name", "Search Path", "Keepalive",
    ];

    /// <summary>The first key of <paramref name="connectionString"/> that Npgsql refuses, if the string parses as key=value pairs at all.</summary>
    private static string? UnknownKey(string connectionString)
    {
        DbConnectionStringBuilder pairs;
        try
        {
            pairs = new DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException)
        {
            return null;
        }
        // Npgsql knows its keywords (and their synonyms) without looking at any value: the password is never touched.
        var probe = new NpgsqlConnectionStringBuilder();
        foreach (string key in pairs.Keys)
        {
            if (!probe.ContainsKey(key))
            {
                return key;
            }
        }
        return null;
    }

    /// <summary>The common key nearest to a mistyped one (at most two edits), for the message.</summary>
    private static string? Suggest(string key)
    {
        static int Distance(string a, string b)
        {
            var d = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
            {
                d[j] = j;
            }
            for (var i = 1; i <= a.Length; i++)
            {
                var previous = d[0];
                d[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var current = d[j];
                    d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), previous + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
                    previous = current;
                }
            }
            return d[b.Length];
        }
        var best = CommonKeys.Select(k => (Key: k, Distance: Distance(key.Trim(), k))).MinBy(x => x.Distance);
        return best.Distance <= 2 ? best.Key : null;
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
