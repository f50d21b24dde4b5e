<#
.SYNOPSIS
The freshness and online-upgrade benchmarks (issues 13 and 16): a seed-era history of 50,000 assets and one
year of nightly runs (18.25 million ic3_sync_log rows) built with generate_series, upgraded while a reader polls
both tables, upgraded again after a SIGKILL halfway; the state queries on that history; unchanged re-runs
(WAL, time, bytes); and convergence of budgeted runs through a small quota.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    # Which parts to run: upgrade (with the queries on its history), unchanged, convergence.
    [ValidateSet('upgrade', 'unchanged', 'convergence')]
    [string[]] $Sections = @('upgrade', 'unchanged', 'convergence')
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = Join-Path $root 'AssetSync.psd1'
$pgBin = Find-PgBin

$assets = 50000
$nights = if ($Quick) { 40 } else { 365 }
$results = [System.Collections.Generic.List[object]]::new()
function Add-Figure([string] $Figure, [string] $Value, [string] $Bar, [bool] $Ok) {
    $results.Add([pscustomobject]@{ Figure = $Figure; Value = $Value; Bar = $Bar; Ok = $(if ($Ok) { 'yes' } else { 'NO' }) })
    Write-Host ("   {0}: {1} (bar {2}) {3}" -f $Figure, $Value, $Bar, $(if ($Ok) { 'ok' } else { 'MISSED' }))
}

function New-Db([string] $Name, [string] $Template) {
    Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $Name WITH (FORCE)" | Out-Null
    Invoke-PgSql $AdminConnectionString ("CREATE DATABASE $Name" + $(if ($Template) { " TEMPLATE $Template" })) | Out-Null
    Set-ConnectionDatabase $AdminConnectionString $Name
}

