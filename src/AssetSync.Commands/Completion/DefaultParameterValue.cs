using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace AssetSync.Commands.Completion;

/// <summary>
/// Reads $PSDefaultParameterValues the way parameter binding would, for completers: binding has not
/// happened yet when a completer runs, so a connection string set there is not in fakeBoundParameters.
/// </summary>
internal static class DefaultParameterValue
{
    /// <summary>The default for <paramref name="parameter"/> of <paramref name="command"/>, or null.</summary>
    public static object? Find(string command, string parameter)
    {
        if (Runspace.DefaultRunspace is null)
        {
            return null;
        }
        IDictionary? defaults;
        try
        {
            // An unbound script block runs in the caller's dynamic scope, so it sees the same
            // $PSDefaultParameterValues that binding the completed command line would see, a local one included.
            defaults = ScriptBlock.Create("$PSDefaultParameterValues").Invoke().FirstOrDefault()?.BaseObject as IDictionary;
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or InvalidRunspaceStateException or RuntimeException)
        {
            return null;
        }
        return defaults is null ? null : Find(defaults, command, parameter);
    }

    /// <summary>
    /// An exact "Command:Parameter" key wins over wildcard keys, as in PowerShell; "Disabled" = $true turns them all off.
    /// </summary>
    internal static object? Find(IDictionary defaults, string command, string parameter)
    {
        if (defaults["Disabled"] is { } disabled && LanguagePrimitives.IsTrue(disabled))
        {
            return null;
        }
        object? wildcardMatch = null;
        foreach (DictionaryEntry entry in defaults)
        {
            if (entry.Key is not string key || key.LastIndexOf(':') is var colon && colon <= 0)
            {
                continue;
            }
            var commandPart = key[..colon].Trim();
            var parameterPart = key[(colon + 1)..].Trim();
            if (
                !WildcardPattern.Get(commandPart, WildcardOptions.IgnoreCase).IsMatch(command)
                || !WildcardPattern.Get(parameterPart, WildcardOptions.IgnoreCase).IsMatch(parameter)
            )
            {
                continue;
            }
            var value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            if (!WildcardPattern.ContainsWildcardCharacters(commandPart) && !WildcardPattern.ContainsWildcardCharacters(parameterPart))
            {
                return value;
            }
            wildcardMatch ??= value;
        }
        return wildcardMatch;
    }
}
