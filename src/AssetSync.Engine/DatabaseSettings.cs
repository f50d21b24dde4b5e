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
                $"No connection string was given. Pass -ConnectionString or set {SyncSettings.ConnectionStringVariable}.",
                "ConnectionString"
            );
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new SyncConfigurationException(
                    "The connection string names no Host. Use a string such as 'Host=db01;Database=ic3;Username=assetsync'.",
                    "ConnectionString"
                );
            }
            if (builder.Multiplexing)
            {
                // The run lock is a session lock held on a connection of its own; multiplexing shares connections between commands.
                throw new SyncConfigurationException(
                    "Multiplexing=true is not supported: AssetSync holds its run lock on a database session of its own, which multiplexing would "
                        + "share. Remove Multiplexing from the connection string.",
                    "ConnectionString"
                );
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException or OverflowException)
        {
            // Deliberately not ex.Message: Npgsql may quote the offending part, which can be the password. A key is never a
            // secret, so an unknown one is named.
            var unknown = UnknownKey(connectionString);
            if (
                unknown is not null
                && unknown.Replace(" ", "", StringComparison.Ordinal).Equals("IntegratedSecurity", StringComparison.OrdinalIgnoreCase)
            )
            {
                throw new SyncConfigurationException(
                    "Npgsql has no 'Integrated Security' keyword: remove it. For a login without a password in the string, leave Password out and "
                        + "either "
                        + "let the server ask for Kerberos (a 'gss' line in pg_hba.conf; the process's ticket is used), name a Passfile, or pass "
                        + "-DatabaseCredential.",
                    "ConnectionString"
                );
            }
            if (unknown is { } key)
            {
                var near = Suggest(key);
                throw new SyncConfigurationException(
                    $"The connection string has a key Npgsql does not know: "
                        + $"'{TextSafety.Inert(key, 60)}'.{(near is null ? "" : $" Did you mean '{near}'?")} "
                        + "Use keys such as 'Host=db01;Port=5432;Database=ic3;Username=assetsync'.",
                    "ConnectionString"
                );
            }
            throw new SyncConfigurationException(
                "The connection string is malformed: expected 'Key=Value' pairs such as 'Host=db01;Database=ic3;Username=assetsync'. "
                    + "Check for unknown keywords, stray characters or missing '=' signs.",
                "ConnectionString"
            );
        }
    }

    private static readonly string[] CommonKeys =
    [
        "Host",
        "Port",
        "Database",
        "Username",
        "Password",
        "Passfile",
        "SSL Mode",
        "Trust Server Certificate",
        "Timeout",
        "Command Timeout",
        "Pooling",
        "Minimum Pool Size",
        "Maximum Pool Size",
        "Application Name",
        "Search Path",
        "Keepalive",
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
    private static string? Suggest(string key) => NearestName.Find(key, CommonKeys, maxEdits: 2);

    /// <summary>
    /// The connection string with the login of -DatabaseCredential filled in (Username and Password). A string that already
    /// holds a Password is refused: two passwords for one login is a mistake, and which one wins must not be a guess.
    /// </summary>
    public static string WithCredential(string connectionString, string userName, string password)
    {
        ValidateConnectionString(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(builder.Password))
        {
            throw new SyncConfigurationException(
                "The connection string already holds a Password, and -DatabaseCredential gives another. Remove Password (and Username) from the "
                    + "connection string "
                    + "and keep the login in -DatabaseCredential only.",
                "DatabaseCredential"
            );
        }
        if (string.IsNullOrWhiteSpace(userName))
        {
            throw new SyncConfigurationException(
                "-DatabaseCredential has no user name. Give the database role, for example (Get-Credential -UserName assetsync).",
                "DatabaseCredential"
            );
        }
        builder.Username = userName;
        builder.Password = password;
        return builder.ConnectionString;
    }

    /// <summary>Whether a (valid) connection string holds a password.</summary>
    public static bool HasPassword(string connectionString)
    {
        ValidateConnectionString(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // SslPassword unlocks the client certificate's key: a password all the same.
        return !string.IsNullOrEmpty(builder.Password) || !string.IsNullOrEmpty(builder.SslPassword);
    }

    /// <summary>The connection string with its password masked, for Get-CmmsSyncConfiguration.</summary>
    public static string Redact(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(builder.Password))
        {
            builder.Password = "********";
        }
        if (!string.IsNullOrEmpty(builder.SslPassword))
        {
            builder.SslPassword = "********";
        }
        return builder.ConnectionString;
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
