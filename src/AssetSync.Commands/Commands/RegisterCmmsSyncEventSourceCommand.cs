using System.Management.Automation;
using AssetSync.Commands.Infrastructure;
using AssetSync.Reporting;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Registers the "AssetSync" source in the Windows Application log, once, as an administrator.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CmmsSyncEventSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RegisterCmmsSyncEventSourceCommand : AsyncPSCmdlet
{
    /// <summary>Every failure as an error record with its AssetSync ErrorId and category.</summary>
    protected override void OnFailure(Exception exception) => ThrowTerminatingError(ErrorRecords.From(exception));

    protected override async Task EndProcessingAsync()
    {
        if (!OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(
                "The Windows Event Log exists only on Windows. On Linux the scheduled job writes its events to the journal through systemd-cat "
                    + "(identifier AssetSync); nothing needs registering."
            );
        }
        if (SyncRunEvents.EventSourceExists())
        {
            PostVerbose($"The Event Log source '{SyncRunEvent.Source}' is already registered.");
            return;
        }
        if (
            !await OnPipelineThread(() => ShouldProcess("Application log", $"Register the event source '{SyncRunEvent.Source}'"))
                .ConfigureAwait(false)
        )
        {
            return;
        }
        SyncRunEvents.CreateEventSource();
        PostVerbose($"Registered the Event Log source '{SyncRunEvent.Source}' in the Application log.");
    }
}
