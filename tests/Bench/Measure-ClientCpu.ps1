<#
.SYNOPSIS
Where the client's CPU goes (issue 38, item 3): the first sync of -Assets new assets -Syncs times in one fresh pwsh, each on
a register of its own (the first is cold, as a nightly job runs it; the later ones show what the runtime's warm-up cost),
and the fetch-only client of Invoke-FootprintBenchmark.ps1 -Passes times in another fresh pwsh, each line with:
CPU of the process per asset or request (/proc/self/stat), managed bytes allocated, thread-pool work items, and the JIT's
compilations and time in the compiler (System.Runtime.JitInfo). -JitByNamespace also lists the first sync's compilations
by namespace (JitListener.cs, the runtime's JIT events). -Manifest measures another build. Starts its own throwaway
PostgreSQL and simulator, both on 127.0.0.1.
.EXAMPLE
dotnet pwsh -c './tests/Bench/Measure-ClientCpu.ps1 -JitByNamespace'
#>
param(
    [ValidateRange(1000, 200000)] [int] $Assets = 20000,
    [ValidateRange(1, 10)] [int] $Syncs = 6,
    [ValidateRange(1, 10)] [int] $Passes = 6,
    [string] $Manifest,
    [switch] $JitByNamespace,
    [ValidateRange(1, 10)] [int] $JitOfSync = 1
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifestPath = if ($Manifest) { (Resolve-Path $Manifest).Path } else { Join-Path $root 'AssetSync.psd1' }
$cpu = Get-CpuSecondsExpression
$c = Start-PostgresCluster -Durable
$sim = Start-SimulatorProcess -Arguments @('--Assets', "$Assets") -Token 'bench-token'
# One line of figures for a block of work over $n items, in the child pwsh: the text of a scriptblock taking ($n, $work).
$measure = @"
param([int] `$n, [scriptblock] `$work)
`$a0 = [GC]::GetTotalAllocatedBytes(`$true); `$w0 = [Threading.ThreadPool]::CompletedWorkItemCount
`$j0 = [Runtime.JitInfo]::GetCompiledMethodCount(`$false); `$jt0 = [Runtime.JitInfo]::GetCompilationTime(`$false); `$c0 = $cpu
`$sw = [Diagnostics.Stopwatch]::StartNew(); `$null = & `$work; `$sw.Stop()
`$cs = $cpu - `$c0
'{0,4:N0} µs, {1,6:N0} B allocated, {2:N2} work items, each; {3:N0}/s; JIT {4:N0} methods in {5:N2} s' -f (1e6 * `$cs / `$n), (([GC]::GetTotalAllocatedBytes(`$true) - `$a0) / `$n), (([Threading.ThreadPool]::CompletedWorkItemCount - `$w0) / `$n), (`$n / `$sw.Elapsed.TotalSeconds), ([Runtime.JitInfo]::GetCompiledMethodCount(`$false) - `$j0), ([Runtime.JitInfo]::GetCompilationTime(`$false) - `$jt0).TotalSeconds
"@
$measureFile = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-measure-' + [guid]::NewGuid().ToString('N') + '.ps1')
Set-Content -Path $measureFile -Value $measure
# The fetch-only client is the footprint benchmark's, so both measure the same client.
$codeFile = Join-Path $PSScriptRoot 'FetchOnly.cs'
try {
    $dbs = 0..$Syncs | ForEach-Object { New-RegisterDatabase $c.ConnectionString "cpu_$_" $Assets $manifestPath }
    $sync = "Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 16 -Force -Summary"
    # The simulator builds each body once: a sync elsewhere first, so no measured one pays for that.
    Invoke-Pwsh -NoProfile -Command "Import-Module '$manifestPath'; `$env:ASSETSYNC_API_TOKEN='bench-token'; $sync -ConnectionString '$($dbs[0])' | Out-Null"
    $listener = if ($JitByNamespace) { "Add-Type -Path '$(Join-Path $PSScriptRoot 'JitListener.cs')'; `$listener = [JitListener]::new()" } else { '' }
    $report = if ($JitByNamespace) { "'sync $JitOfSync''s JIT by namespace (time in the compiler, methods):'; [JitListener]::Report(20)" } else { '' }
    $reset = if ($JitByNamespace) { '[JitListener]::Reset()' } else { '' }
    $list = ($dbs[1..$Syncs] | ForEach-Object { "'$_'" }) -join ', '
    Write-Host "== the cmdlet: $Syncs first syncs of $Assets new assets in one fresh pwsh, per synced asset"
    Invoke-Pwsh -NoProfile -Command @"
$listener
Import-Module '$manifestPath'; `$env:ASSETSYNC_API_TOKEN = 'bench-token'
`$i = 0
foreach (`$db in $list) {
    `$i++
    if (`$i -eq $JitOfSync) { $reset }
    "   sync `${i}: " + (& '$measureFile' $Assets { $sync -ConnectionString `$db })
    if (`$i -eq $JitOfSync) { $report }
}
"@ | ForEach-Object { Write-Host $_ }
    Write-Host "== the fetch-only client: $Passes passes over the same assets in one fresh pwsh, per request"
    Invoke-Pwsh -NoProfile -Command @"
Add-Type -Path '$codeFile'
foreach (`$i in 1..$Passes) { "   pass `${i}: " + (& '$measureFile' $Assets { [FetchOnly]::Run('$($sim.BaseUrl)', $Assets, 16, 0) }) }
"@ | ForEach-Object { Write-Host $_ }
} finally {
    Remove-Item $measureFile -ErrorAction SilentlyContinue
    Stop-SimulatorProcess $sim
    Stop-PostgresCluster $c
}
