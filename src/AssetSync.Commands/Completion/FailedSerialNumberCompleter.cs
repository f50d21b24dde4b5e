using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands.Completion;

/// <summary>
/// Tab completion of -SerialNumber from the assets failing now, when the database is known
/// (-ConnectionString on the line, then $PSDefaultParameterValues, then ASSETSYNC_CONNECTION_STRING, the order
/// binding uses). Matches are sorted, case-insensitively, and capped. Quietly offers nothing when
/// it is not, or when the database does not answer within two seconds: completion must never hang a prompt.
/// </summary>
public sealed class FailedSerialNumberCompleter : IArgumentCompleter
{
    private const int MaxResults = 100;

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters
    )
    {
        var connectionString =
            fakeBoundParameters["ConnectionString"] as string
            ?? DefaultParameterValue.Find(commandName, "ConnectionString") as string
            ?? Environment.GetEnvironmentVariable(DatabaseCommandBase.ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return [];
        }
        var prefix = (wordToComplete ?? "").Trim('\'', '"');
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return Task.Run(() => FindAsync(connectionString, prefix, timeout.Token)).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is AssetSyncException or OperationCanceledException)
        {
            return [];
        }
    }

    private static async Task<List<CompletionResult>> FindAsync(string connectionString, string prefix, CancellationToken ct)
    {
        var matches = new List<SyncFailure>();
        await using var database = new SyncDatabase(connectionString);
        await foreach (var f in database.GetFailuresAsync(ct).ConfigureAwait(false))
        {
            if (f.SerialNumber.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                matches.Add(f);
            }
        }
        // Sorted before capping, so the first 100 are the first 100 in order, not the first 100 the query happened to return.
        return matches
            .OrderBy(f => f.SerialNumber, StringComparer.OrdinalIgnoreCase)
            .ThenBy(f => f.SerialNumber, StringComparer.Ordinal)
            .Take(MaxResults)
            .Select(f =>
            {
                var text =
                    f.SerialNumber.IndexOfAny([' ', '\'', '"', '$', '`', ';', ',', '(', ')', '{', '}', '|', '&', '@', '#']) >= 0
                        ? "'" + f.SerialNumber.Replace("'", "''", StringComparison.Ordinal) + "'"
                        : f.SerialNumber;
                // List text and tooltip are shown by the terminal: inert. The inserted text is the verbatim serial, quoted.
                return new CompletionResult(
                    text,
                    TextSafety.Inert(f.SerialNumber, 60)!,
                    CompletionResultType.ParameterValue,
                    $"{TextSafety.Inert(f.SerialNumber, 80)}: {f.ErrorKind} {TextSafety.Inert(f.Error, 200)}"
                );
            })
            .ToList();
    }
}
