BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $script = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
    $cs = New-TestDatabase
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
    Add-TestAsset $cs -Count 20
    $sim = Start-Simulator -Arguments @('--Assets', '20')
    $logs = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-logs-' + [guid]::NewGuid().ToString('N'))

    function Invoke-Job([string] $Token = $sim.Token, [string] $ConnectionString = $cs, [int] $Keep = 14, [string[]] $Extra = @()) {
        $env:ASSETSYNC_API_TOKEN = $Token
        try {
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath $logs -Keep $Keep -ConnectionString $ConnectionString -BaseUrl $sim.BaseUrl `
                -RetryIntervalSec 0.01 -RequestsPerSecond 500 @Extra 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
        } finally { Remove-Item Env:ASSETSYNC_API_TOKEN }
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $logs -ErrorAction SilentlyContinue
}

Describe 'Invoke-CmmsScheduledSync.ps1' {
    It 'exits 0 when everything synced, with a transcript and an empty failure list' {
        $r = Invoke-Job
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-ChildItem $logs -Filter 'assetsync-*.log').Count | Should -Be 1
        $csv = Get-ChildItem $logs -Filter 'failures-*.csv' | Select-Object -First 1
        @(Import-Csv $csv.FullName).Count | Should -Be 0
        Get-Content -Raw (Get-ChildItem $logs -Filter 'assetsync-*.log').FullName | Should -Match 'Retry run \d+: complete'
    }

    It 'exits 1 when some assets still fail, listing them in the CSV' {
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/faults" -ContentType 'application/json' -Body (@{ repeatLast = $true; scripts = @{ 'INF-000007' = @('404') } } | ConvertTo-Json) | Out-Null
        $r = Invoke-Job
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $csv = Get-ChildItem $logs -Filter 'failures-*.csv' | Sort-Object Name -Descending | Select-Object -First 1
        $rows = @(Import-Csv $csv.FullName)
        $rows.SerialNumber | Should -Be @('INF-000007')
        $rows[0].ErrorKind | Should -Be 'not_found'
    }

    It 'exits 2 when the token is refused' {
        $r = Invoke-Job -Token 'not-the-token'
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'refused the API token'
        $r.Output | Should -Not -Match 'not-the-token'
    }

    It 'exits 2 when the database cannot be reached' {
        $r = Invoke-Job -ConnectionString 'Host=127.0.0.1;Port=1;Username=u;Timeout=2'
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'could not be reached'
    }

    It 'removes log rows older than -LogRetentionDays and keeps every asset''s state' {
        Invoke-TestSql $cs "UPDATE ic3_sync_log SET synced_at = synced_at - interval '40 days'" | Out-Null
        $before = [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log')
        $r = Invoke-Job -Extra @('-LogRetentionDays', '30', '-MaxDuration', '00:05:00')
        $r.ExitCode | Should -BeIn @(0, 1) -Because $r.Output
        $r.Output | Should -Match 'Removed \d+ ic3_sync_log row\(s\) older than 30 day'
        [int](Invoke-TestSql $cs "SELECT count(*) FROM ic3_sync_log WHERE synced_at < now() - interval '30 days'") | Should -BeLessThan $before
        [int](Invoke-TestSql $cs "SELECT count(*) FROM cmms_asset_sync_state") | Should -Be 20
    }

    It 'keeps only the newest -Keep transcripts and CSVs' {
        1..3 | ForEach-Object { Invoke-Job -Keep 2 | Out-Null }
        @(Get-ChildItem $logs -Filter 'assetsync-*.log').Count | Should -Be 2
        @(Get-ChildItem $logs -Filter 'failures-*.csv').Count | Should -Be 2
    }
}
