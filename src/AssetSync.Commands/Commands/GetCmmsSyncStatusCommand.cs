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
    public int Last { get; set; } = SyncDefaults.StatusLastRuns;

    /// <summary>An asset last synced longer ago than this, or never, counts in StaleAssets. Default 7 days.</summary>
    [Parameter]
    public TimeSpan StaleAfter { get; set; } = SyncDefaults.StaleAfter;

    protected override async Task EndProcessingAsync()
    {
        if (StaleAfter <= TimeSpan.Zero)
        {
            throw new SyncConfigurationException(
                $"-StaleAfter must be greater than zero, for example 7.00:00:00 or (New-TimeSpan -Days 7); it was {StaleAfter}.",
                "StaleAfter"
            );
        }
        await using var database = new SyncDatabase(ResolveConnectionString());
        PostObject(await database.GetStatusAsync(Last, StaleAfter, CancelToken).ConfigureAwait(false));
    }
}
