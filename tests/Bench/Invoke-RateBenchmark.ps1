<#
.SYNOPSIS
The adaptive-rate benchmarks (issue 14), against the simulator with 100 ms latency:
  A  hidden quota 20/s, no headers, nothing stored, 1,500 assets, -RequestsPerSecond Auto
  B  the next run, starting from the rate A stored
  C  IETF headers stating 20/s (nothing stored)
  D  the quota drops from 20/s to 8/s halfway through the run
  E  -RequestsPerSecond 5 against the hidden quota and against headers stating 20/s
Each figure is printed with its bar, as a ratio to the quota and to the seed's fixed 5/s.
Rates are measured where the quota is counted: at the simulator, from the arrival of the first request to the last.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    # Which scenarios to run (B needs A's stored rate; D starts from it too, when there).
    [ValidateSet('A', 'B', 'C', 'D', 'E')]
    [string[]] $Scenarios = @('A', 'B', 'C', 'D', 'E')
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = Join-Path $root 'AssetSync.psd1'

$quota = 20
$seedRate = 5
$assets = if ($Quick) { 600 } else { 1500 }
$results = [System.Collections.Generic.List[object]]::new()
function Add-Figure([string] $Scenario, [string] $Figure, [double] $Value, [string] $Unit, [string] $Bar, [bool] $Ok, [double] $Quota = $quota) {
    $row = [pscustomobject]@{
        Scenario = $Scenario; Figure = $Figure; Value = ('{0:0.###} {1}' -f $Value, $Unit).Trim(); Bar = $Bar
        ToQuota = if ($Unit -eq '/s') { '{0:0.00}x' -f ($Value / $Quota) } else { '' }
        ToSeed = if ($Unit -eq '/s') { '{0:0.00}x' -f ($Value / $seedRate) } else { '' }
        Ok = $(if ($Ok) { 'yes' } else { 'NO' })
    }
    $results.Add($row)
    Write-Host ("   {0} {1}: {2} (bar {3}; {4} of the quota, {5} the seed's 5/s) {6}" -f $Scenario, $Figure, $row.Value, $Bar, $row.ToQuota, $row.ToSeed, $(if ($Ok) { 'ok' } else { 'MISSED' }))
}

Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_rate WITH (FORCE)' | Out-Null
Invoke-PgSql $AdminConnectionString 'CREATE DATABASE bench_rate' | Out-Null
$cs = Set-ConnectionDatabase $AdminConnectionString 'bench_rate'
$null = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false"
Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $assets) i; VACUUM ANALYZE;" | Out-Null

$sim = Start-SimulatorProcess -Arguments @('--Assets', "$assets", '--LatencyMs', '100', '--RateLimit', "$quota") -Token 'bench-token' -Configuration $Configuration
function Set-Sim([hashtable] $Config) {
    Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/config" -ContentType 'application/json' -Body ($Config | ConvertTo-Json) | Out-Null
    Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
}
function Get-Stats { Invoke-RestMethod -Uri "$($sim.BaseUrl)/_sim/stats" }

