<#
.SYNOPSIS
Freshness per request (issue 28): -Order Stalest against -Order ChangeRate, side by side in one run.

.DESCRIPTION
Two identical registers of -Assets assets, each synced from its own simulator. Both simulators run the same change process
(the same seed and epoch: the same assets change at the same instants): 1% of the assets change about daily, 9% monthly,
90% yearly, with a day compressed into -DaySeconds real seconds. Night 0 syncs every asset of both; then for -Nights nights
each register gets a budget of 10% of the register (-BatchSize), one -Order Stalest, one -Order ChangeRate (the default),
in turns so neither always goes first.

Right after each register's night its simulator says how many assets changed since they were last served (the truth), and
Get-CmmsSyncStatus says how many it thinks (EstimatedOutdatedAssets). Figures: stale assets after each night, averaged over
the nights after the tenth and over the first ten (learning); requests used; the estimate against the truth.
Targets: ChangeRate at most 0.75x Stalest after the tenth night, at most 1.10x in the first ten; the estimate within 35%.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    [int] $Assets = 3000,
    [int] $Nights = 40,
    [double] $DaySeconds = 5,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
Import-Module (Join-Path $root 'AssetSync.psd1') -Force
$classes = '0.01:1d,0.09:30d,0.90:365d'
$budget = [int][math]::Round($Assets * 0.1)
$orders = 'Stalest', 'ChangeRate'

$registers = @{}
$epoch = [DateTimeOffset]::UtcNow.AddSeconds(5)
try {
    foreach ($order in $orders) {
        $name = "bench_fresh_$($order.ToLowerInvariant())"
        Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $name WITH (FORCE)" | Out-Null
        Invoke-PgSql $AdminConnectionString "CREATE DATABASE $name" | Out-Null
        $cs = Set-ConnectionDatabase $AdminConnectionString $name
        Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false | Out-Null
        Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $Assets) i; ANALYZE;" | Out-Null
        $sim = Start-SimulatorProcess -Token 'bench-token' -Configuration $Configuration -Arguments @('--Assets', "$Assets", '--Seed', "$Seed",
            '--ChangeClasses', $classes, '--DaySeconds', "$DaySeconds", '--ChangeEpoch', $epoch.ToString('o'))
        $registers[$order] = [pscustomobject]@{ Order = $order; ConnectionString = $cs; Sim = $sim; Stale = [Collections.Generic.List[double]]::new();
            Estimate = [Collections.Generic.List[double]]::new(); Requests = 0 }
    }
    $common = @{ ApiToken = (ConvertTo-SecureString 'bench-token' -AsPlainText -Force); RequestsPerSecond = 'Infinity'; ThrottleLimit = 8; Summary = $true;
        WarningAction = 'SilentlyContinue'; Confirm = $false }
    function Invoke-Night([pscustomobject] $Register, [int] $Size) {
        Invoke-CmmsSync -ConnectionString $Register.ConnectionString -BaseUrl $Register.Sim.BaseUrl -BatchSize $Size -Order $Register.Order @common
    }
    function Get-Truth([pscustomobject] $Register) { Invoke-RestMethod -Uri "$($Register.Sim.BaseUrl)/_sim/truth" }

    # Night 0: every asset of both registers, once the change process has started.
    while ([DateTimeOffset]::UtcNow -lt $epoch) { Start-Sleep -Milliseconds 50 }
    foreach ($order in $orders) {
        $null = Invoke-Night $registers[$order] 0
        Invoke-RestMethod -Method Post -Uri "$($registers[$order].Sim.BaseUrl)/_sim/stats/reset" | Out-Null
    }
    Write-Host ("== {0} assets ({1}), a day of {2} s, {3} nights at {4} a night" -f $Assets, $classes, $DaySeconds, $Nights, $budget)
    for ($night = 1; $night -le $Nights; $night++) {
        $at = $epoch.AddSeconds($night * $DaySeconds)
        while ([DateTimeOffset]::UtcNow -lt $at) { Start-Sleep -Milliseconds 20 }
        $turn = if ($night % 2) { $orders } else { @($orders[1], $orders[0]) }
        $line = "   night {0,2}:" -f $night
        foreach ($order in $turn) {
            # The truth right after the register's own night, so neither pays for the other's run time.
            $r = $registers[$order]
            $summary = Invoke-Night $r $budget
            $r.Requests += $summary.Requests
            $truth = Get-Truth $r
            $r.Stale.Add([double]$truth.changedSinceServed)
            $estimate = (Get-CmmsSyncStatus -ConnectionString $r.ConnectionString).EstimatedOutdatedAssets
            $r.Estimate.Add($(if ($null -eq $estimate) { [double]::NaN } else { [double]$estimate }))
            $line += " {0} {1,4} stale (estimate {2,6:0.0}, {3:0.00} s)" -f $order, $truth.changedSinceServed, $estimate, $summary.Duration.TotalSeconds
        }
        Write-Host $line
    }
} finally {
    foreach ($r in $registers.Values) {
        Stop-SimulatorProcess $r.Sim
    }
    foreach ($order in $orders) {
        Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS bench_fresh_$($order.ToLowerInvariant()) WITH (FORCE)" | Out-Null
    }
}

