BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs, $sim = New-SyncTestSetup -Assets 25
    # Two assets fail for good (one deferred 404, one 500), so every count has something in it.
    Set-SimulatorFault $sim @{ repeatLast = $true; scripts = @{ 'INF-000004' = @('404'); 'INF-000009' = @('500') } }
    $common = @{ ConnectionString = $cs; BaseUrl = $sim.BaseUrl; ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force); RetryIntervalSec = 0.01; RequestsPerSecond = 500 }
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-metrics-' + [guid]::NewGuid().ToString('N'))

    # The file as a real Prometheus text parser reads it: name{labels} -> value.
    function Read-PromFile([string] $Path) {
        $python = @'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    out[family.name + '#type'] = family.type
    for s in family.samples:
        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))
        out[s.name + ('{' + labels + '}' if labels else '')] = s.value
print(json.dumps(out))
'@
        $json = Invoke-Python -c $python $Path
        if ($LASTEXITCODE -ne 0) { throw "the parser refused $Path" }
        $json | ConvertFrom-Json -AsHashtable
    }
    # python3, with the parser build.ps1 unpacked when it is not installed.
    function Invoke-Python {
        $saved = $env:PYTHONPATH
        if ($env:ASSETSYNC_PROMETHEUS_PYTHONPATH) { $env:PYTHONPATH = $env:ASSETSYNC_PROMETHEUS_PYTHONPATH }
        try { & python3 @args } finally { $env:PYTHONPATH = $saved }
    }
    $parser = $false
    if (Get-Command python3 -ErrorAction SilentlyContinue) {
        Invoke-Python -c 'import prometheus_client' 2>$null
        $parser = $LASTEXITCODE -eq 0
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue
}

