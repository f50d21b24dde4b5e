BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $cs = New-TestDatabase
}
AfterAll { Remove-TestDatabase $cs }

Describe 'Dependency isolation' {
    It 'works in a session that already loaded another Npgsql' {
        $npgsql8 = $env:ASSETSYNC_TEST_NPGSQL8
        Test-Path $npgsql8 | Should -BeTrue -Because 'build.ps1 restores Npgsql 8.0.9 for this test'
        $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$npgsql8'
`$before = [Npgsql.NpgsqlConnection].Assembly.GetName().Version.ToString()
Import-Module '$root/AssetSync.psd1'
Initialize-CmmsSyncSchema -ConnectionString '$cs'
`$status = Get-CmmsSyncStatus -ConnectionString '$cs'
`$engineNpgsql = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Npgsql' } | ForEach-Object { `$_.GetName().Version.ToString() }
"`$before|`$(`$status.TotalAssets)|`$((`$engineNpgsql | Sort-Object) -join ',')"
"@
        $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $parts = ($out | Select-Object -Last 1) -split '\|'
        $parts[0] | Should -BeLike '8.0.9*'
        $parts[1] | Should -Be '0'
        $parts[2] | Should -Match '8\.0\.9.*,10\.0\.|10\.0\..*8\.0\.9'
    }
}
