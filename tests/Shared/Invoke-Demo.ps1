# The demo behind './build.ps1 -Task Demo': AssetSync against the Innomaint simulator and a
# throwaway PostgreSQL, from schema to retry-failed. Everything started here is stopped at the
# end, on Ctrl+C too, unless -KeepRunning.
param(
    [string] $Configuration = 'Release',
    [switch] $KeepRunning,
    [string] $ConnectionString
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $PSScriptRoot 'TestServices.psm1') -Force

function Show-DemoCommand {
    <#
    Prints the command as it runs, then each setting that differs from the engine's default, with the default and
    why the demo changes it: an operator copying the line must know which parts belong only to the demo.
    #>
    param([string] $Command, [hashtable] $Fixed, [hashtable] $Fast, [System.Collections.Specialized.OrderedDictionary] $Why)
    $all = @($Fixed.GetEnumerator()) + @($Fast.GetEnumerator() | Sort-Object Key) | ForEach-Object { if ($_.Value -is [bool]) { "-$($_.Key)" } else { "-$($_.Key) $($_.Value)" } }
    Write-Host "   PS> $Command $($all -join ' ')" -ForegroundColor Yellow
    if ($Why.Count -eq 0) { Write-Host '   (the same faster settings as above)'; return }
    Write-Host '   Faster than the defaults, so the demo ends in about a minute; against a real Innomaint leave these out:'
    foreach ($name in $Why.Keys) {
        Write-Host ("     -{0} {1} (default {2}): {3}" -f $name, $Fast[$name], (Get-SyncOptionDefault $DefaultName[$name]), $Why[$name])
    }
}
# Which SyncOptions default each demo setting overrides.
$DefaultName = @{ RequestsPerSecond = 'RequestsPerSecond'; ThrottleLimit = 'ThrottleLimit'; RetryIntervalSec = 'RetryIntervalSeconds'
    TimeoutSec = 'TimeoutSeconds' }

