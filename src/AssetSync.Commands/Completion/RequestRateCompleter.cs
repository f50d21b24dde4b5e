using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace AssetSync.Commands.Completion;

/// <summary>Tab completion of -RequestsPerSecond: Auto (a number is typed, not completed; file names never are).</summary>
public sealed class RequestRateCompleter : IArgumentCompleter
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
        return "Auto".StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            ?
            [
                new CompletionResult(
                    "Auto",
                    "Auto",
                    CompletionResultType.ParameterValue,
                    "Use the quota Innomaint states, or learn it and remember it"
                ),
            ]
            : [];
    }
}