function Invoke-Module([string] $Script) {
    # A fresh pwsh per measurement: nothing cached from the one before.
    $out = Invoke-Pwsh -NoProfile -NonInteractive -Command "`$ErrorActionPreference = 'Stop'; Import-Module '$manifest'; $Script"
    if ($LASTEXITCODE -ne 0) { throw "pwsh failed: $($out -join "`n")" }
    $out
}

function Get-StateFingerprint([string] $Cs) {
    Invoke-PgSql $Cs @"
SELECT md5(string_agg(concat_ws('|', serialnumber, status, last_attempt_at, last_success_at, failing_since, consecutive_failures, next_attempt_at, error_kind, error_message), ',' ORDER BY serialnumber)) FROM cmms_asset_sync_state
"@
}

if ($Sections -contains 'upgrade') {
# ---- 1. the seed-era history ---------------------------------------------------------------------
Write-Host "== Building a seed-era history: $assets assets, $nights nightly runs ($($assets * $nights) log rows)"
$seedCs = New-Db 'bench_seedera'
$sw = [Diagnostics.Stopwatch]::StartNew()
Invoke-PgSql $seedCs @"
CREATE TABLE ic3_asset_master (asset_id bigserial PRIMARY KEY, cmms_asset_id text, report_seq_no integer);
CREATE TABLE ic3_sync_log (serialnumber text, sync_type text, status text, error_message text, synced_at timestamptz DEFAULT now());
CREATE TABLE cmms_sync_log (sync_type text, status text, assets_synced integer, duration_ms integer, synced_at timestamptz DEFAULT now());
INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $assets) i;
INSERT INTO ic3_sync_log (serialnumber, sync_type, status, error_message, synced_at)
SELECT 'INF-' || lpad(a::text, 6, '0'), 'api_sync',
       CASE WHEN (a * 7 + d * 13) % 50 = 0 OR (a % 97 = 0 AND d > $nights - 5) THEN 'error' ELSE 'success' END,
       CASE WHEN (a * 7 + d * 13) % 50 = 0 OR (a % 97 = 0 AND d > $nights - 5) THEN 'HTTP 503: Service Unavailable' END,
       now() - ($nights - d) * interval '1 day' + a * interval '50 ms'
FROM generate_series(0, $nights - 1) d, generate_series(1, $assets) a;
INSERT INTO cmms_sync_log SELECT 'api_sync', 'complete', $assets, 3600000, now() - ($nights - d) * interval '1 day' FROM generate_series(0, $nights - 1) d;
VACUUM ANALYZE;
"@ | Out-Null
Write-Host ("   built in {0:F0} s" -f $sw.Elapsed.TotalSeconds)
# What the old log says, to compare with the upgraded state.
$expected = Invoke-PgSql $seedCs @"
SELECT count(*) FILTER (WHERE status = 'success') || '/' || count(*) FILTER (WHERE status = 'error') FROM (
  SELECT DISTINCT ON (serialnumber) serialnumber, status FROM ic3_sync_log WHERE sync_type = 'api_sync' ORDER BY serialnumber, synced_at DESC, ctid DESC) x
"@
$killCs = New-Db 'bench_seedera_kill' 'bench_seedera'
$upCs = New-Db 'bench_seedera_up' 'bench_seedera'

# ---- 2. the upgrade, with a reader polling both tables every 100 ms -------------------------------
Write-Host '== Upgrading it to the latest schema while a reader polls ic3_asset_master and ic3_sync_log every 100 ms'
$c = ConvertFrom-ConnectionString $upCs
$readerScript = Join-Path ([IO.Path]::GetTempPath()) "assetsync-reader-$PID.sql"
$readerOut = "$readerScript.out"
# psql times each statement; the sleeps are filtered out afterwards.
$lines = @('\timing on') + (1..6000 | ForEach-Object { "SELECT count(*) AS master FROM ic3_asset_master;", "SELECT count(*) AS logrows FROM (SELECT 1 FROM ic3_sync_log LIMIT 5) x;", "SELECT pg_sleep(0.1) AS nap;" })
Set-Content -Path $readerScript -Value $lines
$env:PGPASSWORD = $c['password']
$reader = Start-Process -FilePath (Join-Path $pgBin 'psql') -ArgumentList @('-X', '-q', '-h', $c['host'], '-p', $c['port'], '-U', $c['username'], '-d', $c['database'], '-f', $readerScript) `
    -RedirectStandardOutput $readerOut -RedirectStandardError "$readerOut.err" -PassThru
Remove-Item Env:PGPASSWORD
Start-Sleep -Seconds 1
# PostgreSQL's own account of lock waits: every wait past deadlock_timeout is logged, and how long it lasted once granted.
Invoke-PgSql $AdminConnectionString "ALTER SYSTEM SET log_lock_waits = on; ALTER SYSTEM SET deadlock_timeout = '300ms'; SELECT pg_reload_conf();" | Out-Null
$serverLog = Join-Path (Split-Path ([string](Invoke-PgSql $AdminConnectionString 'SHOW data_directory' | Select-Object -Last 1)).Trim() -Parent) 'server.log'
$logFrom = if (Test-Path $serverLog) { (Get-Item $serverLog).Length } else { 0 }
$sw = [Diagnostics.Stopwatch]::StartNew()
Invoke-Module "Initialize-CmmsSyncSchema -ConnectionString '$upCs' -Confirm:`$false" | Out-Null
$upgradeSeconds = $sw.Elapsed.TotalSeconds
$lockLines = @()
if (Test-Path $serverLog) {
    $stream = [IO.File]::Open($serverLog, 'Open', 'Read', 'ReadWrite')
    try { $null = $stream.Seek($logFrom, 'Begin'); $lockLines = @((New-Object IO.StreamReader $stream).ReadToEnd() -split "`n" | Where-Object { $_ -match 'still waiting for|acquired .* after' }) } finally { $stream.Dispose() }
}
Invoke-PgSql $AdminConnectionString "ALTER SYSTEM RESET log_lock_waits; ALTER SYSTEM RESET deadlock_timeout; SELECT pg_reload_conf();" | Out-Null
$acquired = @($lockLines | Where-Object { $_ -match 'acquired (\w+) on (.+?) after ([\d.]+) ms' } | ForEach-Object { [pscustomobject]@{ Lock = $Matches[1]; On = $Matches[2]; Ms = [double]$Matches[3] } } | Sort-Object Ms -Descending)
$longestLogged = if ($acquired) { '{0:N0} ms ({1} on {2})' -f $acquired[0].Ms, $acquired[0].Lock, $acquired[0].On } else { 'none' }
Write-Host ("   lock waits PostgreSQL logged past 300 ms during the upgrade: {0}; longest: {1}" -f @($lockLines | Where-Object { $_ -match 'still waiting for' }).Count, $longestLogged)
Start-Sleep -Milliseconds 500
$reader.Kill(); $reader.WaitForExit()
# Each query's time: psql prints "Time: N ms" after each statement, in order (query, query, sleep).
$times = @(Get-Content $readerOut | Where-Object { $_ -match '^Time: ([\d.]+) ms' } | ForEach-Object { [double]($_ -replace '^Time: ([\d.]+) ms.*', '$1') })
$queryTimes = for ($i = 0; $i -lt $times.Count; $i++) { if ($i % 3 -ne 2) { $times[$i] } }
$longestWait = ($queryTimes | Measure-Object -Maximum).Maximum
Remove-Item $readerScript, $readerOut, "$readerOut.err" -ErrorAction SilentlyContinue
$steps = Invoke-PgSql $upCs "SELECT string_agg(step || ' ' || round(duration_ms / 1000.0, 1) || ' s', '; ' ORDER BY step) FROM assetsync_schema_step WHERE duration_ms >= 1000"
$v2 = [double](Invoke-PgSql $upCs "SELECT COALESCE(sum(duration_ms), 0) / 1000.0 FROM assetsync_schema_step WHERE version = 2")
Add-Figure 'whole upgrade, seed-era tables to the latest schema' ('{0:F0} s' -f $upgradeSeconds) '<= 180 s' ($upgradeSeconds -le 180)
Add-Figure 'longest wait of the reader (both tables, every 100 ms)' ('{0:F0} ms over {1} queries' -f $longestWait, $queryTimes.Count) '<= 1000 ms' ($longestWait -le 1000)
Add-Figure 'lock waits past 300 ms PostgreSQL logged during the upgrade (log_lock_waits), longest' ("{0}; longest {1}" -f @($lockLines | Where-Object { $_ -match 'still waiting for' }).Count, $longestLogged) 'none over 1 s' (-not ($acquired | Where-Object Ms -gt 1000))
Add-Figure 'migration 002 (its steps, on the history the id backfill left)' ('{0:F0} s' -f $v2) '<= 120 s' ($v2 -le 120)
Write-Host "   slow steps: $steps"
$actual = Invoke-PgSql $upCs "SELECT count(*) FILTER (WHERE status = 'success') || '/' || count(*) FILTER (WHERE status = 'error') FROM cmms_asset_sync_state"
Add-Figure 'state after the upgrade equals the old log (succeeded/failed)' "$actual (log: $expected)" 'equal' ($actual -eq $expected)

# ---- 3. killed halfway (SIGKILL in the id backfill), then run again -------------------------------
Write-Host '== Upgrading a copy, killed with SIGKILL halfway through the id backfill, then run again'
$childArgs = @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$killCs' -Confirm:`$false")
if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -ne 'pwsh') { $childArgs = @((Join-Path $PSHOME 'pwsh.dll')) + $childArgs }
$psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
foreach ($a in $childArgs) { $psi.ArgumentList.Add($a) }
$psi.RedirectStandardOutput = $true
$child = [Diagnostics.Process]::Start($psi)
$deadline = (Get-Date).AddMinutes(5)
while ((Get-Date) -lt $deadline) {
    # Before the upgrade creates its bookkeeping table, there is nothing to read yet.
    $progress = try { Invoke-PgSql $killCs "SELECT COALESCE((SELECT cursor_page::text || '/' || target_page FROM assetsync_schema_step WHERE step = '1.10-ic3_sync_log-id-backfill'), '0/1')" } catch { '0/1' }
    $done, $of = ($progress -split '/') | ForEach-Object { [double]$_ }
    if ($of -gt 1 -and $done * 2 -ge $of) { break }
    Start-Sleep -Milliseconds 200
}
$child.Kill($true); $child.WaitForExit()
Write-Host "   killed at page $done of $of"
$sw = [Diagnostics.Stopwatch]::StartNew()
Invoke-Module "Initialize-CmmsSyncSchema -ConnectionString '$killCs' -Confirm:`$false" | Out-Null
$resumeSeconds = $sw.Elapsed.TotalSeconds
# Right after the upgrade, before anything else touches the tables (no manual ANALYZE): the upgrade analysed what it filled.
$fresh = Invoke-Module "Get-CmmsSyncStatus -ConnectionString '$killCs' | Out-Null; (Measure-Command { Get-CmmsSyncStatus -ConnectionString '$killCs' | Out-Null }).TotalSeconds" | Select-Object -Last 1
Add-Figure 'Get-CmmsSyncStatus right after the upgrade (no manual ANALYZE)' ('{0:F3} s' -f [double]$fresh) '<= 0.3 s' ([double]$fresh -le 0.3)
$same = (Get-StateFingerprint $killCs) -eq (Get-StateFingerprint $upCs)
$statusOf = { param($cs) Invoke-Module "Get-CmmsSyncStatus -ConnectionString '$cs' | ForEach-Object { '{0}/{1}/{2}/{3}/{4}' -f `$_.TotalAssets, `$_.SyncedAssets, `$_.FailedAssets, `$_.NeverSynced, `$_.DeferredAssets }" }
$statusKilled = & $statusOf $killCs; $statusClean = & $statusOf $upCs
Add-Figure 'upgrade killed halfway, then run again' ("completed in {0:F0} s; status {1} vs {2}; state rows identical: {3}" -f $resumeSeconds, $statusKilled, $statusClean, $same) 'completes, same status' ($same -and $statusKilled -eq $statusClean)

# ---- 4. the state queries on that history ---------------------------------------------------------
Write-Host '== State queries with 18 million history rows (after ANALYZE)'
Invoke-PgSql $upCs 'VACUUM ANALYZE' | Out-Null
$sim = Start-SimulatorProcess -Arguments @('--Assets', $assets) -Token 'bench-token' -Configuration $Configuration
try {
    $timing = Invoke-Module @"
`$env:ASSETSYNC_API_TOKEN = 'bench-token'
`$cs = '$upCs'
Get-CmmsSyncStatus -ConnectionString `$cs | Out-Null   # warm: the module and the pool, not the data
`$t = [ordered]@{}
`$t.status = (Measure-Command { Get-CmmsSyncStatus -ConnectionString `$cs | Out-Null }).TotalSeconds
`$t.failures = (Measure-Command { Get-CmmsSyncFailure -ConnectionString `$cs | Out-Null }).TotalSeconds
# Warm: the first run in a process pays for compiling the engine's code paths, not for the selection.
Invoke-CmmsRetryFailed -ConnectionString `$cs -BaseUrl '$($sim.BaseUrl)' -BatchSize 1 -RequestsPerSecond 1000 | Out-Null
`$sw = [Diagnostics.Stopwatch]::StartNew(); `$first = `$null
Invoke-CmmsRetryFailed -ConnectionString `$cs -BaseUrl '$($sim.BaseUrl)' -BatchSize 1 -RequestsPerSecond 1000 | ForEach-Object { if (`$null -eq `$first) { `$first = `$sw.Elapsed.TotalSeconds } }
`$t.retry = `$first
`$report = Join-Path ([IO.Path]::GetTempPath()) 'assetsync-bench-report.html'
`$t.report = (Measure-Command { Export-CmmsSyncReport -ConnectionString `$cs -Path `$report }).TotalSeconds
Remove-Item `$report
'{0:F3}|{1:F3}|{2:F3}|{3:F3}' -f `$t.status, `$t.failures, `$t.retry, `$t.report
"@ | Select-Object -Last 1
    $s, $f, $r, $rep = ($timing -split '\|') | ForEach-Object { [double]$_ }
    Add-Figure 'Get-CmmsSyncStatus' ('{0:F3} s' -f $s) '<= 0.3 s' ($s -le 0.3)
    Add-Figure 'Get-CmmsSyncFailure (all)' ('{0:F3} s' -f $f) '<= 0.3 s' ($f -le 0.3)
    Add-Figure 'Invoke-CmmsRetryFailed, first result (selection, run row, one request; warm process)' ('{0:F3} s' -f $r) '<= 0.3 s' ($r -le 0.3)
    Add-Figure 'Export-CmmsSyncReport' ('{0:F3} s' -f $rep) '<= 2 s' ($rep -le 2)

    # Issue 28: the same history once every asset has change observations and a batch run has fitted the change model,
    # so status adds EstimatedOutdatedAssets (one more column of the same scan of the state table).
    Invoke-PgSql $upCs "UPDATE cmms_asset_sync_state SET change_count = (abs(hashtext(serialnumber)) % 5),
        change_exposure = 86400.0 * (1 + abs(hashtext(serialnumber || 'x')) % 400), change_observations = 1; VACUUM ANALYZE cmms_asset_sync_state" | Out-Null
    $withModel = Invoke-Module @"
