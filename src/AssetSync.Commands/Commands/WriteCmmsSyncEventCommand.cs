using System.Management.Automation;
using AssetSync.Commands.Infrastructure;
using AssetSync.Reporting;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Writes a run's events (IDs 1000-1004) to the Windows Application log, or on Linux to the journal.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "CmmsSyncEvent")]
[OutputType(typeof(SyncRunEvent))]
public sealed class WriteCmmsSyncEventCommand : AsyncPSCmdlet
{
    /// <summary>The run's summary (Invoke-CmmsSync -Summary), from the pipeline or by name. Absent when the run failed without one.</summary>
    [Parameter(ValueFromPipeline = true)]
    public SyncRunSummary? Summary { get; set; }

    /// <summary>Why the run failed, when there is no summary to say it (the run could not start).</summary>
    [Parameter]
    public string? RunError { get; set; }

    /// <summary>The register's state (Get-CmmsSyncStatus): failed assets against -MaxFailedPercent, and stale ones (event 1004).</summary>
    [Parameter]
    public SyncStatus? Status { get; set; }

    /// <summary>Failed assets (deferred ones not counted), as a percentage of the register, above which event 1001 is a warning.</summary>
    [Parameter]
    [ValidateSetting(nameof(MaxFailedPercent))]
    public double MaxFailedPercent { get; set; } = SyncDefaults.MaxFailedPercent;

    /// <summary>Event 1001 is a warning for any failed asset.</summary>
    [Parameter]
    public SwitchParameter FailOnAnyFailure { get; set; }

    /// <summary>Emit the events written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Every failure as an error record with its AssetSync ErrorId and category.</summary>
    protected override void OnFailure(Exception exception) => ThrowTerminatingError(ErrorRecords.From(exception));

    protected override Task ProcessRecordAsync()
    {
        if (Summary is null && string.IsNullOrEmpty(RunError))
        {
            throw new SyncConfigurationException(
                "Give the run's -Summary (Invoke-CmmsSync -Summary), or -RunError when the run failed without one.",
                "Summary"
            );
        }
        var events = SyncRunEvents.Plan(Summary, RunError, Status, MaxFailedPercent, FailOnAnyFailure);
        string? where;
        string nowhere = OperatingSystem.IsWindows()
            ? "not written"
            : "not written (no journal here: systemd-cat or the journal's socket is missing)";
        try
        {
            where = SyncRunEvents.Write(events);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An event that cannot be written (no source registered, no rights, a journal that refused) must not fail the job that reports it.
            var reason = (ex.InnerException ?? ex).Message;
            PostWarning(
                OperatingSystem.IsWindows()
                    ? $"The run's events could not be written ({reason}). Run Register-CmmsSyncEventSource once as an administrator."
                    : $"The run's events could not be written to the journal ({reason})."
            );
            where = null;
            nowhere = $"not written ({reason})";
        }
        foreach (var e in events)
        {
            PostVerbose($"Event {e.EventId} ({e.Level}) {(where is null ? nowhere : "written to the " + where)}: {e.Message}");
            if (PassThru)
            {
                PostObject(e);
            }
        }
        return Task.CompletedTask;
    }
}
