<#
.SYNOPSIS
The degraded-night benchmarks (issue 20), against the simulator with 100 ms latency and a hidden quota of 20/s:
  F  a register led by 100 assets that fail every night (503 always), then 3,000 healthy ones: the nightly run
  G  2 % of assets answer 429 once (their own), 1 % hang past the timeout, -RequestsPerSecond Auto
  H  fixed 19/s, -ThrottleLimit 4: 600 healthy assets alone, then 600 among 2 % hanging (-TimeoutSec 3, hang 8 s),
     10 % failing twice before they succeed and 2 % answering one 429
  I  the simulator with the demo's faults (one asset in ten faulty, hangs of 5 s) at a fixed 18/s, defaults otherwise
  J  the service stops answering mid-run: requests in flight, and how the run ends
  K  a closed port: how long until the run fails, and how many assets it marks failed
  L  -MaxDuration 00:00:02 -TimeoutSec 15: refused, requests sent
  P  two nights, -RequestsPerSecond Auto: one asset in ten fails every night (503), 2 % answer one 429 of their own, 1 %
     hang. Night 1 from nothing stored: the healthy assets' rate, the quota's 429s as a share of requests, and no healthy
     asset failed. Night 2 from the stored rate: its first 10 s, requests/s at the simulator and the quota's 429s in them
  Q  issue 38's degraded night, three nights, -RequestsPerSecond Auto: 3,600 assets, one in ten failing every night (503),
     1 % answering 429 of their own every time (busy records), 1 % hanging; the quota's 429s bare (Retry-After: 1, no
     rate-limit headers). Each night: healthy assets failed (0), busy records failed on their own 429s after their
     attempts, the quota's 429s as a share of requests (the simulator's own count), and the quota held
Each run is a fresh pwsh, as a scheduled job is. Rates of healthy assets come from their log rows (synced_at);
requests in flight and requests sent are counted at the simulator.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    [ValidateSet('F', 'G', 'H', 'I', 'J', 'K', 'L', 'P', 'Q')]
    [string[]] $Scenarios = @('F', 'G', 'H', 'I', 'J', 'K', 'L', 'P', 'Q')
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = Join-Path $root 'AssetSync.psd1'

$quota = 20
$healthy = if ($Quick) { 600 } else { 3000 }
$results = [System.Collections.Generic.List[object]]::new()
function Add-Figure([string] $Scenario, [string] $Figure, $Value, [string] $Bar, [bool] $Ok) {
    $results.Add([pscustomobject]@{ Scenario = $Scenario; Figure = $Figure; Value = "$Value"; Bar = $Bar; Ok = $(if ($Ok) { 'yes' } else { 'NO' }) })
    Write-Host ("   {0} {1}: {2} (bar {3}) {4}" -f $Scenario, $Figure, $Value, $Bar, $(if ($Ok) { 'ok' } else { 'MISSED' }))
}
function Serial([int] $i) { 'INF-{0:000000}' -f $i }

Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_degraded WITH (FORCE)' | Out-Null
Invoke-PgSql $AdminConnectionString 'CREATE DATABASE bench_degraded' | Out-Null
$cs = Set-ConnectionDatabase $AdminConnectionString 'bench_degraded'
$null = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false"

$sim = Start-SimulatorProcess -Arguments @('--Assets', '20000', '--LatencyMs', '100', '--RateLimit', "$quota", '--HangMs', '8000') -Token 'bench-token' -Configuration $Configuration
function Set-Sim([hashtable] $Config) {
    Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/config" -ContentType 'application/json' -Body ($Config | ConvertTo-Json) | Out-Null
    Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
}
function Set-Scripts([hashtable] $Scripts, [bool] $RepeatLast) {
    if ($Scripts.Count -eq 0) { return }
    $body = @{ scripts = $Scripts; repeatLast = $RepeatLast } | ConvertTo-Json -Depth 4
    Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/faults" -ContentType 'application/json' -Body $body | Out-Null
}
function Get-Stats { Invoke-RestMethod -Uri "$($sim.BaseUrl)/_sim/stats" }
function Reset-Register([int] $From, [int] $Count) {
    Invoke-PgSql $cs "TRUNCATE ic3_asset_master, ic3_asset_pm_schedule, ic3_sync_log, cmms_sync_log, cmms_asset_sync_state, cmms_rate_state RESTART IDENTITY;
        INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i - $From + 1 FROM generate_series($From, $($From + $Count - 1)) i; ANALYZE;" | Out-Null
}

