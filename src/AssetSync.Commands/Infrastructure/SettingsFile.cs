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
            throw new SyncConfigurationException($"The settings file '{shown}' does not exist. Give the path of a .psd1 file (-ConfigurationPath or ASSETSYNC_CONFIGURATION).", setting);
        }
        var ast = Parser.ParseFile(path, out _, out var errors);
        if (errors.Length > 0)
        {
            var first = errors[0];
            throw new SyncConfigurationException(
                $"The settings file '{shown}' is not a valid PowerShell data file: line {first.Extent.StartLineNumber}: {first.Message}", setting);
        }
        var table = ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst;
        if (table is null || ast.EndBlock is null || ast.EndBlock.Statements.Count != 1)
        {
            throw new SyncConfigurationException($"The settings file '{shown}' must hold one hashtable, such as @{{ BaseUrl = 'https://cmms.example.org' }}.", setting);
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
                    $"The settings file '{shown}' has an unknown key '{TextSafety.Inert(key, 60)}'.{(near is null ? "" : $" Did you mean '{near}'?")} " +
                    "Its keys are the cmdlets' parameter names: see Get-CmmsSyncConfiguration.", key);
            }
            if (definition.IsSecret)
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' holds the secret '{definition.Name}' (its value is not shown here). A settings file is no place for a secret: remove it, " +
                    $"and give it as a parameter, in {(definition.EnvironmentVariable is { } v ? v + " or " : "")}a SecretManagement vault (see about_AssetSync), or a credential file.", definition.Name);
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
                    $"The settings file '{shown}' gives '{definition.Name}' a value that is not a constant (line {valueAst.Extent.StartLineNumber}): settings files run no code. Write the value itself.", definition.Name);
            }
            values[definition.Name] = value is PSObject p ? p.BaseObject : value;
        }
        CheckForSecrets(values, shown);
        return new SettingsFile(path, values);
    }

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
                    $"The settings file '{shown}' has a Password inside its ConnectionString (not shown here). Remove it, and give the login with -DatabaseCredential " +
                    "(or DatabaseCredentialSecretName for the job), a Passfile, or Kerberos.", "ConnectionString");
            }
        }
        foreach (var key in new[] { "Proxy", "BaseUrl" })
        {
            if (values.TryGetValue(key, out var url) && url is not null && Uri.TryCreate(url.ToString(), UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new SyncConfigurationException(
                    $"The settings file '{shown}' has a login inside its {key} URL (not shown here). Remove it: give the proxy's login with -ProxyCredential " +
                    "(or ProxyCredentialSecretName for the job), and the API token with -ApiToken.", key);
            }
        }
    }
}