Describe '-MetricsPath' {
    It 'refuses a path that is not a .prom file, before anything is sent' {
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        { Invoke-CmmsSync @common -BatchSize 0 -MetricsPath (Join-Path $folder 'x.txt') -ErrorAction Stop } | Should -Throw -ExpectedMessage '*.prom*'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'writes the run and the register in the Prometheus text format; a real parser reads values equal to the summary and Get-CmmsSyncStatus' {
        if (-not $parser) { Set-ItResult -Skipped -Because 'no Prometheus text parser: python3 with prometheus_client (Debian python3-prometheus-client), which build.ps1 -Task Test fetches where apt-get can'; return }
        $path = Join-Path $folder 'assetsync.prom'
        $run = Invoke-CmmsSync @common -BatchSize 0 -MetricsPath $path -Summary
        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $m = Read-PromFile $path

        foreach ($name in 'assetsync_last_run_timestamp_seconds', 'assetsync_last_success_timestamp_seconds', 'assetsync_last_run_status', 'assetsync_run_duration_seconds',
            'assetsync_run_assets', 'assetsync_run_requests', 'assetsync_run_throttled', 'assetsync_run_requests_per_second', 'assetsync_register_assets') {
            $m["$name#type"] | Should -Be 'gauge' -Because "$name has HELP and TYPE lines"
        }
        # The sync age is a summary: quantile is a summary's label, with its _sum and _count.
        $m['assetsync_sync_age_seconds#type'] | Should -Be 'summary'
        $m['assetsync_sync_age_seconds_count'] | Should -Be $status.SyncedAssets
        # The file was written when the run ended, the status read after it: the ages have grown a little since.
        $m['assetsync_sync_age_seconds_sum'] | Should -BeGreaterThan 0
        $m['assetsync_sync_age_seconds_sum'] | Should -BeLessOrEqual $status.SyncAgeSum.TotalSeconds
        $m['assetsync_last_run_timestamp_seconds'] | Should -Be ($run.FinishedAt.ToUnixTimeMilliseconds() / 1000.0)
        $m['assetsync_last_success_timestamp_seconds'] | Should -Be ($status.LastSuccessAt.ToUnixTimeMilliseconds() / 1000.0)
        $m['assetsync_last_run_status{status=complete}'] | Should -Be 1
        $m['assetsync_last_run_status{status=failed}'] | Should -Be 0
        $m['assetsync_last_run_status{status=cancelled}'] | Should -Be 0
        $m['assetsync_run_duration_seconds'] | Should -Be $run.Duration.TotalSeconds
        $m['assetsync_run_assets{outcome=succeeded}'] | Should -Be $run.Succeeded
        $m['assetsync_run_assets{outcome=unchanged}'] | Should -Be $run.Unchanged
        $m['assetsync_run_assets{outcome=failed}'] | Should -Be $run.Failed
        $m['assetsync_run_assets{outcome=skipped}'] | Should -Be $run.Skipped
        $m['assetsync_run_assets{outcome=not_reached}'] | Should -Be $run.NotReached
        $m['assetsync_run_requests'] | Should -Be $run.Requests
        $m['assetsync_run_throttled'] | Should -Be $run.Throttled
        $m['assetsync_run_requests_per_second'] | Should -Be $run.RequestsPerSecond
        $m['assetsync_register_assets{state=synced}'] | Should -Be $status.SyncedAssets
        $m['assetsync_register_assets{state=failed}'] | Should -Be $status.FailedAssets
        $m['assetsync_register_assets{state=never}'] | Should -Be $status.NeverSynced
        $m['assetsync_register_assets{state=deferred}'] | Should -Be $status.DeferredAssets
        $m['assetsync_register_assets{state=stale}'] | Should -Be $status.StaleAssets
        $m['assetsync_sync_age_seconds{quantile=1}'] | Should -BeGreaterOrEqual $m['assetsync_sync_age_seconds{quantile=0.5}']
        $run.Failed | Should -Be 2
        $status.FailedAssets | Should -Be 2
    }

    It 'passes promtool check metrics with no warning, and the README''s alert rules pass promtool check rules' {
        $promtool = $env:ASSETSYNC_PROMTOOL
        if (-not $promtool -or -not (Test-Path $promtool)) { Set-ItResult -Skipped -Because 'no promtool: Debian''s prometheus package, which build.ps1 -Task Test unpacks where apt-get can'; return }
        $path = Join-Path $folder 'lint.prom'
        $null = Invoke-CmmsSync @common -BatchSize 0 -IncludeDeferred -MetricsPath $path -Summary
        # Linted with every metric in it, the change model's estimate included (earlier runs observed the assets).
        Get-Content -Raw $path | Should -Match '(?m)^assetsync_estimated_outdated_assets '
        $lint = Get-Content -Raw $path | & $promtool check metrics 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($lint -join "`n")
        ($lint -join "`n").Trim() | Should -BeNullOrEmpty
        # The rules exactly as the monitoring document (linked from the README) prints them.
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/monitoring.md')
        $yaml = [regex]::Match($readme, '(?s)An alert rule[^`]*```yaml\r?\n(.*?)```').Groups[1].Value
        $yaml | Should -Match 'AssetSyncStale'
        $rules = Join-Path $folder 'rules.yml'
        Set-Content -Path $rules -Value $yaml
        $checked = & $promtool check rules $rules 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($checked -join "`n")
        ($checked -join "`n") | Should -Match 'SUCCESS: 2 rules found'
    }

    It 'is written atomically when the run fails, with the failed status' {
        $path = Join-Path $folder 'failed.prom'
        Set-Content -Path $path -Value 'old'
        { Invoke-CmmsSync @common -BatchSize 0 -ApiToken (ConvertTo-SecureString 'wrong' -AsPlainText -Force) -MetricsPath $path -ErrorAction Stop } | Should -Throw -ErrorId 'AssetSync.CredentialsRefused*'
        $text = Get-Content -Raw $path
        $text | Should -Match '(?m)^assetsync_last_run_status\{status="failed"\} 1$'
        $text | Should -Match '(?m)^# HELP assetsync_register_assets '
        @(Get-ChildItem $folder -Force -Filter '.failed.prom.*').Count | Should -Be 0
    }
}

Describe 'Events for the Event Log or the journal' {
    It 'Write-CmmsSyncEvent chooses ID, level and message from the run and the register, and says where they went' {
        $run = Invoke-CmmsSync @common -BatchSize 0 -Summary
        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $verbose = $null
        $events = @(Write-CmmsSyncEvent -Summary $run -Status $status -MaxFailedPercent 50 -PassThru -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [AssetSync.SyncRunEvent] })
        # Two assets fail; one is a deferred 404, so one counts: 4 % of 25. Failing for minutes is not stale, and a deferred asset never is.
        $events.EventId | Should -Be @(1001)
        $status.StaleAssets | Should -Be 0
        $status.DeferredAssets | Should -Be 1
        $events[0].Level | Should -Be 'Information'
        $events[0].Message | Should -Match "^AssetSync run $($run.RunId) complete with failures: .* 1 asset\(s\) failing, deferred ones not counted: 4 % of the register, within the threshold of 50 %\.$"
        $journal = (Get-Command systemd-cat -ErrorAction SilentlyContinue) -and (Test-Path '/run/systemd/journal/stdout')
        $where = if ($journal) { 'written to the journal' } else { 'not written \(no journal here: systemd-cat or the journal''s socket is missing\)' }
        @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match "^Event 1001 \(Information\) $where" }).Count | Should -Be 1

        # Failing (never succeeded) for longer than -StaleAfter: stale, and event 1004 says so; the deferred one still is not.
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET failing_since = now() - interval '8 days' WHERE status = 'error'" | Out-Null
        $old = Get-CmmsSyncStatus -ConnectionString $cs
        $old.StaleAssets | Should -Be 1
        $stale = @(Write-CmmsSyncEvent -Summary $run -Status $old -MaxFailedPercent 50 -PassThru)
        $stale.EventId | Should -Be @(1001, 1004)
        $stale[1].Level | Should -Be 'Warning'
        $stale[1].Message | Should -Match '^The IC3 register is stale: 1 of 25 asset\(s\) should have fresh data and have had none for 7 days \(deferred assets, 1, are not counted\)'
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET failing_since = now() WHERE status = 'error'" | Out-Null
        (Write-CmmsSyncEvent -Summary $run -Status $status -MaxFailedPercent 2 -PassThru)[0].Level | Should -Be 'Warning'
        ($run | Write-CmmsSyncEvent -Status $status -FailOnAnyFailure -PassThru)[0].Level | Should -Be 'Warning'
        (Write-CmmsSyncEvent -RunError 'The IC3 database could not be reached.' -PassThru) | Should -Not -BeNullOrEmpty
        (Write-CmmsSyncEvent -RunError 'x' -PassThru).EventId | Should -Be 1002
    }

    It 'Register-CmmsSyncEventSource is Windows only and says so elsewhere' -Skip:$IsWindows {
        { Register-CmmsSyncEventSource -ErrorAction Stop } | Should -Throw -ErrorId 'AssetSync.WindowsOnly*'
        (Get-Command Register-CmmsSyncEventSource).Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It 'the scheduled job reports the night''s event after its runs' {
        $script = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
        $logs = Join-Path $folder 'job'
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/heal" | Out-Null
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        try {
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath $logs -ConnectionString $cs -BaseUrl $sim.BaseUrl -RetryIntervalSec 0.01 -RequestsPerSecond 500 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            ($out -join "`n") | Should -Match 'Event 100[01] \(Information\): AssetSync run \d+ complete'
        } finally { Remove-Item Env:ASSETSYNC_API_TOKEN }
    }
}
