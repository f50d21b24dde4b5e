BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    $cs = New-TestDatabase
    Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
    Add-TestAsset $cs -Count 200
    # Four assets answer; every other request hangs, so the run is mid-flight when Ctrl+C comes.
    $sim = Start-Simulator -Arguments @('--Assets', '200', '--RandomFaults', 'timeout=1', '--HangMs', '60000')
    Set-SimulatorFault $sim @{ scripts = @{
        'INF-000001' = @('ok'); 'INF-000002' = @('ok'); 'INF-000003' = @('ok'); 'INF-000004' = @('ok') } }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Ctrl+C (a real SIGINT to pwsh)' {
    It 'records a cancelled run within a second and keeps what was decided' {
        $pidFile = Join-Path ([IO.Path]::GetTempPath()) ("ctrlc-" + [guid]::NewGuid().ToString('N'))
        $prom = "$pidFile.prom"
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        $env:ASSETSYNC_CONNECTION_STRING = $cs
        try {
            $job = Start-ThreadJob -ScriptBlock {
                param($manifest, $baseUrl, $pidFile, $prom)
                Import-Module (Join-Path $using:PSScriptRoot 'TestHelpers.psm1')
                $command = "`$PID | Set-Content '$pidFile'; Import-Module '$manifest'; Invoke-CmmsSync -BaseUrl '$baseUrl' -BatchSize 0 -TimeoutSec 120 -ThrottleLimit 8 -MetricsPath '$prom' | Out-Null; 'after'"
                # A shell that starts jobs in the background leaves SIGINT ignored, and .NET keeps an ignored SIGINT
                # ignored: give the child the default disposition, as a terminal would, so it sees Ctrl+C.
                $exe = [Environment]::ProcessPath
                [string[]] $pwshArgs = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'pwsh') { @() } else { @((Join-Path $PSHOME 'pwsh.dll')) }
                & env --default-signal=INT $exe @pwshArgs -NoProfile -NonInteractive -Command $command 2>&1
                "exit=$LASTEXITCODE"
            } -ArgumentList $manifest, $sim.BaseUrl, $pidFile, $prom
            # Mid-run: the row says running, four assets are written, and requests hang at the simulator (no fixed sleep).
            Wait-Until -TimeoutSec 30 -Because 'the run to be mid-flight' -Condition {
                (Invoke-TestSql $cs "SELECT count(*) FROM cmms_sync_log WHERE status = 'running'") -ne '0' -and
                    [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log') -ge 4 -and (Get-SimulatorStats $sim).inFlight -ge 1
            }
            $target = [int](Get-Content $pidFile)

            $sw = [Diagnostics.Stopwatch]::StartNew()
            & kill -s INT $target
            while ((Invoke-TestSql $cs 'SELECT status FROM cmms_sync_log ORDER BY id DESC LIMIT 1') -eq 'running' -and $sw.Elapsed.TotalSeconds -lt 10) {
                Start-Sleep -Milliseconds 20
            }
            $sw.Stop()
            $output = $job | Wait-Job -Timeout 20 | Receive-Job

            # On failure, say what the child printed and what the run rows hold: a flake must leave a trail.
            $trail = "child: $($output -join ' | '); runs: $(Invoke-TestSql $cs 'SELECT id, status, assets_synced, failed FROM cmms_sync_log ORDER BY id')"
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 1 -Because $trail
            Invoke-TestSql $cs 'SELECT status FROM cmms_sync_log ORDER BY id DESC LIMIT 1' | Should -Be 'cancelled'
            Invoke-TestSql $cs 'SELECT assets_synced FROM cmms_sync_log ORDER BY id DESC LIMIT 1' | Should -Be '4'
            Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log' | Should -Be '4'
            ($output -join "`n") | Should -Not -Match 'after'
            # The metrics file is written on this path too, saying cancelled.
            $metrics = Get-Content -Raw $prom
            $metrics | Should -Match '(?m)^assetsync_last_run_status\{status="cancelled"\} 1$'
            $metrics | Should -Match '(?m)^assetsync_run_assets\{outcome="succeeded"\} 4$'
        } finally {
            Remove-Item $prom -ErrorAction SilentlyContinue
            Remove-Item Env:ASSETSYNC_API_TOKEN, Env:ASSETSYNC_CONNECTION_STRING -ErrorAction SilentlyContinue
            Remove-Item $pidFile -ErrorAction SilentlyContinue
            Get-Job | Remove-Job -Force -ErrorAction SilentlyContinue
        }
    }
}
