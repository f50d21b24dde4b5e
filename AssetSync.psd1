@{
    RootModule           = 'module/bin/AssetSync.Commands.dll'
    ModuleVersion        = '0.4.0'
    GUID                 = '5d0c7c1e-8f1b-4c52-9a57-3e7f0c9b2a41'
    Author               = 'AssetSync contributors'
    CompanyName          = 'AssetSync'
    Copyright            = '(c) AssetSync contributors. MIT License.'
    Description          = 'Syncs asset details (make, model, location, status, warranty, PM schedules) from the Innomaint CMMS API into the IC3 asset register in PostgreSQL, with retries, a rate limit, a per-asset sync log and re-runs of failed assets.'
    # PowerShell 7.6 LTS, on .NET 10: 7.4 and 7.5 reached end of support on 2026-11-10.
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/AssetSync.format.ps1xml')
    CmdletsToExport      = @(
        'Invoke-CmmsSync'
        'Invoke-CmmsRetryFailed'
        'Get-CmmsSyncStatus'
        'Remove-CmmsSyncLog'
        'Get-CmmsSyncFailure'
        'Initialize-CmmsSyncSchema'
        'Export-CmmsSyncReport'
        'Write-CmmsSyncEvent'
        'Register-CmmsSyncEventSource'
        'Get-CmmsSyncConfiguration'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('CMMS', 'Innomaint', 'IC3', 'PostgreSQL', 'Sync', 'AssetManagement', 'Healthcare')
            ProjectUri   = 'https://github.com/assetsync/AssetSync'
            LicenseUri   = 'https://github.com/assetsync/AssetSync/blob/main/LICENSE'
            ReleaseNotes = 'Cmdlets: Invoke-CmmsSync, Invoke-CmmsRetryFailed, Get-CmmsSyncStatus, Get-CmmsSyncFailure, Initialize-CmmsSyncSchema, Export-CmmsSyncReport, Remove-CmmsSyncLog, Write-CmmsSyncEvent, Register-CmmsSyncEventSource. Unreleased: a run summary''s Status is the enum [AssetSync.RunStatus] (it was a string): -eq ''complete'' still compares by name, ConvertTo-Json still writes ''complete'', views show the contract name, Export-Csv writes Complete; [AssetSync.SyncRunSummary]::SkippedStatus is gone (use [AssetSync.RunStatus]::Skipped); -Order ChangeRate|Stalest and EstimatedOutdatedAssets; a quota 429 is no attempt of the asset. 0.4.0: -RequestsPerSecond Auto (stated quotas used whole, otherwise learned and stored in cmms_rate_state), rate-limit headers honoured, requests in selection order; -IfRunning Fail|Wait|Skip; -MetricsPath (Prometheus textfile); the AssetSync meter and activity source; run events 1000-1004; the job exits 0/2/3 with -MaxFailedPercent. 0.3.0: schema 2 with per-asset state (cmms_asset_sync_state), upgraded online (short locks, batched backfills, concurrent indexes, resumable); stalest-first batches, -MaxDuration, -NotSyncedSince; unchanged assets (304 or same body) cost no rewrite; not_found and client_error deferred 1, 2, 4 ... 30 days; status freshness; log retention. 0.2.0: runs close their row on every path; untrusted text inert; -Confirm prompts. Requires PowerShell 7.6 (.NET 10).'
        }
    }
}