function Invoke-Run([string] $Arguments, [string] $Command = 'Invoke-CmmsSync -BatchSize 0') {
    # Fresh pwsh; the summary (or the error's id, message and the failed run's summary) as JSON on the last line.
    $script = "`$ErrorActionPreference = 'Stop'; `$env:ASSETSYNC_API_TOKEN = 'bench-token'; Import-Module '$manifest'; " +
        "try { `$s = $Command -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' $Arguments -Summary -WarningAction SilentlyContinue; " +
        "[pscustomobject]@{ Summary = `$s; ErrorId = `$null; Message = `$null } | ConvertTo-Json -Compress -Depth 3 } " +
        "catch { [pscustomobject]@{ Summary = `$_.Exception.Summary; ErrorId = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message } | ConvertTo-Json -Compress -Depth 3 }"
    $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script
    ($out | Select-Object -Last 1) | ConvertFrom-Json
}

# Healthy assets per second, from their successful log rows (first to last), optionally after the first $SkipSeconds.
function Get-HealthyRate([long] $RunId, [string[]] $Exclude = @(), [double] $SkipSeconds = 0) {
    $excluded = if ($Exclude.Count) { "AND serialnumber <> ALL (ARRAY['" + ($Exclude -join "','") + "'])" } else { '' }
    $row = Invoke-PgSql $cs "WITH s AS (SELECT synced_at FROM ic3_sync_log WHERE run_id = $RunId AND status = 'success' $excluded),
        w AS (SELECT synced_at FROM s WHERE synced_at >= (SELECT min(synced_at) FROM s) + interval '$SkipSeconds seconds')
        SELECT round((count(*) - 1) / NULLIF(extract(epoch FROM max(synced_at) - min(synced_at)), 0), 3) FROM w"
    [double]$row
}

# Requests per second at the simulator from 15 s into the night (past the probe up from nothing stored) to the last tenth
# of its requests (the failing assets' last retries, waiting out their backoff with nothing else left): the quota held.
function Get-HeldRate($Stats) {
    $all = @($Stats.arrivalsMs | Sort-Object)
    $end = $all[[math]::Floor(0.9 * ($all.Count - 1))]
    $held = @($all | Where-Object { $_ -ge 15000 -and $_ -le $end })
    if ($held.Count -gt 1) { ($held.Count - 1) / (($held[-1] - $held[0]) / 1000) } else { 0 }
}

# Assets of run $RunId marked failed that are none of $Faulty.
function Get-HealthyFailed([long] $RunId, [string[]] $Faulty) {
    [int](Invoke-PgSql $cs "SELECT count(*) FROM ic3_sync_log WHERE run_id = $RunId AND status = 'error' AND serialnumber <> ALL (ARRAY['$($Faulty -join "','")'])")
}

