using System.Management.Automation;
using AssetSync.Commands.Infrastructure;

namespace AssetSync.Commands;

/// <summary>
/// <para type="synopsis">Creates or upgrades AssetSync's tables and columns; keeps existing data.</para>
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
        if (pending.Count == 0)
        {
            var current = $"The schema of {database.Target} is current (version {SyncDatabase.RequiredSchemaVersion}); nothing to do.";
            // -WhatIf must say so too: it is what the operator asked to learn.
            if (await OnPipelineThread(IsWhatIf).ConfigureAwait(false))
            {
                Post(() => WriteInformation(new HostInformationMessage { Message = "What if: " + current }, ["PSHOST"]));
            }
            PostVerbose(current);
            return;
        }
        foreach (var migration in pending)
        {
            var target = $"{database.Target} (schema version {migration.Version})";
            if (!await OnPipelineThread(() => ShouldProcess(target, $"Apply migration {migration}")).ConfigureAwait(false))
            {
                // Each migration builds on the one before: declining one leaves the later ones undone.
                break;
            }
            var applied = await database.ApplyMigrationAsync(migration, CancelToken).ConfigureAwait(false);
            PostVerbose(applied
                ? $"Applied schema migration {migration} to {database.Target}."
                : $"Schema migration {migration} was already applied to {database.Target} by another session.");
            if (PassThru)
            {
                PostObject(migration);
            }
        }
    }
}
