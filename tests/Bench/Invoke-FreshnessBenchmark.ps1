<#
.SYNOPSIS
Freshness per request in the real world (issues 28 and 35): -Order Stalest, -Order ChangeRate and the true-rate order, side by
side in one run, on registers served the way real APIs serve them.

.DESCRIPTION
For each -Scenario, identical registers of -Assets assets, each synced from its own simulator. The simulators run the same
change process (the same seed and epoch: the same assets change at the same instants): 1% of the assets change about daily,
9% monthly, 90% yearly, with a day compressed into -DaySeconds real seconds. Night 0 syncs every asset of each; then for
-Nights nights each register gets a budget of 10% of the register: one -Order Stalest, one -Order ChangeRate (the default),
and one the true-rate order (the oracle: Cho and Garcia-Molina's index of each asset's true rate, from the simulator, sent
as -SerialNumber), in turns so none always goes first.

The scenarios break the ideal world one way each:
  Ideal        issue 28's register as it was.
  Volatile     bodies with a served-at stamp and a request id, no ETag: every body differs on every visit.
  Stamped      last_modified stamped on every read.
  Drift        at night 20, 1% of the register (quiet assets) turns daily and the daily ones go quiet (run 50 nights).
  Imported     every last_modified before the first sync at one date 400 days earlier (a migration into Innomaint).
  Criticality  one asset in ten High, the rest Medium and Low: ChangeRate with -CriticalityWeight @{ High = 5; Medium = 2; Low = 1 }
               beside the unweighted ChangeRate.
  Skewed       the server's clock two days ahead, last_modified without an offset.

Right after each register's night its simulator says how many assets changed since they were last served (the truth), and
Get-CmmsSyncStatus says how many it thinks (EstimatedOutdatedAssets). Figures per scenario: stale assets after each night,
averaged over the nights after the learning ones (10, or 10 after the drift) and over the first ten; the estimate against the
truth; and, for Criticality, the stale High assets.

