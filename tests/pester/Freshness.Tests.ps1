# Issue 13 and 16 through the built module: time budgets, deferral, freshness, log retention, the online upgrade's cmdlet.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs, $sim = New-SyncTestSetup -Assets 30 -SimulatorArguments @('--Validators', 'both', '--LatencyMs', '20')
    Set-SimulatorFault $sim @{ repeatLast = $true; scripts = @{ 'INF-000007' = @('404') } }
    $common = @{
        ConnectionString = $cs; BaseUrl = $sim.BaseUrl
        ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force)
        RetryIntervalSec = 0.01; RequestsPerSecond = 1000; TimeoutSec = 5; AssetPathSuspectThreshold = 0
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Freshness within the quota' {
    It 'a second run finds the assets unchanged and says so per result and in the summary' {
        $first = Invoke-CmmsSync @common -BatchSize 0 -Summary
        $first.Succeeded | Should -Be 29
        $second = Invoke-CmmsSync @common -BatchSize 0
        @($second | Where-Object Status -eq 'Unchanged').Count | Should -Be 29
        ($second | Where-Object SerialNumber -eq 'INF-000007') | Should -BeNullOrEmpty -Because 'the 404 is deferred for a day'
        $forced = Invoke-CmmsSync @common -BatchSize 0 -Force -IncludeDeferred -Summary
        ($forced.Succeeded, $forced.Unchanged, $forced.Failed) | Should -Be @(29, 0, 1)
        $forced | Format-Table | Out-String -Width 80 | Should -Match 'NotReached'
    }

    It '-MaxDuration ends the run complete, stopped by max_duration, with what it did not reach' {
        Set-SimulatorConfig $sim @{ LatencyMs = 200 }
        try {
            $s = Invoke-CmmsSync @common -BatchSize 0 -Force -RequestsPerSecond 5 -TimeoutSec 0.5 -MaxDuration ([timespan]::FromSeconds(1.5)) -Summary
        } finally {
            Set-SimulatorConfig $sim @{ LatencyMs = 20 }
        }
        $s.Status | Should -Be 'complete'
        $s.StoppedBy | Should -Be 'max_duration'
        $s.NotReached | Should -BeGreaterThan 0
        ($s.Succeeded + $s.NotReached) | Should -Be 29
        $s.Duration.TotalSeconds | Should -BeLessOrEqual 2.0
        { Invoke-CmmsSync @common -MaxDuration ([timespan]::Zero) } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand' -ExpectedMessage '*MaxDuration*'
    }

    It 'lists deferred and not deferred failures apart, with the register''s names' {
        $deferred = @(Get-CmmsSyncFailure -ConnectionString $cs -Deferred)
        $deferred.SerialNumber | Should -Be 'INF-000007'
        $deferred[0].Deferred | Should -BeTrue
        $deferred[0].ConsecutiveFailures | Should -BeGreaterOrEqual 1
        $deferred[0].NextAttemptAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddHours(23))
        @(Get-CmmsSyncFailure -ConnectionString $cs -NotDeferred).Count | Should -Be 0
        { Get-CmmsSyncFailure -ConnectionString $cs -Deferred -NotDeferred } | Should -Throw -ErrorId 'AmbiguousParameterSet,AssetSync.Commands.GetCmmsSyncFailureCommand'
        Get-CmmsSyncFailure -ConnectionString $cs | Format-List | Out-String | Should -Match 'NextAttemptAt'
    }

    It 'reports freshness and stale assets against -StaleAfter' {
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET last_success_at = now() - interval '3 days' WHERE serialnumber IN ('INF-000001', 'INF-000002')" | Out-Null
        $s = Get-CmmsSyncStatus -ConnectionString $cs -StaleAfter ([timespan]::FromDays(2))
        ($s.TotalAssets, $s.SyncedAssets, $s.FailedAssets, $s.DeferredAssets) | Should -Be @(30, 29, 1, 1)
        $s.StaleAssets | Should -Be 2   # two 3 days old; the 404 never succeeded, but it is deferred, never stale
        (Get-CmmsSyncStatus -ConnectionString $cs).StaleAssets | Should -Be 0
        $s.SyncAge95 | Should -BeOfType [timespan]
        $s.LastSuccessAt | Should -Not -BeNullOrEmpty
        $s | Out-String -Width 80 | Should -Match 'StaleAssets\s+: 2'
        { Get-CmmsSyncStatus -ConnectionString $cs -StaleAfter ([timespan]::Zero) } | Should -Throw -ExpectedMessage '*StaleAfter*'
    }
}