`$cs = '$upCs'
Invoke-CmmsSync -ConnectionString `$cs -BaseUrl '$($sim.BaseUrl)' -ApiToken (ConvertTo-SecureString 'bench-token' -AsPlainText -Force) -BatchSize 1 -RequestsPerSecond 1000 -Summary | Out-Null
Get-CmmsSyncStatus -ConnectionString `$cs | Out-Null
`$m = Measure-Command { `$st = Get-CmmsSyncStatus -ConnectionString `$cs }
'{0:F3}|{1:F0}' -f `$m.TotalSeconds, `$st.EstimatedOutdatedAssets
"@ | Select-Object -Last 1
    $ms, $outdated = $withModel -split '\|'
    Add-Figure 'Get-CmmsSyncStatus with the change model (EstimatedOutdatedAssets)' ('{0:F3} s ({1} estimated outdated)' -f [double]$ms, $outdated) '<= 0.3 s' ([double]$ms -le 0.3)
} finally { Stop-SimulatorProcess $sim }

}

if ($Sections -contains 'unchanged') {
# ---- 5. unchanged re-runs: WAL, time and bytes ----------------------------------------------------
$n = if ($Quick) { 5000 } else { 20000 }
Write-Host "== Re-runs of $n assets, no quota: every asset changed, against none changed"
$cs = New-Db 'bench_unchanged'
Invoke-Module "Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $n) i; VACUUM ANALYZE;" | Out-Null
$sim = Start-SimulatorProcess -Arguments @('--Assets', $n, '--Validators', 'both', '--ChangeRate', '1') -Token 'bench-token' -Configuration $Configuration
try {
    $run = {
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        # As between two nightly runs: autovacuum has pruned the last run's dead row versions, and a checkpoint has
        # passed, so every run pays the full-page images of the pages it touches (checkpoints come every few minutes);
        # without these the figure would depend on their timing.
        Invoke-PgSql $cs 'VACUUM' | Out-Null
        Invoke-PgSql $cs 'CHECKPOINT' | Out-Null
        $before = Invoke-PgSql $cs 'SELECT pg_current_wal_lsn()'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $sum = Invoke-Module "`$env:ASSETSYNC_API_TOKEN = 'bench-token'; Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary | ForEach-Object { '{0}|{1}' -f `$_.Succeeded, `$_.Unchanged }" | Select-Object -Last 1
        $seconds = $sw.Elapsed.TotalSeconds
        $wal = [double](Invoke-PgSql $cs "SELECT pg_current_wal_lsn() - '$before'::pg_lsn")
        $bytes = [double](Invoke-RestMethod "$($sim.BaseUrl)/_sim/stats").bodyBytes
        [pscustomobject]@{ Seconds = $seconds; Wal = $wal; Bytes = $bytes; Summary = $sum }
    }
    & $run | Out-Null                                          # first sync: everything new
    Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/generation" | Out-Null
    $changed = & $run                                           # every asset changed (ChangeRate 1)
    $same = & $run                                              # nothing changed: 304s
    Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/config" -ContentType 'application/json' -Body '{"Validators":"none"}' | Out-Null
    $sha = & $run                                               # no validators: same bodies, by SHA-256
    Write-Host "   changed: $($changed.Summary); unchanged: $($same.Summary); by SHA-256: $($sha.Summary)"
    Add-Figure "re-run of $n unchanged assets: WAL" ('{0:F1} MB vs {1:F1} MB changed ({2:P0})' -f ($same.Wal / 1MB), ($changed.Wal / 1MB), ($same.Wal / $changed.Wal)) '<= 25%' ($same.Wal / $changed.Wal -le 0.25)
    Add-Figure "re-run of $n unchanged assets: duration" ('{0:F1} s vs {1:F1} s changed ({2:P0})' -f $same.Seconds, $changed.Seconds, ($same.Seconds / $changed.Seconds)) '<= 70%' ($same.Seconds / $changed.Seconds -le 0.70)
    Add-Figure '304 path: body bytes read' ('{0:N0} vs {1:N0} on the 200 path ({2:P1})' -f $same.Bytes, $changed.Bytes, ($same.Bytes / $changed.Bytes)) '<= 5%' ($same.Bytes / $changed.Bytes -le 0.05)
    Add-Figure "unchanged by SHA-256 (no validators): WAL" ('{0:F1} MB ({1:P0} of changed), {2:F1} s' -f ($sha.Wal / 1MB), ($sha.Wal / $changed.Wal), $sha.Seconds) '(for comparison)' $true
} finally { Stop-SimulatorProcess $sim }

}

