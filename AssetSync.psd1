@{
    RootModule           = 'module/bin/AssetSync.Commands.dll'
    ModuleVersion        = '0.2.0'
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
            ReleaseNotes = 'Cmdlets: Invoke-CmmsSync, Invoke-CmmsRetryFailed, Get-CmmsSyncStatus, Get-CmmsSyncFailure, Initialize-CmmsSyncSchema, Export-CmmsSyncReport. 0.2.0: runs close their row on every path (SIGTERM included) with live counts; a wrong asset path is caught before it marks the register failed; untrusted text is shown inert; -Confirm prompts; plain http carries the token only to a loopback host unless -AllowUnencryptedAuthentication. Requires PowerShell 7.6 (.NET 10).'
        }
    }
}