Describe 'Remove-CmmsSyncLog' {
    It 'removes old rows in batches, keeps each asset''s deciding row, and changes no status' {
        Invoke-TestSql $cs "UPDATE ic3_sync_log SET synced_at = synced_at - interval '100 days'" | Out-Null
        $before = Get-CmmsSyncStatus -ConnectionString $cs
        $failuresBefore = (Get-CmmsSyncFailure -ConnectionString $cs | ConvertTo-Json -Depth 3)
        $total = [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log')

        # What-if text goes to the host: run it in a child pwsh and read its output.
        $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
        $whatIf = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Remove-CmmsSyncLog -ConnectionString '$cs' -OlderThan 90.00:00:00 -WhatIf" | Out-String
        $whatIf | Should -Match "Delete $($total - 30) row\(s\) synced before"
        [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log') | Should -Be $total

        $r = Remove-CmmsSyncLog -ConnectionString $cs -OlderThan ([timespan]::FromDays(90)) -Confirm:$false
        $r.Removed | Should -Be ($total - 30)
        [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log') | Should -Be 30
        $after = Get-CmmsSyncStatus -ConnectionString $cs
        ($after.SyncedAssets, $after.FailedAssets, $after.NeverSynced, $after.StaleAssets) | Should -Be @($before.SyncedAssets, $before.FailedAssets, $before.NeverSynced, $before.StaleAssets)
        (Get-CmmsSyncFailure -ConnectionString $cs | ConvertTo-Json -Depth 3) | Should -Be $failuresBefore
        (Remove-CmmsSyncLog -ConnectionString $cs -OlderThan '2000-01-01' -Confirm:$false).Removed | Should -Be 0
        { Remove-CmmsSyncLog -ConnectionString $cs -OlderThan 'soon' -Confirm:$false } | Should -Throw -ExpectedMessage '*neither a positive TimeSpan*'
    }
}

Describe 'Initialize-CmmsSyncSchema on a seed-era database' {
    It '-WhatIf tells the steps, their rows and the time; the upgrade shows progress and names each step in -Verbose' {
        $old = New-TestDatabase
        try {
            Invoke-TestSql $old @"
CREATE TABLE ic3_asset_master (asset_id bigserial PRIMARY KEY, cmms_asset_id text, report_seq_no integer);
CREATE TABLE ic3_sync_log (serialnumber text, sync_type text, status text, error_message text, synced_at timestamptz);
CREATE TABLE cmms_sync_log (sync_type text, status text, assets_synced integer, duration_ms integer, synced_at timestamptz);
INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, 500) i;
INSERT INTO ic3_sync_log SELECT 'INF-' || lpad(a::text, 6, '0'), 'api_sync', CASE WHEN a % 9 = 0 THEN 'error' ELSE 'success' END, NULL, now() - (d || ' days')::interval
  FROM generate_series(1, 100) d, generate_series(1, 500) a;
-- The Go service's run rows, as it wrote them: seed columns only, status 'complete'.
INSERT INTO cmms_sync_log VALUES ('api_sync', 'complete', 440, 91000, '2026-11-28 02:00:00+00'), ('api_sync', 'complete', 445, 90500, '2026-11-29 02:00:00+00');
ANALYZE;
"@ | Out-Null
            $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
            $whatIf = Invoke-Pwsh -NoProfile -NonInteractive -Command "`$Host.UI.RawUI.BufferSize = [System.Management.Automation.Host.Size]::new(400, 50) 2>`$null; Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$old' -WhatIf" | Out-String
            $whatIf | Should -Match '1\.10-ic3_sync_log-id-backfill.*\(50,000 rows, (under|about) '
            $whatIf | Should -Match '2\.03-state-latest'
            $whatIf | Should -Match 'rows to read or write, (under|about) '
            Invoke-TestSql $old "SELECT to_regclass('cmms_asset_sync_state') IS NULL" | Should -Be 't'

            $ps = [PowerShell]::Create()
            $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '../../AssetSync.psd1')).AddStatement()
            $null = $ps.AddCommand('Initialize-CmmsSyncSchema').AddParameter('ConnectionString', $old).AddParameter('Confirm', $false).AddParameter('Verbose')
            $null = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse
            $verbose = $ps.Streams.Verbose.Message -join "`n"
            $verbose | Should -Match 'Step 1\.10-ic3_sync_log-id-backfill done in \d+\.\d s'
            $verbose | Should -Match 'Step 2\.03-state-latest done in'
            # What the upgrade filled has statistics at once: the first status query is planned well.
            $verbose | Should -Match 'Tables the upgrade filled analysed in'
            Invoke-TestSql $old "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'cmms_asset_sync_state'" | Should -Be 't'
            @($ps.Streams.Progress | Where-Object { $_.StatusDescription -match 'of [\d,]+ rows' }).Count | Should -BeGreaterThan 0
            $ps.Dispose()
            $status = Get-CmmsSyncStatus -ConnectionString $old
            $status.FailedAssets | Should -Be 55
            # The history keeps its meaning: the Go service's complete runs are complete runs.
            $status.LastSuccessAt | Should -Be ([DateTimeOffset]'2026-11-29 02:00:00+00')
            $status.LastRuns[0].Status | Should -Be 'complete'
            $status.LastRuns[0].Succeeded | Should -Be 445
            $report = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-upgraded-' + [guid]::NewGuid().ToString('N') + '.html')
            Export-CmmsSyncReport -ConnectionString $old -Path $report
            try { Get-Content -Raw $report | Should -Match 'Last complete run 2026-11-29 02:00 UTC' } finally { Remove-Item $report -ErrorAction SilentlyContinue }
        } finally {
            Remove-TestDatabase $old
        }
    }
}