-Manifest measures another build (an older commit's AssetSync.psd1) on this script's simulator and scenarios, so an
engine from before a change meets the same registers as this one (the simulator is always this tree's).
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    [ValidateSet('Ideal', 'Volatile', 'Stamped', 'Drift', 'Imported', 'Criticality', 'Skewed')]
    [string[]] $Scenario = @('Ideal', 'Volatile', 'Stamped', 'Drift', 'Imported', 'Criticality', 'Skewed'),
    [int] $Assets = 3000,
    [int] $Nights = 40,
    [double] $DaySeconds = 5,
    [int] $Seed = 1,
    [string] $Manifest
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
Import-Module $(if ($Manifest) { (Resolve-Path $Manifest).Path } else { Join-Path $root 'AssetSync.psd1' }) -Force
$classes = '0.01:1d,0.09:30d,0.90:365d'
$budget = [int][math]::Round($Assets * 0.1)
$weights = @{ High = 5; Medium = 2; Low = 1 }
if ($Quick) { $Scenario = @('Ideal', 'Volatile'); $Nights = [Math]::Min($Nights, 20) }

function Mean([double[]] $Values) { if ($Values.Count -eq 0) { return [double]::NaN } ($Values | Measure-Object -Average).Average }

# Cho and Garcia-Molina's index of a true rate (per second) at an age (seconds): the oracle's order.
function Get-Index([double] $Rate, [double] $Age) {
    $x = $Rate * $Age
    if ($x -le 0) { return 0 }
    if ($x -lt 1e-6) { return $Age * $x / 2 }
    $e = [Math]::Exp(-[Math]::Min($x, 700))
    $Age * ((1 - $e) / $x - $e)
}

function Invoke-Scenario([string] $Name) {
    $simArgs = @('--Assets', "$Assets", '--Seed', "$Seed", '--ChangeClasses', $classes, '--DaySeconds', "$DaySeconds")
    $nights = $Nights
    $learned = 10
    switch ($Name) {
        'Volatile' { $simArgs += @('--VolatileFields', 'true') }
        'Stamped' { $simArgs += @('--StampLastModified', 'true') }
        'Drift' { $simArgs += @('--DriftAtDay', '20', '--DriftShare', '0.01'); $nights = [Math]::Max($Nights, 50); $learned = 30 }
        'Imported' { $simArgs += @('--ImportedDaysBefore', '400') }
        'Criticality' { $simArgs += @('--HighShare', '0.1') }
        'Skewed' { $simArgs += @('--ClockSkewSeconds', "$(2 * $DaySeconds)", '--LastModifiedWithoutOffset', 'true') }
    }
    if ($Quick) { $nights = [Math]::Min($nights, 20); $learned = [Math]::Min($learned, 10) }
    $orders = [Collections.Generic.List[string]]@('Stalest', 'ChangeRate', 'TrueRate')
    if ($Name -eq 'Criticality') { $orders.Add('Weighted') }

    $registers = [ordered]@{}
    $epoch = [DateTimeOffset]::UtcNow.AddSeconds(5)
    try {
        foreach ($order in $orders) {
            # A database per scenario and order: a pooled connection to a dropped one is never reused.
            $db = "bench_fresh_$($Name.ToLowerInvariant())_$($order.ToLowerInvariant())"
            Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS $db WITH (FORCE)" | Out-Null
            Invoke-PgSql $AdminConnectionString "CREATE DATABASE $db" | Out-Null
            $cs = Set-ConnectionDatabase $AdminConnectionString $db
            Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false | Out-Null
            Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $Assets) i; ANALYZE;" | Out-Null
            $sim = Start-SimulatorProcess -Token 'bench-token' -Configuration $Configuration -Arguments ($simArgs + @('--ChangeEpoch', $epoch.ToString('o')))
            $registers[$order] = [pscustomobject]@{ Order = $order; ConnectionString = $cs; Sim = $sim; Stale = [Collections.Generic.List[double]]::new()
                High = [Collections.Generic.List[double]]::new(); Estimate = [Collections.Generic.List[double]]::new(); Requests = 0; Volatile = 0; Stamped = $false }
        }
        $common = @{ ApiToken = (ConvertTo-SecureString 'bench-token' -AsPlainText -Force); RequestsPerSecond = 'Infinity'; ThrottleLimit = 8; Summary = $true
            WarningAction = 'SilentlyContinue'; Confirm = $false }
        function Invoke-Night([pscustomobject] $Register, [int] $Size) {
            $at = @{ ConnectionString = $Register.ConnectionString; BaseUrl = $Register.Sim.BaseUrl }
            switch ($Register.Order) {
                'TrueRate' {
                    if ($Size -eq 0) { return Invoke-CmmsSync -BatchSize 0 -Order Stalest @at @common }
                    $rates = (Invoke-WebRequest -Uri "$($Register.Sim.BaseUrl)/_sim/rates").Content | ConvertFrom-Json -AsHashtable
                    $ages = Invoke-PgSql $Register.ConnectionString "SELECT serialnumber || '|' || extract(epoch FROM now() - last_success_at) FROM cmms_asset_sync_state WHERE last_success_at IS NOT NULL"
                    $chosen = $ages -split "`n" | Where-Object { $_ } | ForEach-Object {
                        $serial, $age = $_ -split '\|'
                        [pscustomobject]@{ Serial = $serial; Value = (Get-Index $rates[$serial] ([double]$age)) }
                    } | Sort-Object Value -Descending | Select-Object -First $Size -ExpandProperty Serial
                    Invoke-CmmsSync -SerialNumber $chosen @at @common
                }
                'Weighted' { Invoke-CmmsSync -BatchSize $Size -Order ChangeRate -CriticalityWeight $weights @at @common }
                default { Invoke-CmmsSync -BatchSize $Size -Order $Register.Order @at @common }
            }
        }

        while ([DateTimeOffset]::UtcNow -lt $epoch) { Start-Sleep -Milliseconds 50 }
        foreach ($r in $registers.Values) {
            $null = Invoke-Night $r 0
            Invoke-RestMethod -Method Post -Uri "$($r.Sim.BaseUrl)/_sim/stats/reset" | Out-Null
        }
        Write-Host ("== {0}: {1} assets ({2}), a day of {3} s, {4} nights at {5} a night" -f $Name, $Assets, $classes, $DaySeconds, $nights, $budget)
        $names = @($registers.Keys)
        for ($night = 1; $night -le $nights; $night++) {
            $at = $epoch.AddSeconds($night * $DaySeconds)
            while ([DateTimeOffset]::UtcNow -lt $at) { Start-Sleep -Milliseconds 20 }
            $shift = $night % $names.Count
            $turn = @($names[$shift..($names.Count - 1)]) + @(if ($shift -gt 0) { $names[0..($shift - 1)] })
            $line = "   night {0,2}:" -f $night
            foreach ($order in $turn) {
                # The truth right after the register's own night, so none pays for another's run time.
                $r = $registers[$order]
                $summary = Invoke-Night $r $budget
                $r.Requests += $summary.Requests
                $r.Volatile += $summary.VolatileAnswers
                $truth = Invoke-RestMethod -Uri "$($r.Sim.BaseUrl)/_sim/truth"
                $r.Stale.Add([double]$truth.changedSinceServed)
                $r.High.Add([double]($truth.changedSinceServedByCriticality.High ?? 0))
                $status = Get-CmmsSyncStatus -ConnectionString $r.ConnectionString
                $r.Stamped = $status.LastModifiedStampedOnRead
                $r.Estimate.Add($(if ($null -eq $status.EstimatedOutdatedAssets) { [double]::NaN } else { [double]$status.EstimatedOutdatedAssets }))
                $line += " {0} {1,4} ({2,6:0.0})" -f $order, $truth.changedSinceServed, $status.EstimatedOutdatedAssets
            }
            Write-Host $line
        }
    } finally {
        foreach ($r in $registers.Values) { Stop-SimulatorProcess $r.Sim }
        foreach ($order in $orders) {
            Invoke-PgSql $AdminConnectionString "DROP DATABASE IF EXISTS bench_fresh_$($Name.ToLowerInvariant())_$($order.ToLowerInvariant()) WITH (FORCE)" | Out-Null
        }
    }

    $after = { param($r, [string] $What = 'Stale') Mean ($r.$What | Select-Object -Skip $learned) }
    $first = { param($r) Mean ($r.Stale | Select-Object -First 10) }
    $stalest = $registers['Stalest']; $rate = $registers['ChangeRate']; $oracle = $registers['TrueRate']
    $estimate = Mean ($rate.Estimate | Select-Object -Skip $learned)
    $rows = [Collections.Generic.List[object]]::new()
    $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = "stale after each night, nights $($learned + 1)+: ChangeRate / Stalest"
        Measured = (& $after $rate) / (& $after $stalest); Detail = ('{0:0.0} / {1:0.0} (true rates {2:0.0}: {3:0.00}x)' -f (& $after $rate), (& $after $stalest), (& $after $oracle), ((& $after $oracle) / (& $after $stalest))) })
    $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = 'stale after each night, nights 1-10: ChangeRate / Stalest'
        Measured = (& $first $rate) / (& $first $stalest); Detail = ('{0:0.0} / {1:0.0}' -f (& $first $rate), (& $first $stalest)) })
    $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = "EstimatedOutdatedAssets off the truth, nights $($learned + 1)+ (ChangeRate)"
        Measured = [Math]::Abs($estimate - (& $after $rate)) / (& $after $rate); Detail = ('{0:0.0} estimated, {1:0.0} true' -f $estimate, (& $after $rate)) })
    if ($Name -eq 'Volatile') {
        $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = 'answers found unchanged with volatile fields only (ChangeRate), nights 1+'; Measured = $rate.Volatile; Detail = "of $($rate.Requests) requests" })
    }
    if ($Name -eq 'Stamped') {
        $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = 'status says last_modified is stamped on read'; Measured = [int]$rate.Stamped; Detail = "$($rate.Stamped)" })
    }
    if ($Name -eq 'Criticality') {
        $weighted = $registers['Weighted']
        $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = "stale High assets, nights $($learned + 1)+: weighted / unweighted ChangeRate"
            Measured = (& $after $weighted 'High') / (& $after $rate 'High'); Detail = ('{0:0.0} / {1:0.0}' -f (& $after $weighted 'High'), (& $after $rate 'High')) })
        $rows.Add([pscustomobject]@{ Scenario = $Name; Figure = "stale after each night, nights $($learned + 1)+: weighted ChangeRate / Stalest"
            Measured = (& $after $weighted) / (& $after $stalest); Detail = ('{0:0.0} / {1:0.0}' -f (& $after $weighted), (& $after $stalest)) })
    }
    $perNight = (0..($stalest.Stale.Count - 1) | ForEach-Object { '{0}:{1}/{2}/{3}' -f ($_ + 1), $stalest.Stale[$_], $rate.Stale[$_], $oracle.Stale[$_] }) -join ' '
    [pscustomobject]@{ Rows = $rows; PerNight = "$Name, stale after each night (Stalest/ChangeRate/true rates): $perNight" }
}

$all = foreach ($name in $Scenario) { Invoke-Scenario $name }
$table = @('| scenario | figure | measured | detail |', '|---|---|---|---|') +
    ($all.Rows | ForEach-Object { '| {0} | {1} | {2} | {3} |' -f $_.Scenario, $_.Figure, $(if ($_.Measured -is [int]) { $_.Measured } else { '{0:0.00}' -f $_.Measured }), $_.Detail })
$text = "Freshness in the real world ($Assets assets, classes $classes, a day of $DaySeconds s, $Nights nights at $budget a night, seed $Seed):`n`n" +
    ($table -join "`n") + "`n`n" + ($all.PerNight -join "`n`n")
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
