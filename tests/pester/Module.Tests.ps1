BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $manifest = Join-Path $root 'AssetSync.psd1'
}

Describe 'The built module' {
    It 'passes Test-ModuleManifest with explicit exports, PowerShell 7.6 and Core' {
        $m = Test-ModuleManifest -Path $manifest -ErrorAction Stop
        $m.PowerShellVersion | Should -Be ([version]'7.6')
        $m.CompatiblePSEditions | Should -Contain 'Core'
        $m.PrivateData.PSData.Tags | Should -Not -BeNullOrEmpty
        $m.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $m.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        (Get-Content -Raw $manifest) | Should -Not -Match "CmdletsToExport\s*=\s*'\*'"
    }

    It 'imports from the repository root and exports the ten cmdlets' {
        $cmds = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest' -ErrorAction Stop; (Get-Command -Module AssetSync).Name -join ','"
        $LASTEXITCODE | Should -Be 0
        ($cmds -split ',' | Sort-Object) | Should -Be @('Export-CmmsSyncReport', 'Get-CmmsSyncConfiguration', 'Get-CmmsSyncFailure', 'Get-CmmsSyncStatus', 'Initialize-CmmsSyncSchema', 'Invoke-CmmsRetryFailed', 'Invoke-CmmsSync', 'Register-CmmsSyncEventSource', 'Remove-CmmsSyncLog', 'Write-CmmsSyncEvent')
    }

    It 'makes the user-facing types resolvable while the engine stays isolated' {
        $out = Invoke-Pwsh -NoProfile -NonInteractive -Command @"
Import-Module '$manifest' -ErrorAction Stop
`$alc = [System.Runtime.Loader.AssemblyLoadContext]
'{0}|{1}|{2}' -f [AssetSync.AssetSyncResult].FullName, `$alc::GetLoadContext([AssetSync.SyncStatus].Assembly).Name, [AssetSync.CredentialsRefusedException].BaseType.Name
"@
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        ($out | Select-Object -Last 1) | Should -Be 'AssetSync.AssetSyncResult|Default|SyncRunFailedException'
    }

    It 'keeps the engine and its packages out of the cmdlet folder' {
        Test-Path (Join-Path $root 'module/bin/AssetSync.Commands.dll') | Should -BeTrue
        Test-Path (Join-Path $root 'module/bin/Npgsql.dll') | Should -BeFalse
        Test-Path (Join-Path $root 'module/bin/engine/Npgsql.dll') | Should -BeTrue
        Test-Path (Join-Path $root 'module/bin/engine/AssetSync.Engine.dll') | Should -BeTrue
        Test-Path (Join-Path $root 'module/bin/AssetSync.Model.dll') | Should -BeTrue
        Test-Path (Join-Path $root 'module/bin/engine/AssetSync.Model.dll') | Should -BeFalse
    }
}
