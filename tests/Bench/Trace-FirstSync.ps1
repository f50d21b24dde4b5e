<#
.SYNOPSIS
A sampled CPU profile of the first sync of 20,000 new assets (issue 38): the cmdlet in a fresh pwsh under dotnet-trace
(from the tool manifest), written to out/firstsync.nettrace. Then: dotnet dotnet-trace convert out/firstsync.nettrace
--format Speedscope, and python3 tests/Bench/cpu-profile.py out/firstsync.speedscope.json.
#>
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Set-Location $root
Import-Module ./tests/Shared/TestServices.psm1
$c = Start-PostgresCluster -Durable
$manifest = Join-Path $root 'AssetSync.psd1'
$sim = Start-SimulatorProcess -Arguments @('--Assets', '20000') -Token 'bench-token'
try {
    foreach ($name in 'warm', 'prof') {
        Invoke-PgSql $c.ConnectionString "CREATE DATABASE $name" | Out-Null
        $cs = Set-ConnectionDatabase $c.ConnectionString $name
        Invoke-Pwsh -NoProfile -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
        Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 7, '0'), i FROM generate_series(1, 20000) i; ANALYZE" | Out-Null
    }
    $warm = Set-ConnectionDatabase $c.ConnectionString 'warm'
    $prof = Set-ConnectionDatabase $c.ConnectionString 'prof'
    # The simulator builds each body once: a first sync elsewhere warms it, as the benchmark's M passes do.
    Invoke-Pwsh -NoProfile -Command "Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'; Invoke-CmmsSync -ConnectionString '$warm' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary | Select-Object Succeeded" 
    # The traced process is pwsh itself (its dll under the dotnet host that runs this script).
    $dll = Get-Item (Join-Path $PSHOME 'pwsh.dll')
    $cmd = "Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'; Invoke-CmmsSync -ConnectionString '$prof' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Force -Summary | Select-Object Succeeded, Duration"
    & dotnet dotnet-trace collect --profile dotnet-sampled-thread-time -o (Join-Path $root 'out/firstsync.nettrace') -- ([System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName) $dll.FullName -NoProfile -Command $cmd
} finally {
    Stop-SimulatorProcess $sim
    Stop-PostgresCluster $c
}