$cluster = $null
$sim = $null
$started = Get-Date
try {
    Write-Host "`n== 1. A throwaway PostgreSQL and the Innomaint simulator (500 assets, 10% faulty, a few missing)" -ForegroundColor Cyan
    $admin = $ConnectionString
    if (-not $admin) {
        $cluster = Start-PostgresCluster
        $admin = $cluster.ConnectionString
    }
    # A database of the demo's own, so it never touches anyone's data.
    $dbName = 'assetsync_demo_' + (Get-Date -Format 'yyyyMMddHHmmss')
    Invoke-PgSql $admin "CREATE DATABASE $dbName" | Out-Null
    $cs = Set-ConnectionDatabase $admin $dbName

    $token = 'demo-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $sim = Start-SimulatorProcess -Token $token -Configuration $Configuration -Arguments @('--Assets', '500', '--Seed', '42',
        '--FaultyRate', '0.1', '--FaultyKinds', '500,502,503,504,429,timeout,reset,truncated', '--NotFoundRate', '0.01', '--HangMs', '5000', '--Validators', 'both', '--ChangeRate', '0.1')
    $baseUrl = $sim.BaseUrl
    Write-Host "   PostgreSQL database $dbName; simulator at $baseUrl"

    Import-Module (Join-Path $root 'AssetSync.psd1') -Force
    $env:ASSETSYNC_CONNECTION_STRING = $cs
    $env:ASSETSYNC_BASE_URL = $baseUrl
    $env:ASSETSYNC_API_TOKEN = $token

    Write-Host "`n== 2. Initialize-CmmsSyncSchema, then fill ic3_asset_master as IC3 would" -ForegroundColor Cyan
    Initialize-CmmsSyncSchema -Confirm:$false -PassThru | ForEach-Object { "   applied schema migration $_" } | Write-Host
    Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, 500) i" | Out-Null
    Write-Host '   500 assets registered.'

    Write-Host "`n== 3. Invoke-CmmsSync -BatchSize 0" -ForegroundColor Cyan
    # The breaker keeps its default: one asset in ten fails on purpose here, and assets' failures are not the service's.
    $sync = @{ RequestsPerSecond = 100; ThrottleLimit = 8; RetryIntervalSec = 0.25; TimeoutSec = 2 }
    $why = [ordered]@{
        RequestsPerSecond       = 'the simulator runs on this machine and has no quota; a real Innomaint states its own.'
        ThrottleLimit           = 'more requests in flight to keep 100/s busy.'
        RetryIntervalSec        = 'backoff of 0.25, 0.5 and 1 s instead of 1, 2 and 4 s, so the retries are seen without the wait.'
        TimeoutSec              = 'the simulator''s hanging assets hang for 5 s; a 2 s limit fails them quickly.'
    }
    Show-DemoCommand 'Invoke-CmmsSync' @{ BatchSize = 0 } $sync $why
    $results = Invoke-CmmsSync -BatchSize 0 @sync
    $failed = @($results | Where-Object Status -eq Failed)
    $shown = [math]::Min(15, $failed.Count)
    Write-Host "   $($results.Count) assets: $(@($results | Where-Object Status -eq Succeeded).Count) succeeded, $($failed.Count) failed. The first $shown failures$(if ($failed.Count -gt $shown) { " ($($failed.Count - $shown) more not shown: Get-CmmsSyncFailure lists them all)" }):"
    $failed | Sort-Object ErrorKind, SerialNumber | Select-Object -First $shown | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
    Write-Host '   Failed assets by error kind:'
    $failed | Group-Object ErrorKind | Sort-Object Name | Format-Table @{ Label = 'ErrorKind'; Expression = 'Name' }, @{ Label = 'Assets'; Expression = 'Count' } -AutoSize | Out-String -Width 160 | Write-Host

    Write-Host "== 4. Innomaint heals; Invoke-CmmsRetryFailed -Summary" -ForegroundColor Cyan
    Invoke-RestMethod -Method Post "$baseUrl/_sim/heal" | Out-Null
    Show-DemoCommand 'Invoke-CmmsRetryFailed' @{ Summary = $true } $sync ([ordered]@{})
    $retry = Invoke-CmmsRetryFailed -Summary @sync
    $retry | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
    $missing = @(1..500 | ForEach-Object { 'INF-{0:000000}' -f $_ } | Where-Object { -not (Invoke-RestMethod "$baseUrl/_sim/asset?serial=$_").exists }).Count
    $deferred = @(Get-CmmsSyncFailure -Deferred).Count
    Write-Host "   Failed after retry: $($retry.Failed); deferred, not retried: $deferred; assets Innomaint does not have (404): $missing"

    Write-Host "`n== 5. A night passes: Innomaint changes one asset in ten. Invoke-CmmsSync -BatchSize 0 -Summary again" -ForegroundColor Cyan
    Invoke-RestMethod -Method Post "$baseUrl/_sim/generation" | Out-Null
    Invoke-RestMethod -Method Post "$baseUrl/_sim/stats/reset" | Out-Null
    Show-DemoCommand 'Invoke-CmmsSync' @{ BatchSize = 0; Summary = $true } $sync ([ordered]@{})
    $night = Invoke-CmmsSync -BatchSize 0 -Summary @sync
    $night | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
    $bytes = (Invoke-RestMethod "$baseUrl/_sim/stats").bodyBytes
    Write-Host ("   Second run: {0} of {1} succeeded assets unchanged (Innomaint answered 304, or the same body): nothing of them rewritten; {2:N0} body bytes read." -f $night.Unchanged, $night.Succeeded, $bytes)
    Write-Host '   Deferred (404) assets were skipped: Innomaint does not have them; they are tried again in 1, 2, 4 ... days.'

    Write-Host "`n== 6. Get-CmmsSyncStatus and Get-CmmsSyncFailure" -ForegroundColor Cyan
    Get-CmmsSyncStatus | Out-String -Width 160 | Write-Host
    Get-CmmsSyncFailure | Format-Table -AutoSize | Out-String -Width 160 | Write-Host
    Write-Host ("Demo finished in {0:0} s." -f ((Get-Date) - $started).TotalSeconds)
    if ($retry.Failed -ne 0 -or $deferred -ne $missing) { throw "Expected the retry to heal all but the $missing missing assets, which are deferred; $($retry.Failed) failed and $deferred are deferred." }

    if ($KeepRunning) {
        Write-Host "`nPostgreSQL and the simulator keep running. Paste these lines into pwsh to play:" -ForegroundColor Yellow
        Write-Host "`$env:ASSETSYNC_CONNECTION_STRING = '$cs'"
        Write-Host "`$env:ASSETSYNC_BASE_URL = '$baseUrl'"
        Write-Host "`$env:ASSETSYNC_API_TOKEN = '$token'"
        Write-Host "Import-Module '$root/AssetSync.psd1'"
        if ($cluster) { Write-Host "# stop later: pg_ctl -D '$($cluster.DataDir)' stop (as user postgres); kill $($sim.Process.Id)" }
    }
} finally {
    if (-not $KeepRunning) {
        Stop-SimulatorProcess $sim
        if ($cluster) { Stop-PostgresCluster $cluster }
        elseif ($ConnectionString -and $dbName) { try { Invoke-PgSql $admin "DROP DATABASE IF EXISTS $dbName WITH (FORCE)" | Out-Null } catch { Write-Warning "Could not drop ${dbName}: $_" } }
    }
}
