BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $script = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
    $cs, $sim = New-SyncTestSetup -Assets 20
    $logs = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-logs-' + [guid]::NewGuid().ToString('N'))

    function Invoke-Job([string] $Token = $sim.Token, [string] $ConnectionString = $cs, [int] $Keep = 14, [object[]] $Extra = @()) {
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
        # Where there is no journal, the event goes nowhere and says so: no stray line from systemd-cat.
        $r.Output | Should -Not -Match 'Failed to create stream fd'
        @(Get-ChildItem $logs -Filter 'assetsync-*.log').Count | Should -Be 1
        $csv = Get-ChildItem $logs -Filter 'failures-*.csv' | Select-Object -First 1
        @(Import-Csv $csv.FullName).Count | Should -Be 0
        Get-Content -Raw (Get-ChildItem $logs -Filter 'assetsync-*.log').FullName | Should -Match 'Retry run \d+: complete'
    }

    It 'lists failed assets in the CSV; deferred ones (404) never count against -MaxFailedPercent' {
        Set-SimulatorFault $sim @{ repeatLast = $true; scripts = @{ 'INF-000007' = @('404') } }
        $r = Invoke-Job -Extra @('-MaxFailedPercent', '0')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $csv = Get-ChildItem $logs -Filter 'failures-*.csv' | Sort-Object Name -Descending | Select-Object -First 1
        $rows = @(Import-Csv $csv.FullName)
        $rows.SerialNumber | Should -Be @('INF-000007')
        $rows[0].ErrorKind | Should -Be 'not_found'
        $r.Output | Should -Match '0 failed asset\(s\) not deferred'
    }

    It 'exits 3 above -MaxFailedPercent or with -FailOnAnyFailure, and 0 at or below it; never 1' {
        # One asset of 20 keeps failing with 500 (transient, so never deferred): 5 % of the register.
        Set-SimulatorFault $sim @{ repeatLast = $true; scripts = @{ 'INF-000011' = @('500') } }
        $r = Invoke-Job
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match '1 failed asset\(s\) not deferred: 5 % of 20 \(threshold 5 %\)'
        (Invoke-Job -Extra @('-MaxFailedPercent', '4.9')).ExitCode | Should -Be 3
        (Invoke-Job -Extra @('-FailOnAnyFailure')).ExitCode | Should -Be 3
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }

    It 'writes -MetricsPath whose values match the run summary and Get-CmmsSyncStatus' {
        $prom = Join-Path $logs 'assetsync.prom'
        $r = Invoke-Job -Extra @('-MetricsPath', $prom)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $text = Get-Content -Raw $prom
        $text | Should -Match '(?m)^# TYPE assetsync_run_requests gauge$'
        $text | Should -Match '(?m)^assetsync_last_run_status\{status="complete"\} 1$'
        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $text | Should -Match "(?m)^assetsync_register_assets\{state=`"synced`"\} $($status.SyncedAssets)$"
        @(Get-ChildItem $logs -Filter '.assetsync.prom.*' -Force).Count | Should -Be 0
    }

    It 'exits 2 when the token is refused' {
        $r = Invoke-Job -Token 'not-the-token'
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'refused the API token'
        $r.Output | Should -Not -Match 'not-the-token'
    }

    It 'exits 2 with the reason on stderr and event 1002 when -LogPath cannot be used' {
        # A folder below a regular file: no user, root included, can create it.
        $file = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-notadir-' + [guid]::NewGuid().ToString('N'))
        Set-Content -Path $file -Value 'x'
        try {
            $env:ASSETSYNC_API_TOKEN = $sim.Token
            $errFile = "$file.err"
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath (Join-Path $file 'logs') -ConnectionString $cs -BaseUrl $sim.BaseUrl 2> $errFile
            $code = $LASTEXITCODE
            $stderr = Get-Content -Raw $errFile
        } finally {
            Remove-Item Env:ASSETSYNC_API_TOKEN
            Remove-Item -Force $file, "$file.err" -ErrorAction SilentlyContinue
        }
        $code | Should -Be 2 -Because ($out -join "`n")
        $stderr | Should -Match 'The log folder -LogPath .* cannot be used'
        ($out -join "`n") | Should -Match 'Event 1002 \(Error\)'
    }

    It 'exits 2 when the database cannot be reached' {
        $r = Invoke-Job -ConnectionString 'Host=127.0.0.1;Port=1;Username=u;Timeout=2' -Extra @('-DatabaseMaximumRetryCount', '0')
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'could not be reached'
    }

    It 'removes log rows older than -LogRetentionDays and keeps every asset''s state' {
        Invoke-TestSql $cs "UPDATE ic3_sync_log SET synced_at = synced_at - interval '40 days'" | Out-Null
        $before = [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log')
        $r = Invoke-Job -Extra @('-LogRetentionDays', '30', '-MaxDuration', '00:05:00')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Removed \d+ ic3_sync_log row\(s\) older than 30 day'
        [int](Invoke-TestSql $cs "SELECT count(*) FROM ic3_sync_log WHERE synced_at < now() - interval '30 days'") | Should -BeLessThan $before
        [int](Invoke-TestSql $cs "SELECT count(*) FROM cmms_asset_sync_state") | Should -Be 20
    }

    It 'keeps only the newest -Keep transcripts and CSVs' {
        # Only two earlier nights' files (their stamps older than any run of today), then one run: the oldest of each kind goes.
        Get-ChildItem $logs -Include 'assetsync-*.log', 'failures-*.csv' -Recurse -Depth 0 | Remove-Item
        foreach ($stamp in '20260101-010000-000', '20260102-010000-000') {
            Set-Content (Join-Path $logs "assetsync-$stamp.log") 'an earlier night'
            Set-Content (Join-Path $logs "failures-$stamp.csv") 'SerialNumber'
        }
        $r = Invoke-Job -Keep 2
        $r.ExitCode | Should -Be 0 -Because $r.Output
        foreach ($pattern in 'assetsync-*.log', 'failures-*.csv') {
            $kept = @(Get-ChildItem $logs -Filter $pattern | Sort-Object Name).Name
            $kept.Count | Should -Be 2
            $kept[0] | Should -BeLike '*20260102-010000-000*' -Because 'the newer of the two earlier files is kept'
            $kept[1] | Should -Not -BeLike '*2026010*' -Because "tonight's file is kept"
        }
    }

    It 'runs on two hosts at once: one syncs, the other skips (-IfRunning Skip is the default), and both exit 0' {
        # Innomaint answers each request after 8 s (under the 15 s timeout), so the first host's run holds the database until
        # the test lets it go: after the second host has come and gone. Signals throughout, never a guess at a delay.
        Set-SimulatorConfig $sim @{ LatencyMs = 8000 }
        $servicesModule = (Resolve-Path (Join-Path $PSScriptRoot '../Shared/TestServices.psm1')).Path
        $runHost = {
            param($script, $logs, $cs, $baseUrl, $token, $module, $n)
            Import-Module $module
            $env:ASSETSYNC_API_TOKEN = $token
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath (Join-Path $logs "host$n") -ConnectionString $cs -BaseUrl $baseUrl `
                -RetryIntervalSec 0.01 -RequestsPerSecond 8 2>&1
            [pscustomobject]@{ Host = $n; ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
        }
        $jobs = @()
        try {
            $jobs += Start-ThreadJob -ScriptBlock $runHost -ArgumentList $script, $logs, $cs, $sim.BaseUrl, $sim.Token, $servicesModule, 1
            # The second host starts once the first holds the run: its run row says so.
            $until = [DateTime]::UtcNow.AddSeconds(120)
            while ([int](Invoke-PgSql $cs "SELECT count(*) FROM cmms_sync_log WHERE status = 'running'") -eq 0) {
                if ([DateTime]::UtcNow -gt $until -or $jobs[0].State -in 'Completed', 'Failed', 'Stopped') { throw "the first host never started its run: $($jobs[0] | Receive-Job | Out-String)" }
                Start-Sleep -Milliseconds 20
            }
            $jobs += Start-ThreadJob -ScriptBlock $runHost -ArgumentList $script, $logs, $cs, $sim.BaseUrl, $sim.Token, $servicesModule, 2
            $second = $jobs[1] | Wait-Job -Timeout 120 | Receive-Job
            # The second host has skipped: the first may finish now.
            Set-SimulatorConfig $sim @{ LatencyMs = 0 }
            $first = $jobs[0] | Wait-Job -Timeout 120 | Receive-Job
            $results = @($first) + @($second) | Where-Object { $_ }
        } finally {
            Set-SimulatorConfig $sim @{ LatencyMs = 0 }
            $jobs | Remove-Job -Force
        }
        $results.Count | Should -Be 2
        foreach ($r in $results) { $r.ExitCode | Should -Be 0 -Because $r.Output }
        @($results | Where-Object Output -Match 'Sync run \d+: complete').Count | Should -Be 1
        # The holder is named when its run row is written; between taking the lock and writing the row (the selection),
        # or between the first host's batch and retry runs, the lock alone says another run has it. Both are a skip.
        @($results | Where-Object Output -Match "Skipped: Another AssetSync run (is in progress|holds this database's run lock)").Count | Should -Be 1
        @($results | Where-Object Output -Match 'Event 1003 \(Information\): AssetSync skipped its run').Count | Should -Be 1
    }
}