try {
    if ($Scenarios -contains 'F') {
        Write-Host "== F: 100 assets that fail every night (503 always) lead $healthy healthy ones; quota $quota/s, 100 ms"
        Reset-Register 1 ($healthy + 100)
        $failing = @{}; foreach ($i in 1..100) { $failing[(Serial $i)] = @('503') }
        Set-Scripts $failing $true
        Set-Sim @{ RateLimit = $quota; LatencyMs = 100 }
        # The nights before: they failed then too, so they are known to fail.
        $null = Invoke-Run '-RequestsPerSecond 19 -CircuitBreakerThreshold 0 -RetryIntervalSec 0.01' "Invoke-CmmsSync -SerialNumber $((1..100 | ForEach-Object { Serial $_ }) -join ',')"
        Set-Sim @{ RateLimit = $quota }
        $r = Invoke-Run '-RequestsPerSecond 19'
        $s = $r.Summary
        Write-Host ("   run: {0}, {1} succeeded, {2} failed; {3}" -f $s.Status, $s.Succeeded, $s.Failed, $r.Message)
        Add-Figure 'F' 'nightly run status' $s.Status 'complete' ($s.Status -eq 'complete')
        Add-Figure 'F' 'healthy assets that succeeded' "$($s.Succeeded) of $healthy" "all $healthy" ($s.Succeeded -eq $healthy)
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }
    if ($Scenarios -contains 'G') {
        $n = if ($Quick) { 600 } else { 1500 }
        Write-Host "== G: $n assets, 2 % answer 429 once, 1 % hang past the timeout; Auto, nothing stored; quota $quota/s"
        Reset-Register 1 $n
        $once = @{}; $hang = @{}
        for ($i = 1; $i -le $n; $i++) {
            if ($i % 50 -eq 7) { $once[(Serial $i)] = @('429') }
            if ($i % 100 -eq 33) { $hang[(Serial $i)] = @('timeout') }
        }
        Set-Scripts $once $false
        Set-Scripts $hang $true
        Set-Sim @{ RateLimit = $quota; LatencyMs = 100 }
        $r = Invoke-Run '-RequestsPerSecond Auto -TimeoutSec 3 -Force'
        $s = $r.Summary
        $steady = Get-HealthyRate $s.RunId @($once.Keys + $hang.Keys) 15
        Write-Host ("   run: {0}, {1} succeeded, {2} failed, {3} requests, {4} throttled; learned {5} ({6})" -f $s.Status, $s.Succeeded, $s.Failed, $s.Requests, $s.Throttled, $s.LearnedRequestsPerSecond, $s.LearnedRateSource)
        Add-Figure 'G' 'steady-state rate of answered healthy assets (after the first 15 s)' ('{0:0.##}/s' -f $steady) '>= 17/s (0.85 Q)' ($steady -ge 17)
        Add-Figure 'G' 'stored rate' ('{0:0.##}/s' -f [double]$s.LearnedRequestsPerSecond) '>= 16/s' ([double]$s.LearnedRequestsPerSecond -ge 16)
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }
    if ($Scenarios -contains 'P') {
        $n = if ($Quick) { 600 } else { 1500 }
        Write-Host "== P: $n assets, 1 in 10 failing every night (503), 2 % one 429 of their own, 1 % hanging; Auto; quota $quota/s; two nights"
        Reset-Register 1 $n
        $failers = @{}; $once = @{}; $hang = @{}
        for ($i = 1; $i -le $n; $i++) {
            if ($i % 10 -eq 4) { $failers[(Serial $i)] = @('503') }
            elseif ($i % 50 -eq 7) { $once[(Serial $i)] = @('429') }
            elseif ($i % 100 -eq 33) { $hang[(Serial $i)] = @('timeout') }
        }
        $faulty = @($failers.Keys + $once.Keys + $hang.Keys)
        foreach ($night in 1, 2) {
            Set-Scripts $failers $true; Set-Scripts $once $false; Set-Scripts $hang $true
            Set-Sim @{ RateLimit = $quota; LatencyMs = 100 }
            $r = Invoke-Run '-RequestsPerSecond Auto -TimeoutSec 3 -Force'
            $s = $r.Summary
            $stats = Get-Stats
            $quota429 = @($stats.throttledMs).Count
            Write-Host ("   night {0}: {1}, {2} succeeded, {3} failed, {4} requests, {5} throttled ({6} by the quota); learned {7}" -f $night, $s.Status, $s.Succeeded, $s.Failed, $s.Requests, $s.Throttled, $quota429, $s.LearnedRequestsPerSecond)
            $healthyFailed = Get-HealthyFailed $s.RunId $faulty
            if ($night -eq 1) {
                $steady = Get-HealthyRate $s.RunId $faulty 15
                # All requests, at the simulator, after the first 15 s: the quota held. With one asset in ten failing four
                # attempts a night, healthy assets can have at most 9/13 of it (13.8/s of 20/s).
                $heldRate = Get-HeldRate $stats
                Add-Figure 'P' 'night 1: requests per second at the simulator (from 15 s to the last tenth)' ('{0:0.##}/s ({1:0.00} Q)' -f $heldRate, ($heldRate / $quota)) '>= 0.85 Q' ($heldRate -ge 0.85 * $quota)
                Add-Figure 'P' 'night 1: healthy assets answered per second (after the first 15 s)' ('{0:0.##}/s' -f $steady) '<= 13.8/s possible (9 of 13 requests)' $true
                Add-Figure 'P' 'night 1: the quota''s 429s, as a share of requests' ('{0:P1} ({1} of {2})' -f ($quota429 / [math]::Max(1, $s.Requests)), $quota429, $s.Requests) '<= 3 %' ($quota429 -le 0.03 * $s.Requests)
                Add-Figure 'P' 'night 1: stored rate' ('{0:0.##}/s' -f [double]$s.LearnedRequestsPerSecond) 'just under the ceiling found' ([double]$s.LearnedRequestsPerSecond -lt $quota)
            } else {
                $first = @($stats.arrivalsMs | Where-Object { $_ -lt 10000 }).Count
                $firstThrottled = @($stats.throttledMs | Where-Object { $_ -lt 10000 }).Count
                Add-Figure 'P' 'night 2, first 10 s: requests per second at the simulator' ('{0:0.#}/s ({1:0.00} Q)' -f ($first / 10), ($first / 10 / $quota)) '>= 0.95 Q' ($first / 10 -ge 0.95 * $quota)
                Add-Figure 'P' 'night 2, first 10 s: the quota''s 429s' ('{0} of {1}' -f $firstThrottled, $first) '<= 2 % + 1' ($firstThrottled -le [math]::Floor(0.02 * $first) + 1)
            }
            Add-Figure 'P' "night ${night}: healthy assets marked failed" $healthyFailed '0' ($healthyFailed -eq 0)
        }
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }
    if ($Scenarios -contains 'Q') {
        $n = if ($Quick) { 1200 } else { 3600 }
        Write-Host "== Q: $n assets, 1 in 10 failing every night (503), 1 % busy records (429 every time), 1 % hanging; Auto; quota $quota/s, bare 429s; three nights"
        Reset-Register 1 $n
        $failers = @{}; $busy = @{}; $hang = @{}
        for ($i = 1; $i -le $n; $i++) {
            if ($i % 10 -eq 4) { $failers[(Serial $i)] = @('503') }
            elseif ($i % 100 -eq 7) { $busy[(Serial $i)] = @('429') }
            elseif ($i % 100 -eq 33) { $hang[(Serial $i)] = @('timeout') }
        }
        $faulty = @($failers.Keys + $busy.Keys + $hang.Keys)
        $healthyCount = $n - $faulty.Count
        foreach ($night in 1..3) {
            Set-Scripts $failers $true; Set-Scripts $busy $true; Set-Scripts $hang $true
            Set-Sim @{ RateLimit = $quota; LatencyMs = 100; RetryAfterSeconds = 1; RateLimitHeaders = 'none' }
            $r = Invoke-Run '-RequestsPerSecond Auto -TimeoutSec 3 -Force'
            $s = $r.Summary
            $stats = Get-Stats
            $quota429 = @($stats.throttledMs).Count
            $healthyFailed = Get-HealthyFailed $s.RunId $faulty
            $busyRows = Invoke-PgSql $cs "SELECT count(*) FILTER (WHERE status = 'error' AND http_status = 429 AND attempts = 4) || '|' || count(*) FROM ic3_sync_log WHERE run_id = $($s.RunId) AND serialnumber = ANY (ARRAY['$($busy.Keys -join "','")'])"
            $busyFailed, $busyAll = "$busyRows" -split '\|'
            $heldRate = Get-HeldRate $stats
            Write-Host ("   night {0}: {1}, {2} succeeded, {3} failed, {4} requests, {5} throttled ({6} by the quota)" -f $night, $s.Status, $s.Succeeded, $s.Failed, $s.Requests, $s.Throttled, $quota429)
            Add-Figure 'Q' "night ${night}: healthy assets marked failed" "$healthyFailed of $healthyCount" '0' ($healthyFailed -eq 0)
            Add-Figure 'Q' "night ${night}: busy records failed on their own 429s after 4 attempts" "$busyFailed of $busyAll" "all $($busy.Count)" ([int]$busyFailed -eq $busy.Count)
            Add-Figure 'Q' "night ${night}: the quota's 429s, as a share of requests" ('{0:P1} ({1} of {2})' -f ($quota429 / [math]::Max(1, $s.Requests)), $quota429, $s.Requests) '' $true
            Add-Figure 'Q' "night ${night}: requests per second at the simulator (from 15 s to the last tenth)" ('{0:0.##}/s ({1:0.00} Q)' -f $heldRate, ($heldRate / $quota)) '>= 0.90 Q' ($heldRate -ge 0.90 * $quota)
        }
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }
    if ($Scenarios -contains 'H') {
        Write-Host "== H: fixed 19/s, -ThrottleLimit 4, 600 healthy assets alone, then among hanging, failing-twice and 429-once ones"
        Set-Sim @{ RateLimit = 0; LatencyMs = 100 }
        Reset-Register 1 600
        $r = Invoke-Run '-RequestsPerSecond 19 -ThrottleLimit 4 -TimeoutSec 3 -Force'
        $alone = Get-HealthyRate $r.Summary.RunId
        # 600 healthy interleaved with 2 % hanging (12), 10 % failing twice (60) and 2 % one 429 (12), spread evenly.
        Reset-Register 1001 684
        $twice = @{}; $once = @{}; $hang = @{}; $faulty = @()
        for ($k = 0; $k -lt 684; $k++) {
            $serial = Serial (1001 + $k)
            switch ($k % 57) {
                { $_ -in 3, 9, 15, 21, 27 } { $twice[$serial] = @('503', '503'); $faulty += $serial }
                33 { $once[$serial] = @('429'); $faulty += $serial }
                45 { $hang[$serial] = @('timeout'); $faulty += $serial }
            }
        }
        Set-Scripts $twice $false; Set-Scripts $once $false; Set-Scripts $hang $true
        Set-Sim @{ RateLimit = 0 }
        $r = Invoke-Run '-RequestsPerSecond 19 -ThrottleLimit 4 -TimeoutSec 3 -Force'
        $among = Get-HealthyRate $r.Summary.RunId $faulty
        $ratio = if ($alone -gt 0) { $among / $alone } else { 0 }
        Write-Host ("   healthy alone {0:0.##}/s; among the faulty {1:0.##}/s ({2} requests for {3} assets)" -f $alone, $among, $r.Summary.Requests, 684)
        Add-Figure 'H' 'rate of the healthy assets, with the faults / without' ('{0:0.00}x ({1:0.##}/s vs {2:0.##}/s)' -f $ratio, $among, $alone) '>= 0.90x' ($ratio -ge 0.90)
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/heal" | Out-Null
    }
    if ($Scenarios -contains 'I') {
        $n = if ($Quick) { 1000 } else { 3000 }
        Write-Host "== I: the demo's faults (10 % faulty incl. 5 s hangs, 1 % missing), fixed 18/s, defaults otherwise; $n assets"
        Stop-SimulatorProcess $sim
        $sim = Start-SimulatorProcess -Arguments @('--Assets', "$n", '--Seed', '42', '--FaultyRate', '0.1', '--FaultyKinds', '500,502,503,504,429,timeout,reset,truncated',
            '--NotFoundRate', '0.01', '--HangMs', '5000') -Token 'bench-token' -Configuration $Configuration
        Reset-Register 1 $n
        $r = Invoke-Run '-RequestsPerSecond 18'
        $st = Get-Stats
        $rate = [double]$st.averagePerSecond
        Write-Host ("   run: {0}, {1} succeeded, {2} failed, {3} requests in {4}" -f $r.Summary.Status, $r.Summary.Succeeded, $r.Summary.Failed, $r.Summary.Requests, $r.Summary.Duration)
        Add-Figure 'I' 'requests per second at the simulator, share of the 18/s allowed' ('{0:0.00} ({1:0.##}/s)' -f ($rate / 18), $rate) '>= 0.85' ($rate / 18 -ge 0.85)
        Add-Figure 'I' 'run status' $r.Summary.Status 'complete' ($r.Summary.Status -eq 'complete')
        Stop-SimulatorProcess $sim
        $sim = Start-SimulatorProcess -Arguments @('--Assets', '20000', '--LatencyMs', '100', '--RateLimit', "$quota", '--HangMs', '8000') -Token 'bench-token' -Configuration $Configuration
    }
    if ($Scenarios -contains 'J') {
        Write-Host "== J: the service stops answering mid-run (Auto, -TimeoutSec 3)"
        Reset-Register 1 3000
        Set-Sim @{ RateLimit = $quota; LatencyMs = 100; Stall = $false }
        # Healthy for about 20 s, then the stall: the most in flight is measured before and after it.
        $job = Start-ThreadJob -ScriptBlock {
            param($url)
            Start-Sleep -Seconds 20
            $before = (Invoke-RestMethod -Uri "$url/_sim/stats").maxInFlight
            Invoke-RestMethod -Method Post -Uri "$url/_sim/stats/reset" | Out-Null
            Invoke-RestMethod -Method Post -Uri "$url/_sim/config" -ContentType 'application/json' -Body '{"Stall":true}' | Out-Null
            $before
        } -ArgumentList $sim.BaseUrl
        $r = Invoke-Run '-RequestsPerSecond Auto -TimeoutSec 3'
        $before = [int](Receive-Job $job -Wait -AutoRemoveJob)
        $after = [int](Get-Stats).maxInFlight
        Set-Sim @{ Stall = $false }
        $bar = [math]::Max(8, 2 * $before)
        Write-Host ("   run ended: {0}; {1}" -f $r.ErrorId, $r.Message)
        Add-Figure 'J' 'most requests in flight after the stall (while healthy)' "$after ($before)" "<= max(8, 2x) = $bar" ($after -le $bar)
        Add-Figure 'J' 'how the run ended' "$($r.ErrorId -replace ',.*$', '')" 'AssetSync.InnomaintUnreachable' ($r.ErrorId -like 'AssetSync.InnomaintUnreachable*')
        $marked = [int](Invoke-PgSql $cs "SELECT count(*) FROM ic3_sync_log WHERE run_id = $($r.Summary.RunId) AND status = 'error'")
        Add-Figure 'J' 'assets marked failed by the stall' $marked '0' ($marked -eq 0)
    }
    if ($Scenarios -contains 'K') {
        Write-Host "== K: a closed port as -BaseUrl"
        Reset-Register 1 50
        $port = Get-FreeTcpPort
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $script = "`$env:ASSETSYNC_API_TOKEN = 'bench-token'; Import-Module '$manifest'; try { Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl 'http://127.0.0.1:$port' -BatchSize 0 -ErrorAction Stop | Out-Null } catch { `$_.FullyQualifiedErrorId }"
        $id = Invoke-Pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
        $watch.Stop()
        $marked = [int](Invoke-PgSql $cs "SELECT count(*) FROM ic3_sync_log WHERE status = 'error'")
        Add-Figure 'K' 'time until the run failed (fresh pwsh included)' ('{0:0.0} s' -f $watch.Elapsed.TotalSeconds) '<= 15 s' ($watch.Elapsed.TotalSeconds -le 15)
        Add-Figure 'K' 'assets marked failed' $marked '0' ($marked -eq 0 -and $id -like 'AssetSync.InnomaintUnreachable*')
    }
    if ($Scenarios -contains 'L') {
        Write-Host "== L: -MaxDuration 00:00:02 -TimeoutSec 15"
        Set-Sim @{ RateLimit = $quota }
        $r = Invoke-Run "-MaxDuration '00:00:02' -TimeoutSec 15"
        $sent = [int](Get-Stats).requests
        Add-Figure 'L' 'refused' "$($r.ErrorId -replace ',.*$', '')" 'AssetSync.InvalidSetting' ($r.ErrorId -like 'AssetSync.InvalidSetting*')
        Add-Figure 'L' 'requests sent' $sent '0' ($sent -eq 0)
    }
} finally {
    Stop-SimulatorProcess $sim
    Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_degraded WITH (FORCE)' | Out-Null
}

$table = @('| scenario | figure | measured | bar | met |', '|---|---|---|---|---|') +
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Figure) | $($_.Value) | $($_.Bar) | $($_.Ok) |" })
$text = "Degraded night (simulator, 100 ms latency, hidden quota $quota/s$(if ($Quick) { ', -Quick' })):`n`n" + ($table -join "`n")
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
