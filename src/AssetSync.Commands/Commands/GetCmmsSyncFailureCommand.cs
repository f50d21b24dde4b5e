using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Lists the assets whose current state is error, with their latest error.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CmmsSyncFailure")]
[OutputType(typeof(SyncFailure))]
public sealed class GetCmmsSyncFailureCommand : DatabaseCommandBase
{
    /// <summary>Only failures of these kinds: NotFound, ClientError, Transient, Network, Timeout, InvalidResponse, Database (the contract names, such as not_found, work too).</summary>
    [Parameter]
    [ErrorKindTransformation]
    public SyncErrorKind[]? ErrorKind { get; set; }

    protected override async Task EndProcessingAsync()
    {
        await using var database = new SyncDatabase(ResolveConnectionString());
        var kinds = ErrorKind is { Length: > 0 } ? new HashSet<string>(ErrorKind.Select(k => k.ToContractName()), StringComparer.Ordinal) : null;
        await foreach (var failure in database.GetFailuresAsync(CancelToken).ConfigureAwait(false))
        {
            if (kinds is null || (failure.ErrorKind is not null && kinds.Contains(failure.ErrorKind)))
            {
                PostObject(failure);
            }
        }
    }
}