function Mean([double[]] $Values) { if ($Values.Count -eq 0) { return [double]::NaN } ($Values | Measure-Object -Average).Average }
$stalest = $registers['Stalest']; $rate = $registers['ChangeRate']
$learned = [Math]::Min(10, $Nights)
$after = { param($r) Mean ($r.Stale | Select-Object -Skip $learned) }
$first = { param($r) Mean ($r.Stale | Select-Object -First $learned) }
$ratioAfter = (& $after $rate) / (& $after $stalest)
$ratioFirst = (& $first $rate) / (& $first $stalest)
$estimateAfter = Mean ($rate.Estimate | Select-Object -Skip $learned)
$estimateError = [Math]::Abs($estimateAfter - (& $after $rate)) / (& $after $rate)
$stalestEstimate = Mean ($stalest.Estimate | Select-Object -Skip $learned)
$stalestError = [Math]::Abs($stalestEstimate - (& $after $stalest)) / (& $after $stalest)

$rows = @(
    @('stale assets after each night, nights 11+ (truth)', ('{0:0.0} / {1:0.0}' -f (& $after $stalest), (& $after $rate)), ('{0:0.00}x' -f $ratioAfter), '<= 0.75x', ($ratioAfter -le 0.75)),
    @('stale assets after each night, nights 1-10 (learning)', ('{0:0.0} / {1:0.0}' -f (& $first $stalest), (& $first $rate)), ('{0:0.00}x' -f $ratioFirst), '<= 1.10x', ($ratioFirst -le 1.10)),
    @('requests used, nights 1+', ('{0} / {1}' -f $stalest.Requests, $rate.Requests), ('{0:0.00}x' -f ($rate.Requests / [Math]::Max(1, $stalest.Requests))), 'the same budget', $true),
    @('EstimatedOutdatedAssets against the truth, nights 11+ (ChangeRate)', ('{0:0.0} / {1:0.0}' -f $estimateAfter, (& $after $rate)), ('{0:P0} off' -f $estimateError), '<= 35%', ($estimateError -le 0.35)),
    @('EstimatedOutdatedAssets against the truth, nights 11+ (Stalest)', ('{0:0.0} / {1:0.0}' -f $stalestEstimate, (& $after $stalest)), ('{0:P0} off' -f $stalestError), '<= 35%', ($stalestError -le 0.35))
)
$table = @('| figure | Stalest / ChangeRate | measured | target | met |', '|---|---|---|---|---|') +
    ($rows | ForEach-Object { "| $($_[0]) | $($_[1]) | $($_[2]) | $($_[3]) | $(if ($_[4]) { 'yes' } else { 'NO' }) |" })
$perNight = ($stalest.Stale | ForEach-Object -Begin { $i = 0 } -Process { $i++; '{0}:{1}/{2}' -f $i, $_, $rate.Stale[$i - 1] }) -join ' '
$text = "Freshness per request ($Assets assets, classes $classes, a day of $DaySeconds s, $Nights nights at $budget a night, seed $Seed):`n`n" +
    ($table -join "`n") + "`n`nStale after each night (Stalest/ChangeRate): $perNight"
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
