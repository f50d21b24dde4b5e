BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    $cs, $sim = New-SyncTestSetup -Assets 300 -SimulatorArguments @('--LatencyMs', '20')
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'A sync killed with SIGKILL' {
    It 'leaves no half-written asset, is reported interrupted, and the next run carries on' {
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        $env:ASSETSYNC_CONNECTION_STRING = $cs
        try {
            $exe = [Environment]::ProcessPath
            $childArgs = @()
            if ([IO.Path]::GetFileNameWithoutExtension($exe) -ne 'pwsh') { $childArgs += (Join-Path $PSHOME 'pwsh.dll') }
            $childArgs += @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$manifest'; Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond 60 | Out-Null")
            $child = Start-Process -FilePath $exe -ArgumentList $childArgs -PassThru
            Wait-Until -TimeoutSec 30 -Because '40 assets written' -Condition { [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log') -ge 40 }
            & kill -s KILL $child.Id
            $child.WaitForExit(10000) | Out-Null
        } finally {
            Remove-Item Env:ASSETSYNC_API_TOKEN, Env:ASSETSYNC_CONNECTION_STRING -ErrorAction SilentlyContinue
        }

        $decided = [int](Invoke-TestSql $cs 'SELECT count(*) FROM ic3_sync_log')
        $decided | Should -BeGreaterOrEqual 40
        $decided | Should -BeLessThan 300
        # Enriched exactly when logged as success; schedules complete for every enriched asset.
        Invoke-TestSql $cs @"
SELECT count(*) FROM ic3_asset_master m
WHERE (m.cmms_payload IS NOT NULL) <> EXISTS (SELECT 1 FROM ic3_sync_log l WHERE l.serialnumber = m.cmms_asset_id AND l.status = 'success')
   OR (m.cmms_payload IS NOT NULL AND jsonb_array_length(COALESCE(m.cmms_payload->'pm_schedules', '[]'::jsonb))
       <> (SELECT count(*) FROM ic3_asset_pm_schedule p WHERE p.cmms_asset_id = m.cmms_asset_id))
"@ | Should -Be '0'
        Invoke-TestSql $cs 'SELECT status FROM cmms_sync_log ORDER BY id LIMIT 1' | Should -Be 'running'

        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $status.LastRuns[0].Status | Should -Be 'interrupted'
        $status.SyncedAssets | Should -Be $decided

        $next = Invoke-CmmsSync -ConnectionString $cs -BaseUrl $sim.BaseUrl -ApiToken (ConvertTo-SecureString $sim.Token -AsPlainText -Force) -BatchSize 0 -RequestsPerSecond 1000 -Summary
        $next.Status | Should -Be 'complete'
        $next.Succeeded | Should -Be 300
        Invoke-TestSql $cs 'SELECT status FROM cmms_sync_log ORDER BY id LIMIT 1' | Should -Be 'interrupted'
        (Get-CmmsSyncStatus -ConnectionString $cs).SyncedAssets | Should -Be 300
    }
}
