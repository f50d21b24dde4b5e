using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace AssetSync.Commands.Completion;

/// <summary>
/// Tab completion of -ErrorKind with the names Get-CmmsSyncFailure prints and ic3_sync_log stores (not_found,
/// invalid_response): one spelling in completion, output, help and docs. The enum's names still bind.
/// </summary>
public sealed class ErrorKindCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters
    )
    {
        var prefix = (wordToComplete ?? "").Trim('\'', '"');
        return SyncErrorKinds
            .Logged.Select(k => k.ToContractName())
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
