BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $cs = New-TestDatabase
}
AfterAll { Remove-TestDatabase $cs }

Describe 'Installing AssetSync the way users do' {
    It 'packages, publishes to a folder repository, installs into a clean module path, imports and runs' {
        Invoke-Pwsh -NoProfile -NonInteractive -File (Join-Path $root 'build.ps1') -Task Package -NoBuild | Out-Null
        $LASTEXITCODE | Should -Be 0
        $version = (Import-PowerShellDataFile (Join-Path $root 'AssetSync.psd1')).ModuleVersion
        $folder = Join-Path $root "out/package/AssetSync/$version"
        Test-Path (Join-Path $root "out/package/AssetSync.$version.nupkg") | Should -BeTrue

        # A user of our own: a fresh HOME, so the repository registration and CurrentUser module path are clean.
        $home2 = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-home-' + [guid]::NewGuid().ToString('N'))
        $repo = Join-Path $home2 'repo'
        New-Item -ItemType Directory -Force -Path $repo | Out-Null
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name AssetSyncLocal -Uri '$repo' -Trusted
Publish-PSResource -Path '$folder' -Repository AssetSyncLocal
Install-PSResource -Name AssetSync -Repository AssetSyncLocal -Scope CurrentUser -TrustRepository
`$installed = Get-Module -ListAvailable AssetSync
Import-Module AssetSync
Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false
`$s = Get-CmmsSyncStatus -ConnectionString '$cs'
'{0}|{1}|{2}|{3}' -f `$installed.Version, `$installed.ModuleBase, `$s.TotalAssets, (Get-Help Invoke-CmmsSync).Synopsis
"@
        $savedHome = $env:HOME
        $env:HOME = $home2
        try {
            $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1
        } finally {
            $env:HOME = $savedHome
        }
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $parts = ($out | Select-Object -Last 1) -split '\|'
        $parts[0] | Should -Be $version
        $parts[1] | Should -BeLike "$home2*"
        $parts[2] | Should -Be '0'
        $parts[3] | Should -Be 'Syncs asset details from Innomaint into the IC3 asset register.'
        Test-Path (Join-Path $repo "AssetSync.$version.nupkg") | Should -BeTrue
        Remove-Item -Recurse -Force $home2
    }
}

Describe 'Tab completion' {
    It 'completes -SerialNumber from the assets failing now' {
        Import-Module (Join-Path $root 'AssetSync.psd1') -Force
        Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
        Add-TestAsset $cs -Count 3
        # Current states as the contract keeps them: one row per asset in cmms_asset_sync_state.
        Invoke-TestSql $cs "INSERT INTO cmms_asset_sync_state (serialnumber, status, error_kind, last_attempt_at) VALUES ('INF-000001','error','transient',now()), ('INF-000002','success',NULL,now()), ('INF-000003','error','not_found',now())" | Out-Null
        $line = "Invoke-CmmsSync -ConnectionString '$cs' -SerialNumber INF-"
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $found.CompletionText | Should -Be @('INF-000001', 'INF-000003')
        $found[0].ToolTip | Should -Match 'transient'
    }

    It 'offers nothing, quickly, when no database is known' {
        $line = 'Invoke-CmmsSync -SerialNumber INF-'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count | Should -Be 0
    }
}
