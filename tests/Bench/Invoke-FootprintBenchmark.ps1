<#
.SYNOPSIS
The database-footprint benchmarks (issue 22), side by side in one run, against the simulator on this host and a real
PostgreSQL with its default durability:
  M  a fetch-only pass over 20,000 assets with .NET's HttpClient (SocketsHttpHandler, 16 in flight), in a fresh pwsh, timed
     from the first request to the last answer, after a warm-up pass over the same assets: the physical limit here
  N  the first sync of the same 20,000 new assets, unthrottled (-ThrottleLimit 16), as a user sees it: the cmdlet in a fresh
     pwsh, PostgreSQL over TCP on 127.0.0.1, the register analysed, the simulator warmed by M's passes; timed around the
     cmdlet (selection, run row and closing included), beside the run's own Duration. Its share of M; commits and WAL bytes
     per changed asset (pg_stat_database.xact_commit and pg_current_wal_lsn deltas over the run). The client's own cost
     (issue 38): CPU time of the cmdlet's process per synced asset, from /proc/self/stat around the cmdlet, against M's
     client per request (the same, around its measured pass), and against M's first pass in its fresh process (both cold);
     the run's JIT compilations and time in the compiler (System.Runtime.JitInfo), the part of the cold run that is warm-up
  O  peak managed memory of a run over a 1,000,000-asset register (bounded by -MaxDuration: the selection is what
     matters) against a 10,000-asset one
  U  the first sync of 20,000 new assets right after Initialize-CmmsSyncSchema upgraded a small seed-era database (the seed's
     three tables and a short history, -SeedHistoryAssets over -SeedHistoryNights, analysed as the Go service left it; by
     default one asset on one night, so the upgrade's ANALYZE records the log and state tables with one row each, as issue 38
     found them), side by side with the same sync on a new install, as N runs it (issue 38: within 10 %, both >= 3,000/s).
     -Rounds pairs, in the order upgraded, new, new, upgraded, ... so neither side always goes first; the medians are the
     figures. How often the run refreshed the planner's statistics is read from pg_stat_user_tables.analyze_count.
     -Manifest measures another build (an older commit's AssetSync.psd1) with this script
Each run is a fresh pwsh. Managed memory is sampled every 50 ms inside that process (GC.GetTotalMemory).
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    [ValidateSet('M', 'N', 'O', 'U')]
    [string[]] $Scenarios = @('M', 'N', 'O', 'U'),
    [ValidateRange(1, 10000)] [int] $SeedHistoryAssets = 1,
    [ValidateRange(1, 365)] [int] $SeedHistoryNights = 1,
    [ValidateRange(1, 10)] [int] $Rounds = 2,
    [string] $Manifest
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = if ($Manifest) { (Resolve-Path $Manifest).Path } else { Join-Path $root 'AssetSync.psd1' }

$assets = if ($Quick) { 5000 } else { 20000 }
$large = if ($Quick) { 200000 } else { 1000000 }
$small = 10000
$results = [System.Collections.Generic.List[object]]::new()
function Add-Figure([string] $Scenario, [string] $Figure, $Value, [string] $Bar, $Ok) {
    $met = if ($null -eq $Ok) { '' } elseif ($Ok) { 'yes' } else { 'NO' }
    $results.Add([pscustomobject]@{ Scenario = $Scenario; Figure = $Figure; Value = "$Value"; Bar = $Bar; Ok = $met })
    Write-Host ("   {0} {1}: {2} (bar {3}) {4}" -f $Scenario, $Figure, $Value, $Bar, $met)
}

function New-BenchDatabase([int] $Count) {
    $name = 'bench_fp_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    [pscustomobject]@{ Name = $name; Cs = (New-RegisterDatabase $AdminConnectionString $name $Count $manifest) }
}

$cpuSeconds = Get-CpuSecondsExpression

# One sync in a fresh pwsh: its summary, and the most managed memory seen while it ran.
function Invoke-MeasuredRun([string] $Cs, [string] $Url, [string] $Extra) {
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$manifest'
`$env:ASSETSYNC_API_TOKEN = 'bench-token'
Add-Type -TypeDefinition 'public static class MemSampler { static volatile bool _stop; static long _peak; static System.Threading.Thread _t;
  public static void Start() { _t = new System.Threading.Thread(() => { while (!_stop) { var m = System.GC.GetTotalMemory(false); if (m > _peak) _peak = m; System.Threading.Thread.Sleep(50); } }) { IsBackground = true }; _t.Start(); }
  public static long Stop() { _stop = true; _t.Join(); return _peak; } }'
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
`$baseline = [GC]::GetTotalMemory(`$true)
[MemSampler]::Start()
`$jit0 = [Runtime.JitInfo]::GetCompiledMethodCount(`$false)
`$jitTime0 = [Runtime.JitInfo]::GetCompilationTime(`$false)
`$cpu0 = $cpuSeconds
`$wall = [Diagnostics.Stopwatch]::StartNew()
`$s = Invoke-CmmsSync -ConnectionString '$Cs' -BaseUrl '$Url' -BatchSize 0 -Force -Summary $Extra -WarningAction SilentlyContinue
`$wall.Stop()
`$cpu = $cpuSeconds - `$cpu0
`$jit = [Runtime.JitInfo]::GetCompiledMethodCount(`$false) - `$jit0
`$jitTime = ([Runtime.JitInfo]::GetCompilationTime(`$false) - `$jitTime0).TotalSeconds
`$peak = [MemSampler]::Stop()
"{0}|{1}|{2}|{3:F3}|{4:F3}|{5:F2}|{6}|{7:F3}" -f `$s.Succeeded, `$baseline, `$peak, `$s.Duration.TotalSeconds, `$wall.Elapsed.TotalSeconds, `$cpu, `$jit, `$jitTime
"@
    $line = Invoke-Pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
    $p = $line -split '\|'
    [pscustomobject]@{ Succeeded = [int]$p[0]; BaselineMB = [double]$p[1] / 1MB; PeakMB = [double]$p[2] / 1MB; Seconds = [double]$p[3]; WallSeconds = [double]$p[4]; CpuSeconds = [double]$p[5]; JitMethods = [long]$p[6]; JitSeconds = [double]$p[7] }
}

function Get-DbCounters([string] $Cs, [string] $Name) {
    # Statistics are flushed when a session ends: read after the run's own sessions have closed.
    $row = Invoke-PgSql $Cs "SELECT pg_stat_force_next_flush(); SELECT xact_commit || '|' || pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') FROM pg_stat_database WHERE datname = '$Name'" | Select-Object -Last 1
    $p = "$row" -split '\|'
    [pscustomobject]@{ Commits = [long]$p[0]; Wal = [double]$p[1] }
}

$sim = Start-SimulatorProcess -Arguments @('--Assets', "$large") -Token 'bench-token' -Configuration $Configuration
try {
    $fetchRate = $null
    $fetchCpu = $null
    if ($Scenarios -contains 'M') {
        Write-Host "== M: fetch-only, $assets assets, .NET HttpClient, 16 in flight"
        # In a fresh pwsh, as the sync runs: a warm-up pass over every asset (connections, JIT, the simulator's body cache),
        # then the measured one.
        $codeFile = Join-Path $PSScriptRoot 'FetchOnly.cs'
        # Kept for N too: the same client paced at the rate N reached.
        $fetchOnly = { param([double] $PerSecond)
            # The warm-up pass is the client's first in its process (cold, as the cmdlet's run is): its CPU is kept too.
            $line = Invoke-Pwsh -NoProfile -NonInteractive -Command "Add-Type -Path '$codeFile'; `$c0 = $cpuSeconds; `$null = [FetchOnly]::Run('$($sim.BaseUrl)', $assets, 16, 0); `$cold = $cpuSeconds - `$c0; `$c0 = $cpuSeconds; `$r = [FetchOnly]::Run('$($sim.BaseUrl)', $assets, 16, $PerSecond); '{0}|{1}|{2}' -f `$r, ($cpuSeconds - `$c0), `$cold" | Select-Object -Last 1
            ($line -split '\|') | ForEach-Object { [double]$_ }
        }
        $fetchRate, $fetchCpu, $fetchColdCpu = & $fetchOnly 0
        Add-Figure 'M' 'fetch-only pass (the physical limit here)' ('{0:N0}/s' -f $fetchRate) '' $null
        Add-Figure 'M' 'CPU of the fetch-only client per request (its process, /proc/self/stat), its second pass' ('{0:N0} µs' -f (1e6 * $fetchCpu / $assets)) '' $null
        Add-Figure 'M' 'the same, its first pass in a fresh process (cold, as a nightly job runs the cmdlet)' ('{0:N0} µs' -f (1e6 * $fetchColdCpu / $assets)) '' $null
    }
    if ($Scenarios -contains 'N') {
        Write-Host "== N: first sync of $assets new assets, unthrottled, -ThrottleLimit 16"
        $db = New-BenchDatabase $assets
        try {
            $before = Get-DbCounters $db.Cs $db.Name
            $run = Invoke-MeasuredRun $db.Cs $sim.BaseUrl '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16'
            $after = Get-DbCounters $db.Cs $db.Name
            $rate = $run.Succeeded / $run.WallSeconds
            $runRate = $run.Succeeded / $run.Seconds
            $commits = ($after.Commits - $before.Commits) / [math]::Max(1, $run.Succeeded)
            $wal = ($after.Wal - $before.Wal) / [math]::Max(1, $run.Succeeded)
            Add-Figure 'N' 'first sync, new assets, timed around the cmdlet (what a user sees)' ('{0:N0}/s ({1} in {2:F1} s)' -f $rate, $run.Succeeded, $run.WallSeconds) '>= 3,000/s' ($rate -ge 3000)
            Add-Figure 'N' 'the same run by its own Duration (from its start to its last write)' ('{0:N0}/s ({1:F1} s)' -f $runRate, $run.Seconds) '' $null
            if ($fetchRate) { Add-Figure 'N' 'share of the fetch-only pass (both timed as a user sees them)' ('{0:F2}' -f ($rate / $fetchRate)) '>= 0.80' ($rate / $fetchRate -ge 0.80) }
            $perAsset = 1e6 * $run.CpuSeconds / [math]::Max(1, $run.Succeeded)
            Add-Figure 'N' 'CPU of the cmdlet''s process per synced asset (/proc/self/stat around the cmdlet)' ('{0:N0} µs' -f $perAsset) '' $null
            Add-Figure 'N' 'of which the JIT compiler (System.Runtime.JitInfo: methods compiled, time in the compiler)' ('{0:N0} methods, {1:F2} s: {2:N0} µs an asset' -f $run.JitMethods, $run.JitSeconds, (1e6 * $run.JitSeconds / [math]::Max(1, $run.Succeeded))) '' $null
            if ($fetchCpu) {
                $perRequest = 1e6 * $fetchCpu / $assets
                Add-Figure 'N' 'the same, against the fetch-only client''s per request' ('{0:F2}x ({1:N0} µs / {2:N0} µs)' -f ($perAsset / $perRequest), $perAsset, $perRequest) '<= 3x' ($perAsset / $perRequest -le 3)
                $coldPerRequest = 1e6 * $fetchColdCpu / $assets
                Add-Figure 'N' 'the same, both cold (the fetch-only client''s first pass in its process)' ('{0:F2}x ({1:N0} µs / {2:N0} µs)' -f ($perAsset / $coldPerRequest), $perAsset, $coldPerRequest) '' $null
                # The fetch-only client at the cmdlet's pace: the same rate of wake-ups, so the difference is the client's own work.
                $pacedRate, $pacedCpu, $null = & $fetchOnly $rate
                $pacedPerRequest = 1e6 * $pacedCpu / $assets
                Add-Figure 'N' 'the same, against the fetch-only client paced at this run''s rate' ('{0:F2}x ({1:N0} µs / {2:N0} µs at {3:N0}/s)' -f ($perAsset / $pacedPerRequest), $perAsset, $pacedPerRequest, $pacedRate) '' $null
            }
            Add-Figure 'N' 'commits per changed asset' ('{0:F3}' -f $commits) '<= 0.05' ($commits -le 0.05)
            Add-Figure 'N' 'WAL bytes per changed asset' ('{0:N0}' -f $wal) 'lower than before (2,076 measured by the issue)' ($wal -lt 2076)
        } finally { Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($db.Name) WITH (FORCE)" | Out-Null }
    }
    if ($Scenarios -contains 'O') {
        Write-Host "== O: peak managed memory, a $($large.ToString('N0'))-asset register against a $($small.ToString('N0'))-asset one"
        $a = New-BenchDatabase $small
        $b = New-BenchDatabase $large
        try {
            $runA = Invoke-MeasuredRun $a.Cs $sim.BaseUrl '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -MaxDuration 20 -TimeoutSec 5'
            $runB = Invoke-MeasuredRun $b.Cs $sim.BaseUrl '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -MaxDuration 20 -TimeoutSec 5'
            Write-Host ("   small: {0} synced, peak {1:F1} MB over a {2:F1} MB baseline; large: {3} synced, peak {4:F1} MB over {5:F1} MB" -f $runA.Succeeded, $runA.PeakMB, $runA.BaselineMB, $runB.Succeeded, $runB.PeakMB, $runB.BaselineMB)
            $diff = ($runB.PeakMB - $runB.BaselineMB) - ($runA.PeakMB - $runA.BaselineMB)
            Add-Figure 'O' "peak managed memory, $($large.ToString('N0')) vs $($small.ToString('N0')) assets" ('{0:+0.0;-0.0} MB' -f $diff) '<= 30 MB' ($diff -le 30)
        } finally {
            Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($a.Name) WITH (FORCE)" | Out-Null
            Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($b.Name) WITH (FORCE)" | Out-Null
        }
    }
    if ($Scenarios -contains 'U') {
        Write-Host "== U: first sync of $assets new assets, just after upgrading a seed-era database ($SeedHistoryAssets assets over $SeedHistoryNights nights of history), beside a new install, $Rounds rounds"
        $h = $SeedHistoryAssets
        # A seed-era database: the Go service's tables and a short history, analysed as it left them; then the register's new assets.
        function New-UpgradedDatabase {
            $name = 'bench_fp_seed_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-PgSql $AdminConnectionString "CREATE DATABASE $name" | Out-Null
            $cs = Set-ConnectionDatabase $AdminConnectionString $name
            Invoke-PgSql $cs @"
CREATE TABLE ic3_asset_master (asset_id bigserial PRIMARY KEY, cmms_asset_id text, report_seq_no integer);
CREATE TABLE ic3_sync_log (serialnumber text, sync_type text, status text, error_message text, synced_at timestamptz DEFAULT now());
CREATE TABLE cmms_sync_log (sync_type text, status text, assets_synced integer, duration_ms integer, synced_at timestamptz DEFAULT now());
INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad((900000 + i)::text, 7, '0'), i FROM generate_series(1, $h) i;
INSERT INTO ic3_sync_log (serialnumber, sync_type, status, synced_at)
SELECT 'INF-' || lpad((900000 + a)::text, 7, '0'), 'api_sync', 'success', now() - ($SeedHistoryNights - d) * interval '1 day'
FROM generate_series(0, $SeedHistoryNights - 1) d, generate_series(1, $h) a;
INSERT INTO cmms_sync_log SELECT 'api_sync', 'complete', $h, 60000, now() - ($SeedHistoryNights - d) * interval '1 day' FROM generate_series(0, $SeedHistoryNights - 1) d;
ANALYZE;
INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 7, '0'), $h + i FROM generate_series(1, $assets) i;
"@ | Out-Null
            $null = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false"
            [pscustomobject]@{ Name = $name; Cs = $cs }
        }
        function Get-AnalyzeCount([string] $Cs) {
            [long](Invoke-PgSql $Cs "SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables WHERE relname IN ('ic3_sync_log', 'cmms_asset_sync_state')" | Select-Object -Last 1)
        }
        $run = '-RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16'
        # The simulator builds each body once: a warm-up sync first, so no measured run pays for that.
        $warm = New-BenchDatabase $assets
        try { $null = Invoke-MeasuredRun $warm.Cs $sim.BaseUrl $run }
        finally { Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($warm.Name) WITH (FORCE)" | Out-Null }
        $upRates = [System.Collections.Generic.List[double]]::new()
        $newRates = [System.Collections.Generic.List[double]]::new()
        $refreshes = [System.Collections.Generic.List[long]]::new()
        foreach ($round in 1..$Rounds) {
            $seed = New-UpgradedDatabase
            $fresh = New-BenchDatabase $assets
            try {
                if ($round -eq 1) {
                    $stats = Invoke-PgSql $seed.Cs "SELECT string_agg(relname || '=' || reltuples::bigint, ' ' ORDER BY relname) FROM pg_class WHERE relname IN ('ic3_sync_log', 'cmms_asset_sync_state')"
                    Write-Host "   statistics after the upgrade: $stats"
                }
                $before = Get-AnalyzeCount $seed.Cs
                # Odd rounds upgraded first, even rounds new first.
                $order = if ($round % 2) { @('up', 'new') } else { @('new', 'up') }
                foreach ($side in $order) {
                    if ($side -eq 'up') {
                        $r = Invoke-MeasuredRun $seed.Cs $sim.BaseUrl $run
                        # The upgraded register also holds the assets of its history (Innomaint has them): each run's own count over its own time.
                        $upRates.Add($r.Succeeded / $r.WallSeconds)
                    } else {
                        $r = Invoke-MeasuredRun $fresh.Cs $sim.BaseUrl $run
                        $newRates.Add($r.Succeeded / $r.WallSeconds)
                    }
                }
                # Statistics are flushed when a session ends; the run's sessions have closed with its process.
                $null = Invoke-PgSql $seed.Cs 'SELECT pg_stat_force_next_flush()'
                $refreshes.Add((Get-AnalyzeCount $seed.Cs) - $before)
                Write-Host ("   round {0}: upgraded {1:N0}/s, new {2:N0}/s, the log and state tables analysed {3} times during the upgraded run" -f $round, $upRates[-1], $newRates[-1], $refreshes[-1])
            } finally {
                Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($seed.Name) WITH (FORCE)" | Out-Null
                Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $($fresh.Name) WITH (FORCE)" | Out-Null
            }
        }
        function Get-Median([double[]] $Values) {
            $v = $Values | Sort-Object
            if ($v.Count % 2) { $v[[int][math]::Floor($v.Count / 2)] } else { ($v[$v.Count / 2 - 1] + $v[$v.Count / 2]) / 2 }
        }
        $upRate = Get-Median $upRates
        $newRate = Get-Median $newRates
        $each = ($upRates | ForEach-Object { '{0:N0}' -f $_ }) -join ', '
        Add-Figure 'U' "first sync just after upgrading a seed-era database (what a user sees), median of $Rounds" ('{0:N0}/s ({1})' -f $upRate, $each) '>= 3,000/s' ($upRate -ge 3000)
        $each = ($newRates | ForEach-Object { '{0:N0}' -f $_ }) -join ', '
        Add-Figure 'U' "the same sync on a new install, median of $Rounds" ('{0:N0}/s ({1})' -f $newRate, $each) '>= 3,000/s' ($newRate -ge 3000)
        Add-Figure 'U' 'upgraded against new (medians)' ('{0:F2}' -f ($upRate / $newRate)) '>= 0.90' ($upRate / $newRate -ge 0.90)
        Add-Figure 'U' 'ANALYZEs of the log and state tables during each upgraded run (pg_stat_user_tables.analyze_count, the two summed)' (($refreshes | ForEach-Object { "$_" }) -join ', ') $null $null
    }
} finally {
    Stop-SimulatorProcess $sim
}

$table = @('| scenario | figure | measured | bar | met |', '|---|---|---|---|---|') +
    ($results | ForEach-Object { "| $($_.Scenario) | $($_.Figure) | $($_.Value) | $($_.Bar) | $($_.Ok) |" })
$text = "Database footprint (simulator on this host, PostgreSQL 15 with default durability$(if ($Quick) { ', -Quick' })):`n`n" + ($table -join "`n")
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
