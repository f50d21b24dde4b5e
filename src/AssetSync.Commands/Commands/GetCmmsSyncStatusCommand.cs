using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Summarises the register's sync state and the latest runs.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "CmmsSyncStatus")]
[OutputType(typeof(SyncStatus))]
public sealed class GetCmmsSyncStatusCommand : DatabaseCommandBase
{
    /// <summary>How many of the latest runs to include in LastRuns.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int Last { get; set; } = 5;

    protected override async Task EndProcessingAsync()
    {
        await using var database = new SyncDatabase(ResolveConnectionString());
        PostObject(await database.GetStatusAsync(Last, CancelToken).ConfigureAwait(false));
    }
}
