using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Creates or upgrades AssetSync's tables and columns online; keeps existing data.</para>
/// </summary>
[Cmdlet(VerbsData.Initialize, "CmmsSyncSchema", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SchemaMigration))]
public sealed class InitializeCmmsSyncSchemaCommand : DatabaseCommandBase
{
    /// <summary>Emit the migrations applied.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task EndProcessingAsync()
    {
        await using var database = new SyncDatabase(ResolveConnectionString());
        var pending = await database.GetPendingMigrationsAsync(CancelToken).ConfigureAwait(false);
        var whatIf = await OnPipelineThread(IsWhatIf).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            var current = $"The schema of {database.Target} is current (version {SyncDatabase.RequiredSchemaVersion}); nothing to do.";
            // -WhatIf must say so too: it is what the operator asked to learn.
            if (whatIf)
            {
                Post(() => WriteInformation(new HostInformationMessage { Message = "What if: " + current }, ["PSHOST"]));
            }
            PostVerbose(current);
            return;
        }
        if (whatIf)
        {
            // The cost, step by step: what each touches and about how long it takes on this database.
            foreach (var migration in pending)
            {
                foreach (var step in migration.Steps.Where(s => !s.Done))
                {
                    Post(() => ShouldProcess($"{database.Target} (schema version {migration.Version})", $"Step {step}"));
                }
                Post(() =>
                    ShouldProcess(
                        $"{database.Target} (schema version {migration.Version})",
                        $"Apply migration {migration}: {migration.Steps.Count(s => !s.Done)} step(s), {migration.Rows:N0} rows to read or write, "
                            + $"{SchemaStep.Format(migration.EstimatedDuration)}"
                    )
                );
            }
            return;
        }
        foreach (var migration in pending)
        {
            var target = $"{database.Target} (schema version {migration.Version})";
            var question =
                $"Apply migration {migration} ({migration.Steps.Count(s => !s.Done)} step(s), {SchemaStep.Format(migration.EstimatedDuration)})";
            if (!await OnPipelineThread(() => ShouldProcess(target, question)).ConfigureAwait(false))
            {
                // Each migration builds on the one before: declining one leaves the later ones undone.
                break;
            }
            var bar = new ProgressBar(
                this,
                ProgressBar.SchemaActivity,
                $"Upgrading {database.Target} to schema {migration.Version}",
                minIntervalMs: 250
            );
            var progress = new StepProgress(bar, migration);
            var applied = await database.ApplyMigrationAsync(migration, progress, PostVerbose, CancelToken).ConfigureAwait(false);
            bar.Complete();
            PostVerbose(
                applied
                    ? $"Applied schema migration {migration} to {database.Target}."
                    : $"Schema migration {migration} was already applied to {database.Target} by another session."
            );
            if (PassThru)
            {
                PostObject(migration);
            }
        }
    }

    /// <summary>Step progress as one progress bar per version: the step, rows done of rows in all, and time left.</summary>
    private sealed class StepProgress(ProgressBar bar, SchemaMigration migration) : IProgress<SchemaStepProgress>
    {
        public void Report(SchemaStepProgress value)
        {
            var index = migration.Steps.Select((s, i) => (s, i)).FirstOrDefault(x => x.s.Name == value.Step.Name).i;
            var status =
                value.WaitingFor is { } w ? $"Step {value.Step.Name}: waiting for {w}"
                : value.RowsTotal is { } total ? $"Step {value.Step.Name}: {value.RowsDone:N0} of {total:N0} rows"
                : $"Step {value.Step.Name}{(value.Completed ? ": done" : "")}";
            bar.Activity = $"Upgrading to schema {migration.Version} (step {index + 1} of {migration.Steps.Count})";
            var percent =
                value.RowsTotal is { } t && t > 0
                    ? (int)Math.Clamp(value.RowsDone * 100 / t, 0, 100)
                    : Math.Clamp((index + (value.Completed ? 1 : 0)) * 100 / Math.Max(1, migration.Steps.Count), 0, 100);
            bar.Report(
                status,
                currentOperation: value.Step.Description,
                percent: percent,
                remaining: value.Remaining,
                force: value.Completed || value.WaitingFor is not null
            );
        }
    }
}
