using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Lists the assets whose current state is error, with their latest error.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CmmsSyncFailure", DefaultParameterSetName = AllSet)]
[OutputType(typeof(SyncFailure))]
public sealed class GetCmmsSyncFailureCommand : DatabaseCommandBase
{
    private const string AllSet = "All";
    private const string DeferredSet = "Deferred";
    private const string NotDeferredSet = "NotDeferred";

    /// <summary>Only the deferred failures: not_found and client_error assets that runs skip until NextAttemptAt.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DeferredSet)]
    public SwitchParameter Deferred { get; set; }

    /// <summary>Only the failures runs will retry now (not deferred).</summary>
    [Parameter(Mandatory = true, ParameterSetName = NotDeferredSet)]
    public SwitchParameter NotDeferred { get; set; }

    /// <summary>Only failures of these kinds, as Get-CmmsSyncFailure prints them: not_found, client_error, transient, network, timeout,
    /// invalid_response, database (the enum's names, such as NotFound, bind too).</summary>
    /// <remarks>
    /// Strings, not the enum: PowerShell completes an enum parameter with the enum's names whatever completer it names, and
    /// the names a user sees (and completes) must be the ones Get-CmmsSyncFailure prints. The transformation refuses anything else.
    /// </remarks>
    [Parameter]
    [ErrorKindTransformation]
    [ArgumentCompleter(typeof(Completion.ErrorKindCompleter))]
    public string[]? ErrorKind { get; set; }

    protected override async Task EndProcessingAsync()
    {
        await using var database = new SyncDatabase(ResolveConnectionString());
        var kinds = ErrorKind is { Length: > 0 } ? new HashSet<string>(ErrorKind, StringComparer.Ordinal) : null;
        bool? deferred = ParameterSetName switch
        {
            DeferredSet => true,
            NotDeferredSet => false,
            _ => null,
        };
        await foreach (var failure in database.GetFailuresAsync(deferred, CancelToken).ConfigureAwait(false))
        {
            if (kinds is null || (failure.ErrorKind is not null && kinds.Contains(failure.ErrorKind)))
            {
                PostObject(failure);
            }
        }
    }
}
