<#
.SYNOPSIS
Night by night, which assets -Order ChangeRate takes, by their true change class: the diagnosis behind the freshness
benchmark's figures (docs/performance.md, "Three defects that held the learned order back").

.DESCRIPTION
One register of -Assets assets (1% daily, 9% monthly, 90% yearly, a day of 5 s), synced from its own simulator: night 0
every asset, then -Nights nights of -BatchSize by ChangeRate. After each night: the stale assets (the simulator's truth) and
how many of the night's assets were daily, monthly or yearly (the simulator's /_sim/rates); with -Drift (1% of the quiet
assets turn daily and the daily go quiet at night 20), those that went quiet (oldbusy) and turned busy (newbusy). At the end:
each asset's state row and the fitted model written under -OutPath (state.txt, model.txt, rates.json), to recompute any
night's index outside the engine. -Manifest runs another build's module.
Example: dotnet pwsh -c 'Import-Module ./tests/Shared/TestServices.psm1; $c = Start-PostgresCluster -Durable;
  ./tests/Bench/Trace-ChangeRateOrder.ps1 -AdminConnectionString $c.ConnectionString -Nights 15; Stop-PostgresCluster $c'
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Manifest,
    [ValidateRange(1, 200)] [int] $Nights = 15,
    [ValidateRange(100, 100000)] [int] $Assets = 3000,
    [switch] $Drift,
    [string] $OutPath = (Join-Path ([IO.Path]::GetTempPath()) 'assetsync-order-trace')
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
Import-Module $(if ($Manifest) { (Resolve-Path $Manifest).Path } else { Join-Path $root 'AssetSync.psd1' }) -Force
$day = 5
$db = 'trace_order_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
Invoke-PgSql $AdminConnectionString "CREATE DATABASE $db" | Out-Null
$cs = Set-ConnectionDatabase $AdminConnectionString $db
$sim = $null
try {
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false | Out-Null
    Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $Assets) i; ANALYZE;" | Out-Null
    $epoch = [DateTimeOffset]::UtcNow.AddSeconds(3)
    $simArgs = @('--Assets', "$Assets", '--Seed', '1', '--ChangeClasses', '0.01:1d,0.09:30d,0.90:365d', '--DaySeconds', "$day", '--ChangeEpoch', $epoch.ToString('o'))
    if ($Drift) { $simArgs += @('--DriftAtDay', '20', '--DriftShare', '0.01') }
    $sim = Start-SimulatorProcess -Token 'trace-token' -Configuration Release -Arguments $simArgs
    $common = @{ ConnectionString = $cs; BaseUrl = $sim.BaseUrl; ApiToken = (ConvertTo-SecureString 'trace-token' -AsPlainText -Force)
        RequestsPerSecond = 'Infinity'; ThrottleLimit = 8; Summary = $true; WarningAction = 'SilentlyContinue'; Confirm = $false }
    $daily = 1.0 / $day / 4; $monthly = 1.0 / (30 * $day) / 2
    function Get-Rates { (Invoke-WebRequest -Uri "$($sim.BaseUrl)/_sim/rates").Content | ConvertFrom-Json -AsHashtable }
    while ([DateTimeOffset]::UtcNow -lt $epoch) { Start-Sleep -Milliseconds 20 }
    $null = Invoke-CmmsSync -BatchSize 0 -Order Stalest @common
    $before = Get-Rates
    $after = $null
    for ($n = 1; $n -le $Nights; $n++) {
        while ([DateTimeOffset]::UtcNow -lt $epoch.AddSeconds($day * $n)) { Start-Sleep -Milliseconds 20 }
        $run = Invoke-CmmsSync -BatchSize ([int]($Assets / 10)) -Order ChangeRate @common
        $truth = Invoke-RestMethod -Uri "$($sim.BaseUrl)/_sim/truth"
        if ($Drift -and $n -eq 21) { $after = Get-Rates }
        $chosen = (Invoke-PgSql $cs "SELECT serialnumber FROM ic3_sync_log WHERE run_id = $($run.RunId)") -split "`n" | Where-Object { $_ }
        $classes = $chosen | Group-Object {
            $r = $before[$_]
            $class = if ($r -gt $daily) { 'daily' } elseif ($r -gt $monthly) { 'monthly' } else { 'yearly' }
            if ($after) {
                if ($class -eq 'daily' -and $after[$_] -lt $daily) { $class = 'oldbusy' } elseif ($class -ne 'daily' -and $after[$_] -gt $daily) { $class = 'newbusy' }
            }
            $class
        } | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }
        '{0,3}: {1,4} stale; took {2}' -f $n, $truth.changedSinceServed, ($classes -join ', ')
    }
    $null = New-Item -ItemType Directory -Force -Path $OutPath
    Invoke-PgSql $cs "SELECT serialnumber || '|' || coalesce(recent_changes, change_count) || '|' || coalesce(recent_exposure, change_exposure) || '|' || change_count || '|' || change_exposure || '|' || date_part('epoch', now() - last_success_at) FROM cmms_asset_sync_state" |
        Set-Content (Join-Path $OutPath 'state.txt')
    Invoke-PgSql $cs "SELECT array_to_string(rates, ',') || '|' || array_to_string(weights, ',') FROM cmms_change_model" | Set-Content (Join-Path $OutPath 'model.txt')
    (Get-Rates) | ConvertTo-Json | Set-Content (Join-Path $OutPath 'rates.json')
    "state rows, model and true rates in $OutPath (serial|recent k|recent T s|k|T s|age s; rates and weights per second)"
} finally {
    if ($sim) { Stop-SimulatorProcess $sim }
    Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
}