function Invoke-Run([string] $Rate, [int] $BatchSize = 0) {
    # A fresh pwsh per run, as a scheduled job is; -Force so every asset is a full answer, not a cheap 304.
    $script = "`$ErrorActionPreference = 'Stop'; `$env:ASSETSYNC_API_TOKEN = 'bench-token'; Import-Module '$manifest'; " +
        "Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -BatchSize $BatchSize -RequestsPerSecond $Rate -ThrottleLimit 4 -Force -Summary | ConvertTo-Json -Compress"
    $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "The run failed: $($out -join "`n")" }
    ($out | Select-Object -Last 1) | ConvertFrom-Json
}

# Arrivals per second over [from, to) ms of the simulator's timeline.
function Get-Rate($Stats, [double] $FromMs = 0, [double] $ToMs = [double]::MaxValue) {
    $in = @($Stats.arrivalsMs | Where-Object { $_ -ge $FromMs -and $_ -lt $ToMs })
    if ($in.Count -lt 2) { return 0 }
    ($in.Count - 1) / (($in[-1] - $in[0]) / 1000)
}

# The most arrivals in any one-second window starting at or after $FromMs (a sliding window, as the hidden quota counts).
function Get-MaxWindow($Stats, [double] $FromMs = 0) {
    $a = @($Stats.arrivalsMs | Where-Object { $_ -ge $FromMs })
    $max = 0; $start = 0
    for ($end = 0; $end -lt $a.Count; $end++) {
        while ($a[$end] - $a[$start] -ge 1000) { $start++ }
        $max = [math]::Max($max, $end - $start + 1)
    }
    $max
}

try {
    if ($Scenarios -contains 'A') {
        Write-Host "== A: hidden quota $quota/s, no headers, nothing stored, $assets assets, Auto"
        Invoke-PgSql $cs 'DELETE FROM cmms_rate_state' | Out-Null
        Set-Sim @{ RateLimit = $quota; RateLimitHeaders = 'none'; RateLimitChangeAfterMs = 0 }
        $s = Invoke-Run 'Auto'
        $st = Get-Stats
        $achieved = Get-Rate $st
        $share = $s.Throttled / [math]::Max(1, $s.Requests)
        Write-Host ("   run: {0} requests, {1} throttled, {2:0.##}/s by the summary, learned {3} ({4})" -f $s.Requests, $s.Throttled, $s.RequestsPerSecond, $s.LearnedRequestsPerSecond, $s.LearnedRateSource)
        Add-Figure 'A' 'achieved over the whole run' $achieved '/s' ">= $(0.90 * $quota)/s (0.90x)" ($achieved -ge 0.90 * $quota)
        Add-Figure 'A' '429s, share of requests' (100 * $share) '%' '<= 3 %' ($share -le 0.03)
    }
    if ($Scenarios -contains 'B') {
        Write-Host "== B: the next run, from the stored rate"
        $stored = Invoke-PgSql $cs "SELECT round(requests_per_second::numeric, 2) || ' (' || source || ')' FROM cmms_rate_state"
        Write-Host "   stored: $stored"
        Set-Sim @{ RateLimit = $quota; RateLimitHeaders = 'none'; RateLimitChangeAfterMs = 0 }
        $s = Invoke-Run 'Auto'
        $st = Get-Stats
        $first10 = Get-Rate $st 0 10000
        $achieved = Get-Rate $st
        $share = $s.Throttled / [math]::Max(1, $s.Requests)
        Write-Host ("   run: {0} requests, {1} throttled, learned {2}" -f $s.Requests, $s.Throttled, $s.LearnedRequestsPerSecond)
        Add-Figure 'B' 'achieved in the first 10 s' $first10 '/s' ">= $(0.95 * $quota)/s (0.95x)" ($first10 -ge 0.95 * $quota)
        Add-Figure 'B' 'achieved over the whole run' $achieved '/s' ">= $(0.95 * $quota)/s (0.95x)" ($achieved -ge 0.95 * $quota)
        Add-Figure 'B' '429s, share of requests' (100 * $share) '%' '<= 1 %' ($share -le 0.01)
    }
    if ($Scenarios -contains 'C') {
        Write-Host "== C: IETF headers stating $quota/s, nothing stored"
        Invoke-PgSql $cs 'DELETE FROM cmms_rate_state' | Out-Null
        Set-Sim @{ RateLimit = $quota; RateLimitHeaders = 'ietf'; RateLimitChangeAfterMs = 0 }
        $s = Invoke-Run 'Auto'
        $st = Get-Stats
        $achieved = Get-Rate $st
        Write-Host ("   run: {0} requests, {1} throttled, learned {2} ({3})" -f $s.Requests, $s.Throttled, $s.LearnedRequestsPerSecond, $s.LearnedRateSource)
        Add-Figure 'C' 'achieved over the whole run' $achieved '/s' ">= $(0.97 * $quota)/s (0.97x)" ($achieved -ge 0.97 * $quota)
        Add-Figure 'C' 'throttled answers' $s.Throttled '' '<= 1' ($s.Throttled -le 1)
    }
    if ($Scenarios -contains 'D') {
        $dropAfter = 30000
        $low = 8
        Write-Host "== D: the quota drops from $quota/s to $low/s after $($dropAfter / 1000) s (about halfway)"
        Invoke-PgSql $cs "INSERT INTO cmms_rate_state (base_url, requests_per_second, source) VALUES ('$($sim.BaseUrl)', $quota, 'probe') ON CONFLICT (base_url) DO NOTHING" | Out-Null
        Set-Sim @{ RateLimit = $quota; RateLimitHeaders = 'none'; RateLimitChangeAfterMs = $dropAfter; RateLimitChangeTo = $low }
        $batch = [int]($quota * $dropAfter / 1000 + $low * $dropAfter / 1000)
        $s = Invoke-Run 'Auto' $batch
        $st = Get-Stats
        $drop = [double]$st.quotaChangedAtMs
        # Back under: the first one-second window after the drop that holds no more than the new quota.
        $a = @($st.arrivalsMs | Where-Object { $_ -ge $drop })
        $back = $null
        for ($i = 0; $i -lt $a.Count -and $null -eq $back; $i++) {
            $j = $i; while ($j -lt $a.Count -and $a[$j] - $a[$i] -lt 1000) { $j++ }
            if ($j - $i -le $low -and $j -lt $a.Count) { $back = ($a[$i] - $drop) / 1000 }
        }
        $after429 = @($st.throttledMs | Where-Object { $_ -ge $drop }).Count
        $rest = Get-Rate $st ($drop + 1000 * [math]::Max(1, [double]$back))
        Write-Host ("   run: {0} requests, {1} throttled, learned {2}" -f $s.Requests, $s.Throttled, $s.LearnedRequestsPerSecond)
        Add-Figure 'D' 'back under the new quota after the drop' ([double]$back) 's' '<= 5 s' ($null -ne $back -and $back -le 5)
        Add-Figure 'D' '429s after the drop' $after429 '' '<= 20' ($after429 -le 20)
        Add-Figure 'D' 'achieved for the rest of the run' $rest '/s' ">= $(0.90 * $low)/s (0.90x)" ($rest -ge 0.90 * $low) -Quota $low
    }
    if ($Scenarios -contains 'E') {
        foreach ($style in 'none', 'ietf', 'x') {
            Write-Host "== E: -RequestsPerSecond 5, quota $quota/s, headers: $style"
            Set-Sim @{ RateLimit = $quota; RateLimitHeaders = $style; RateLimitChangeAfterMs = 0 }
            $null = Invoke-Run '5' 60
            $st = Get-Stats
            $max = Get-MaxWindow $st
            Add-Figure 'E' "most requests in any one-second window (headers: $style)" $max '' '<= 5' ($max -le 5)
        }
    }
} finally {
    Stop-SimulatorProcess $sim
    Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_rate WITH (FORCE)' | Out-Null
}

$table = @('| scenario | figure | measured | bar | to the quota | to the seed''s 5/s | met |', '|---|---|---|---|---|---|---|') +
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Figure) | $($_.Value) | $($_.Bar) | $($_.ToQuota) | $($_.ToSeed) | $($_.Ok) |" })
$text = "Adaptive rate (simulator, 100 ms latency, quota $quota/s, $assets assets$(if ($Quick) { ', -Quick' })):`n`n" + ($table -join "`n")
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
