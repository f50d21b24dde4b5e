@{
    RootModule           = 'module/bin/AssetSync.Commands.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0c7c1e-8f1b-4c52-9a57-3e7f0c9b2a41'
    Author               = 'AssetSync contributors'
    CompanyName          = 'AssetSync'
    Copyright            = '(c) AssetSync contributors. MIT License.'
    Description          = 'Syncs asset details (make, model, location, status, warranty, PM schedules) from the Innomaint CMMS API into the IC3 asset register in PostgreSQL, with retries, a rate limit, a per-asset sync log and re-runs of failed assets.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/AssetSync.format.ps1xml')
    CmdletsToExport      = @(
        'Invoke-CmmsSync'
        'Invoke-CmmsRetryFailed'
        'Get-CmmsSyncStatus'
        'Get-CmmsSyncFailure'
        'Initialize-CmmsSyncSchema'
        'Export-CmmsSyncReport'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('CMMS', 'Innomaint', 'IC3', 'PostgreSQL', 'Sync', 'AssetManagement', 'Healthcare')
            ProjectUri   = 'https://github.com/assetsync/AssetSync'
            LicenseUri   = 'https://github.com/assetsync/AssetSync/blob/main/LICENSE'
            ReleaseNotes = 'First release: Invoke-CmmsSync, Invoke-CmmsRetryFailed, Get-CmmsSyncStatus, Get-CmmsSyncFailure, Initialize-CmmsSyncSchema.'
        }
    }
}
