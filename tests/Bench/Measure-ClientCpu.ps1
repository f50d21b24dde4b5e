<#
.SYNOPSIS
The client's CPU per asset (issue 38): the first sync of 20,000 new assets, cold (a fresh pwsh, as a nightly job runs)
and warm (the same process again, on a second register), from /proc/self/stat; then both again with
DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0. Starts its own throwaway PostgreSQL and simulator.
#>
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Set-Location $root
Import-Module ./tests/Shared/TestServices.psm1
$c = Start-PostgresCluster -Durable
$manifest = Join-Path $root 'AssetSync.psd1'
$sim = Start-SimulatorProcess -Arguments @('--Assets', '20000') -Token 'bench-token'
$cpu = Get-CpuSecondsExpression
try {
    $a, $b, $cc, $d = 'a', 'b', 'c', 'd' | ForEach-Object { New-RegisterDatabase $c.ConnectionString $_ 20000 $manifest }
    $sync = "Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Force -Summary"
    Invoke-Pwsh -NoProfile -Command "Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'; $sync -ConnectionString '$a' | Out-Null"
    foreach ($spin in '', '0') {
      if ($spin -ne '') { $env:DOTNET_ThreadPool_UnfairSemaphoreSpinLimit = $spin } else { Remove-Item Env:DOTNET_ThreadPool_UnfairSemaphoreSpinLimit -ErrorAction SilentlyContinue }
      $db1 = if ($spin -eq '') { $b } else { $d }
      Invoke-PgSql $db1 "TRUNCATE cmms_asset_sync_state, ic3_sync_log, cmms_sync_log, ic3_asset_pm_schedule" | Out-Null
      Invoke-PgSql $cc "TRUNCATE cmms_asset_sync_state, ic3_sync_log, cmms_sync_log, ic3_asset_pm_schedule" | Out-Null
      Invoke-Pwsh -NoProfile -Command @"
Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'
`$c0 = $cpu; `$s = $sync -ConnectionString '$db1'; `$first = $cpu - `$c0
`$c0 = $cpu; `$s2 = $sync -ConnectionString '$cc'; `$second = $cpu - `$c0
'spin={4}: cold run {0:N0} us/asset ({1} assets); warm run in the same process {2:N0} us/asset ({3} assets)' -f (1e6 * `$first / `$s.Succeeded), `$s.Succeeded, (1e6 * `$second / `$s2.Succeeded), `$s2.Succeeded, '$spin'
"@
    }
} finally {
    Stop-SimulatorProcess $sim
    Stop-PostgresCluster $c
}
