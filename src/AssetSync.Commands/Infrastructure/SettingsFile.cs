using System.Management.Automation;
using System.Management.Automation.Language;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// The settings file (-ConfigurationPath, or ASSETSYNC_CONFIGURATION): a .psd1 holding one hashtable whose keys are the
/// names in <see cref="SyncSettings"/>. Read as Import-PowerShellDataFile reads it (parsed, then only constant values
/// taken: it runs no code). An unknown key is refused with the name it most likely meant; a secret is refused without
/// repeating its value.
/// </summary>
internal sealed class SettingsFile
{
    private readonly Dictionary<string, object?> _values;

    private SettingsFile(string path, Dictionary<string, object?> values)
    {
        Path = path;
        _values = values;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The folder relative paths in the file are taken from.</summary>
    public string Folder => System.IO.Path.GetDirectoryName(Path) ?? ".";

    public bool TryGet(string name, out object? value) => _values.TryGetValue(name, out value);

    /// <summary>Reads and checks the file at <paramref name="path"/> (a full file-system path).</summary>
    public static SettingsFile Read(string path)
    {
        const string setting = "ConfigurationPath";
        var shown = TextSafety.Inert(path, 200) ?? "";
        if (!File.Exists(path))
        {
            throw new SyncConfigurationException(
                $"The settings file '{shown}' does not exist. Give the path of a .psd1 file (-ConfigurationPath or ASSETSYNC_CONFIGURATION).",
                setting
            );
        }
        // Whoever may write the file decides where the token and the database login go.
        TrustedFile.Check(path, setting, "settings file");
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0)
        {
            var first = errors[0];
            throw new SyncConfigurationException(
                $"The settings file '{shown}' is not a valid PowerShell data file: line {first.Extent.StartLineNumber}: {first.Message}",
                setting
            );
        }
        var table = ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst;
        if (table is null || ast.EndBlock is null || ast.EndBlock.Statements.Count != 1)
        {
            throw new SyncConfigurationException(
                $"The settings file '{shown}' must hold one hashtable, such as @{{ BaseUrl = 'https://cmms.example.org' }}.",
                setting
            );
        }
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyAst, valueAst) in table.KeyValuePairs)
        {
            var key = keyAst is StringConstantExpressionAst s ? s.Value : keyAst.Extent.Text;
            var definition = SyncSettings.Find(key);
            if (definition is null)
            {
                var near = SyncSettings.Suggest(key);
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' has an unknown key "
                        + $"'{TextSafety.Inert(key, 60)}'.{(near is null ? "" : $" Did you mean '{near}'?")} "
                        + "Its keys are the cmdlets' parameter names: see Get-CmmsSyncConfiguration.",
                    key
                );
            }
            if (definition.IsSecret)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' holds the secret '{definition.Name}' (its value is not shown here). A settings file is no place "
                        + $"for a secret: remove it, "
                        + $"and give it as a parameter, in {(definition.EnvironmentVariable is { } v ? v + " or " : "")}a SecretManagement vault "
                        + $"(see about_AssetSync), or a credential file.",
                    definition.Name
                );
            }
            object? value;
            try
            {
                // Constant values only, as Import-PowerShellDataFile takes them: a file that would run code is refused.
                value = valueAst.SafeGetValue();
            }
            catch (Exception ex) when (ex is InvalidOperationException or RuntimeException)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' gives '{definition.Name}' a value that is not a constant (line "
                        + $"{valueAst.Extent.StartLineNumber}): settings files run no code. Write the value itself.",
                    definition.Name
                );
            }
            if (!definition.AllowedInFile)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' sets {definition.Name}, which lowers the guard on the API token and is never taken from a file "
                        + $"(anyone who can edit the file could turn it on). Remove it; pass -{definition.Name} on the command line where you "
                        + $"accept the risk.",
                    definition.Name
                );
            }
            values[definition.Name] = Typed(
                definition,
                value is PSObject p ? p.BaseObject : value,
                shown,
                System.IO.Path.GetDirectoryName(path) ?? "."
            );
        }
        CheckForSecrets(values, shown);
        return new SettingsFile(path, values);
    }

    /// <summary>
    /// A value as its declaration says: one value, not a list (a list would be joined into one string, password and all); a
    /// number of the declared type and range; a path taken from the file's folder, and a file of secrets' routes writable by
    /// its owner only. Types the cmdlets convert themselves (a rate, a duration, an enum, a URL) pass as written.
    /// </summary>
    private static object? Typed(SettingDefinition definition, object? value, string shown, string folder)
    {
        var name = definition.Name;
        // A string is enumerable too, but takes one value.
        var takesMany = definition.ValueType != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(definition.ValueType);
        if (value is System.Collections.IList or System.Collections.IDictionary && !takesMany)
        {
            var count = value is System.Collections.ICollection c ? c.Count : 0;
            // The values are not shown: a list in ConnectionString may hold a password in any of its parts.
            throw new SyncConfigurationException(
                $"The settings file '{shown}' gives {name} "
                    + $"{(value is System.Collections.IDictionary ? "a hashtable" : $"a list of {count} values")}; it takes one "
                    + $"{Describe(definition.ValueType)}. Write it as one value, such as {name} = {Example(definition)}.",
                name
            );
        }
        if (value is null)
        {
            return null;
        }
        if (definition.ValueType == typeof(int) || definition.ValueType == typeof(double) || definition.ValueType == typeof(bool))
        {
            object converted;
            try
            {
                converted = LanguagePrimitives.ConvertTo(value, definition.ValueType, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' gives {name} a value that is not {Describe(definition.ValueType)} "
                        + $"({TextSafety.Inert(value.ToString(), 60)}). {definition.Description}",
                    name
                );
            }
            if (
                definition.ValueType == typeof(int)
                && value is double or float or decimal
                && Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) != (int)converted
            )
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' gives {name} = "
                        + $"{TextSafety.Inert(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), 60)}, which is not a "
                        + $"whole number. {definition.Description}",
                    name
                );
            }
            if (definition.CheckRange(converted) is { } outside)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' gives {name} = "
                        + $"{TextSafety.Inert(Convert.ToString(converted, System.Globalization.CultureInfo.InvariantCulture), 60)}: {outside}. "
                        + $"Nothing was changed.",
                    name
                );
            }
            return converted;
        }
        if (definition.IsPath && value is string { Length: > 0 } relative)
        {
            // Relative paths in a file are the file's: a scheduled task's working folder (System32, or /) means nothing here.
            var full = System.IO.Path.IsPathRooted(relative) ? relative : System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
            if (definition.IsTrustedFile)
            {
                TrustedFile.Check(full, name, name == "CredentialPath" ? "credential file" : "CA file");
            }
            return full;
        }
        return value;
    }

    private static string Describe(Type type) =>
        type == typeof(int) ? "whole number"
        : type == typeof(double) ? "number"
        : type == typeof(bool) ? "$true or $false"
        : type.Name;

    private static string Example(SettingDefinition definition) =>
        definition.Default switch
        {
            bool b => b ? "$true" : "$false",
            string text => $"'{text}'",
            null when definition.ValueType == typeof(string) => "'...'",
            null => "...",
            var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "...",
        };

    /// <summary>Secrets hidden inside plain settings: a password in the connection string, a login in the proxy URL.</summary>
    private static void CheckForSecrets(Dictionary<string, object?> values, string shown)
    {
        if (values.TryGetValue("ConnectionString", out var cs) && cs is string connectionString && !string.IsNullOrWhiteSpace(connectionString))
        {
            bool hasPassword;
            try
            {
                hasPassword = DatabaseSettings.HasPassword(connectionString);
            }
            catch (SyncConfigurationException ex)
            {
                throw new SyncConfigurationException($"The settings file '{shown}': {ex.Message}", "ConnectionString");
            }
            if (hasPassword)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' has a Password or SslPassword inside its ConnectionString (not shown here). Remove it, and give "
                        + $"the login with -DatabaseCredential "
                        + "(or DatabaseCredentialSecretName for the job), a Passfile, or Kerberos; a client key's password in an environment "
                        + "variable or a vault.",
                    "ConnectionString"
                );
            }
        }
        foreach (var key in new[] { "Proxy", "BaseUrl" })
        {
            if (values.TryGetValue(key, out var url) && url?.ToString() is { } text && TextSafety.WithoutLogin(text) != text)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' has a login inside its {key} URL (not shown here). Remove it: give the proxy's login with "
                        + $"-ProxyCredential "
                        + "(or ProxyCredentialSecretName for the job), and the API token with -ApiToken.",
                    key
                );
            }
        }
    }
}
