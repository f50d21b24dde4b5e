<#
.SYNOPSIS
Whole-run benchmarks of AssetSync against the simulator and a real PostgreSQL with its default
durability. Each target is a ratio measured side by side in one run: this machine's speed drifts.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = Join-Path $root 'AssetSync.psd1'

function New-BenchDatabase([int] $Assets) {
    $name = 'bench_' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    Invoke-PgSql $AdminConnectionString "CREATE DATABASE $name" | Out-Null
    $cs = Set-ConnectionDatabase $AdminConnectionString $name
    Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
    Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $Assets) i; VACUUM ANALYZE ic3_asset_master;" | Out-Null
    $cs
}

function Start-Sim([string[]] $Arguments) {
    $sim = Start-SimulatorProcess -Arguments $Arguments -Token 'bench-token' -Configuration $Configuration
    [pscustomobject]@{ Process = $sim.Process; Url = $sim.BaseUrl }
}

# One sync in a fresh pwsh, so peak memory is the run's own; reports wall time, first result and peak working set.
function Invoke-SyncRun([string] $Cs, [string] $Url, [string] $Extra) {
    $script = @"
`$sw = [Diagnostics.Stopwatch]::StartNew()
Import-Module '$manifest'
`$import = `$sw.Elapsed.TotalMilliseconds
`$env:ASSETSYNC_API_TOKEN = 'bench-token'
`$first = `$null
`$start = `$sw.Elapsed.TotalSeconds
if ('$Extra' -match 'Summary') {
    `$r = Invoke-CmmsSync -ConnectionString '$Cs' -BaseUrl '$Url' -BatchSize 0 $Extra
} else {
    `$r = Invoke-CmmsSync -ConnectionString '$Cs' -BaseUrl '$Url' -BatchSize 0 $Extra | ForEach-Object -Begin { } -Process { if (`$null -eq `$first) { `$first = `$sw.Elapsed.TotalSeconds - `$start } } -End { }
}
`$seconds = `$sw.Elapsed.TotalSeconds - `$start
`$peak = [int]((Get-Content /proc/self/status | Where-Object { `$_ -like 'VmHWM:*' }) -replace '\D', '') / 1024
"{0:F3}|{1:F3}|{2:F1}|{3}" -f `$seconds, (`$first ?? -1), `$import, `$peak
"@
    $line = Invoke-Pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
    $p = $line -split '\|'
    [pscustomobject]@{ Seconds = [double]$p[0]; FirstResult = [double]$p[1]; ImportMs = [double]$p[2]; PeakMB = [int]$p[3] }
}

# The seed's loop, re-created here for comparison only: one request at a time, 200 ms sleep between.
function Invoke-SeedBaseline([string] $Url, [int] $Assets) {
    $http = [System.Net.Http.HttpClient]::new()
    $http.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', 'bench-token')
    $sw = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 1; $i -le $Assets; $i++) {
        if ($i -gt 1) { Start-Sleep -Milliseconds 200 }
        $null = $http.GetStringAsync("$Url/api/v1/assets/INF-$('{0:000000}' -f $i)").GetAwaiter().GetResult()
    }
    $sw.Elapsed.TotalSeconds
}

$rows = [System.Collections.Generic.List[object]]::new()
function Add-Row($Scenario, $Assets, $Quota, $Latency, $Seconds, $Ratio, $Peak) {
    $rows.Add([pscustomobject]@{
        scenario = $Scenario; assets = $Assets; quota = $Quota; latency = $Latency
        seconds = '{0:F1}' -f $Seconds; 'assets/s' = '{0:F1}' -f ($Assets / $Seconds); ratio = $Ratio; 'peak MB' = $Peak
    })
    Write-Host ("   {0}: {1} assets in {2:F1} s ({3:F1}/s) {4}" -f $Scenario, $Assets, $Seconds, ($Assets / $Seconds), $Ratio)
}

$n = @{ Quota = 1000; Baseline = 200; Engine = 20000; MemSmall = 10000; MemLarge = 100000 }
# -Quick: smaller runs; the memory pair stays large enough to reach a steady state.
if ($Quick) { $n = @{ Quota = 100; Baseline = 30; Engine = 10000; MemSmall = 5000; MemLarge = 30000 } }

