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
    $warm = New-RegisterDatabase $c.ConnectionString 'warm' 20000 $manifest
    $prof = New-RegisterDatabase $c.ConnectionString 'prof' 20000 $manifest
    # The simulator builds each body once: a first sync elsewhere warms it, as the benchmark's M passes do.
    Invoke-Pwsh -NoProfile -Command "Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'; Invoke-CmmsSync -ConnectionString '$warm' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Summary | Select-Object Succeeded" 
    $cmd = "Import-Module '$manifest'; `$env:ASSETSYNC_API_TOKEN='bench-token'; Invoke-CmmsSync -ConnectionString '$prof' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Force -Summary | Select-Object Succeeded, Duration"
    & dotnet dotnet-trace collect --profile dotnet-sampled-thread-time -o (Join-Path $root 'out/firstsync.nettrace') -- ([Environment]::ProcessPath) (Join-Path $PSHOME 'pwsh.dll') -NoProfile -Command $cmd   # pwsh as the .NET tool runs it (Invoke-Pwsh)
} finally {
    Stop-SimulatorProcess $sim
    Stop-PostgresCluster $c
}