# ---- 6. convergence through a small quota ---------------------------------------------------------
if (-not $Quick -and $Sections -contains 'convergence') {
    Write-Host '== Convergence: 10,000 assets at 50 requests/s, a 60 s budget per run'
    $cs = New-Db 'bench_converge'
    Invoke-Module "Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
    Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, 10000) i; VACUUM ANALYZE;" | Out-Null
    $sim = Start-SimulatorProcess -Arguments @('--Assets', '10000', '--LatencyMs', '20') -Token 'bench-token' -Configuration $Configuration
    try {
        $starts = @()
        foreach ($i in 1..4) {
            $starts += Invoke-PgSql $cs 'SELECT now()'
            $line = Invoke-Module "`$env:ASSETSYNC_API_TOKEN = 'bench-token'; Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond 50 -MaxDuration 00:01:00 -Summary | ForEach-Object { '{0}|{1}|{2:F1}' -f `$_.Succeeded, `$_.NotReached, `$_.Duration.TotalSeconds }" | Select-Object -Last 1
            Write-Host "   run ${i}: succeeded|not reached|seconds = $line"
        }
        $never = [int](Invoke-PgSql $cs "SELECT count(*) FROM ic3_asset_master m WHERE NOT EXISTS (SELECT 1 FROM cmms_asset_sync_state s WHERE s.serialnumber = m.cmms_asset_id AND s.last_success_at IS NOT NULL)")
        $oldestOk = (Invoke-PgSql $cs "SELECT min(last_success_at) >= '$($starts[0])'::timestamptz FROM cmms_asset_sync_state") -eq 't'
        Add-Figure 'convergence: 10,000 assets, 50/s, 60 s per run, after 4 runs' "$never never synced; oldest sync within the 4 runs: $oldestOk" '0 never synced' ($never -eq 0 -and $oldestOk)
    } finally { Stop-SimulatorProcess $sim }
}

foreach ($db in 'bench_seedera', 'bench_seedera_kill', 'bench_seedera_up', 'bench_unchanged', 'bench_converge') {
    Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
}

$table = @('| figure | measured | bar | met |', '|---|---|---|---|') + ($results | ForEach-Object { "| $($_.Figure) | $($_.Value) | $($_.Bar) | $($_.Ok) |" })
$text = "Freshness and online upgrade ($assets assets, $nights nights of seed-era history$(if ($Quick) { ', -Quick' })):`n`n" + ($table -join "`n")
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