# 1. Quota-bound: R = 5/s, L = 300 ms, ThrottleLimit 4 (>= R x L = 1.5), against the seed's loop.
$sim = Start-Sim @('--Assets', $n.Quota, '--LatencyMs', '300')
try {
    $cs = New-BenchDatabase $n.Quota
    $run = Invoke-SyncRun $cs $sim.Url '-RequestsPerSecond 5 -ThrottleLimit 4 -Summary'
    $rate = $n.Quota / $run.Seconds
    $seed = Invoke-SeedBaseline $sim.Url $n.Baseline
    $seedRate = $n.Baseline / $seed
    Add-Row 'quota-bound (AssetSync)' $n.Quota '5/s' '300 ms' $run.Seconds ('{0:F3} of quota; {1:F2}x the seed loop' -f ($rate / 5), ($rate / $seedRate)) $run.PeakMB
    Add-Row 'seed loop (baseline)' $n.Baseline 'sleep 200 ms' '300 ms' $seed ('{0:F3} of quota' -f ($seedRate / 5)) '-'
    $faultFree = $run.Seconds
} finally { $sim.Process.Kill($true) }

# 2. Retries wait aside: 10 % of assets fail twice (503) before they succeed; same quota.
$sim = Start-Sim @('--Assets', $n.Quota, '--LatencyMs', '300', '--FaultyRate', '0.1', '--FaultyKinds', '503', '--FaultyFailCount', '2', '--Seed', '3')
try {
    $cs = New-BenchDatabase $n.Quota
    $run = Invoke-SyncRun $cs $sim.Url '-RequestsPerSecond 5 -ThrottleLimit 4 -Summary'
    $requests = (Invoke-RestMethod "$($sim.Url)/_sim/stats").requests
    $perRequest = ($run.Seconds / $requests) / ($faultFree / $n.Quota)
    Add-Row 'retries (10% fail twice)' $n.Quota '5/s' '300 ms' $run.Seconds ('{0:F3}x fault-free time; {1:F3}x per request ({2} requests)' -f ($run.Seconds / $faultFree), $perRequest, $requests) $run.PeakMB
} finally { $sim.Process.Kill($true) }

# 3. Engine cost: no quota, no latency, durable PostgreSQL.
$sim = Start-Sim @('--Assets', $n.Engine)
try {
    $cs = New-BenchDatabase $n.Engine
    $run = Invoke-SyncRun $cs $sim.Url '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary'
    Add-Row 'engine cost (no quota)' $n.Engine 'none' '0' $run.Seconds ('{0:F2} of the 2,000/s target' -f (($n.Engine / $run.Seconds) / 2000)) $run.PeakMB
} finally { $sim.Process.Kill($true) }

# 4. Memory: a run 10x larger must not need more memory.
$sim = Start-Sim @('--Assets', $n.MemLarge)
try {
    $small = New-BenchDatabase $n.MemSmall
    $large = New-BenchDatabase $n.MemLarge
    $a = Invoke-SyncRun $small $sim.Url '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary'
    $b = Invoke-SyncRun $large $sim.Url '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary'
    Add-Row 'memory (small)' $n.MemSmall 'none' '0' $a.Seconds '-' $a.PeakMB
    Add-Row "memory ($($n.MemLarge / $n.MemSmall)x larger)" $n.MemLarge 'none' '0' $b.Seconds ('peak {0:+0;-0} MB vs small (limit {1} MB)' -f ($b.PeakMB - $a.PeakMB), [math]::Max(20, [int]($a.PeakMB * 0.1))) $b.PeakMB
} finally { $sim.Process.Kill($true) }

# 5. Start-up: Import-Module and the first result on the pipeline.
$sim = Start-Sim @('--Assets', '20')
try {
    $cs = New-BenchDatabase 20
    $run = Invoke-SyncRun $cs $sim.Url '-RequestsPerSecond 5'
    Add-Row 'start-up' 20 '5/s' '0' $run.Seconds ('Import-Module {0:F0} ms; first result after {1:F2} s' -f $run.ImportMs, $run.FirstResult) $run.PeakMB
} finally { $sim.Process.Kill($true) }

$table = @('| scenario | assets | quota | latency | seconds | assets/s | ratio to quota or baseline | peak MB |', '|---|---|---|---|---|---|---|---|')
$table += $rows | ForEach-Object { "| $($_.scenario) | $($_.assets) | $($_.quota) | $($_.latency) | $($_.seconds) | $($_.'assets/s') | $($_.ratio) | $($_.'peak MB') |" }
$memKb = [double]((Get-Content /proc/meminfo | Select-Object -First 1) -replace '\D', '')
$machine = "$([Environment]::ProcessorCount) cores, $([math]::Round($memKb / 1MB)) GiB, $((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '.*:\s*', ''), PostgreSQL 15 with default durability"
$text = ($table -join "`n") + "`n`nMachine: $machine; $(Get-Date -Format 'yyyy-MM-dd')" + ($(if ($Quick) { ' (-Quick)' } else { '' }))
Write-Host ''
Write-Host $text
if ($ResultPath) { Set-Content -Path $ResultPath -Value $text }
