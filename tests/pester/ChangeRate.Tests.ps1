# Issue 28 through the built module: -Order, -MaxSyncAge, EstimatedOutdatedAssets in status, the metrics file and the report.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs, $sim = New-SyncTestSetup -Assets 24
    $common = @{
        ConnectionString = $cs; BaseUrl = $sim.BaseUrl
        ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force)
        RetryIntervalSec = 0.01; RequestsPerSecond = 1000; TimeoutSec = 5
    }
    # A register whose history says: 1-4 change about daily (verified a day ago), 5-24 about yearly (verified two days ago,
    # so staler). As runs leave it, without waiting days for it (no recent observations: the model reads the totals).
    function Set-History {
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET
            last_success_at = now() - CASE WHEN serialnumber <= 'INF-000004' THEN interval '1 day' ELSE interval '2 days' END,
            change_count = CASE WHEN serialnumber <= 'INF-000004' THEN 20 ELSE 1 END,
            change_exposure = CASE WHEN serialnumber <= 'INF-000004' THEN 20 ELSE 365 END * 86400.0,
            change_observations = 10, recent_changes = NULL, recent_exposure = NULL" | Out-Null
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Invoke-CmmsSync -Order and -MaxSyncAge' {
    It 'takes ChangeRate by default, and Stalest or ChangeRate by name (tab completion too)' {
        $command = Get-Command Invoke-CmmsSync
        $command.Parameters['Order'].ParameterType.FullName | Should -Be 'AssetSync.SyncOrder'
        $command.Parameters['MaxSyncAge'].ParameterType | Should -Be ([timespan])
        [AssetSync.SyncOrder](Get-SyncOptionDefault 'Order') | Should -Be 'ChangeRate'
        [AssetSync.SyncDefaults]::Order | Should -Be ([AssetSync.SyncOrder]::ChangeRate)
        (TabExpansion2 -inputScript 'Invoke-CmmsSync -Order ' -cursorColumn 'Invoke-CmmsSync -Order '.Length).CompletionMatches.CompletionText | Should -Be @('ChangeRate', 'Stalest')
        @(Get-Command Invoke-CmmsRetryFailed).Parameters.ContainsKey('Order') | Should -BeFalse -Because 'retry-failed is never ordered by it'
    }

    It 'refuses a bad -Order or a -MaxSyncAge of zero before anything is sent' {
        Invoke-RestMethod -Method Post -Uri "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        { Invoke-CmmsSync @common -Order Freshest } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,AssetSync.Commands.InvokeCmmsSyncCommand' -ExpectedMessage '*ChangeRate*Stalest*'
        { Invoke-CmmsSync @common -MaxSyncAge 0 } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand' -ExpectedMessage '*MaxSyncAge*'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'orders as Stalest before anything is observed, then spends the budget on the assets that change' {
        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $status.EstimatedOutdatedAssets | Should -BeNullOrEmpty -Because 'no batch run has fitted a change model yet'
        $first = Invoke-CmmsSync @common -BatchSize 0 -Summary
        $first.Succeeded | Should -Be 24
        Set-History
        # A run of one asset refits the model from the history (as every batch run does when it ends).
        $null = Invoke-CmmsSync @common -SerialNumber 'INF-000024' -Summary
        $null = Invoke-CmmsSync @common -BatchSize 1 -Order Stalest -Summary
        Set-History

        @(Invoke-CmmsSync @common -BatchSize 4 -Order Stalest).SerialNumber | Sort-Object | Should -Be @('INF-000005', 'INF-000006', 'INF-000007', 'INF-000008') -Because 'the round robin takes the stalest'
        Set-History

        $byRate = @(Invoke-CmmsSync @common -BatchSize 4)
        $byRate.SerialNumber | Sort-Object | Should -Be @('INF-000001', 'INF-000002', 'INF-000003', 'INF-000004')
    }

    It 'puts an asset not verified for longer than -MaxSyncAge first, whatever its rate' {
        Set-History
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET last_success_at = now() - interval '40 days', change_count = 0, change_exposure = 1e12 WHERE serialnumber = 'INF-000020'" | Out-Null
        @(Invoke-CmmsSync @common -BatchSize 1).SerialNumber | Should -Be 'INF-000020'
        Set-History
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET last_success_at = now() - interval '40 days', change_count = 0, change_exposure = 1e12 WHERE serialnumber = 'INF-000020'" | Out-Null
        @(Invoke-CmmsSync @common -BatchSize 1 -MaxSyncAge (New-TimeSpan -Days 60)).SerialNumber | Should -Be 'INF-000001'
    }

    It 'takes the order from the settings file' {
        $file = Join-Path $TestDrive 'assetsync.psd1'
        Set-Content -Path $file -Value "@{ Order = 'Stalest'; MaxSyncAge = '10.00:00:00' }"
        $config = Get-CmmsSyncConfiguration -ConfigurationPath $file -ConnectionString $cs
        ($config | Where-Object Name -eq 'Order').Value | Should -Be 'Stalest'
        ($config | Where-Object Name -eq 'MaxSyncAge').Value | Should -Be ([timespan]'10.00:00:00')
        Set-History
        @(Invoke-CmmsSync @common -BatchSize 2 -ConfigurationPath $file).SerialNumber | Sort-Object | Should -Be @('INF-000005', 'INF-000006')
    }
}

Describe 'How much of IC3 is probably out of date' {
    It 'Get-CmmsSyncStatus sums each asset''s probability of a change since its last sync' {
        Set-History
        $null = Invoke-CmmsSync @common -BatchSize 1 -Order Stalest -Summary
        Set-History
        $status = Get-CmmsSyncStatus -ConnectionString $cs
        $status.EstimatedOutdatedAssets | Should -BeOfType [double]
        # Four assets changing about daily, last seen a day ago: each has about a 60% chance of a change; twenty yearly ones
        # seen two days ago add a little.
        $status.EstimatedOutdatedAssets | Should -BeGreaterThan 1.5
        $status.EstimatedOutdatedAssets | Should -BeLessThan 5
        $shown = $status | Format-List | Out-String
        # The view gives the estimate with its 90% interval, and the estimate by criticality.
        $shown | Should -Match 'EstimatedOutdatedAssets\s*:\s*\d+\.\d \(90%: \d+ to \d+; probably changed'
        $shown | Should -Match 'EstimatedOutdatedByCriticality\s*:\s*\S+: \d+\.\d of \d+'
    }

    It 'is a gauge in the metrics file' {
        $prom = Join-Path $TestDrive 'assetsync.prom'
        $null = Invoke-CmmsSync @common -BatchSize 1 -MetricsPath $prom -Summary
        $text = Get-Content -Raw $prom
        $text | Should -Match '(?m)^# TYPE assetsync_estimated_outdated_assets gauge$'
        $text | Should -Match '(?m)^assetsync_estimated_outdated_assets \d+(\.\d+)?(E-?\d+)?$'
    }

    It 'is a card in the report, beside the distribution of estimated change rates' {
        Set-History
        $null = Invoke-CmmsSync @common -BatchSize 1 -Order Stalest -Summary
        Set-History
        $path = Join-Path $TestDrive 'report.html'
        Export-CmmsSyncReport -ConnectionString $cs -Path $path | Out-Null
        $html = Get-Content -Raw $path
        $html | Should -Match 'data-testid="estimated-outdated-assets" data-value="\d+"'
        $html | Should -Match 'data-testid="change-rate-histogram"'
        $svg = [regex]::Match($html, '<svg data-testid="change-rate-histogram".*?</svg>', 'Singleline').Value
        $svg | Should -Match 'data-bucket="hourly to daily" data-count="4"|data-bucket="daily to weekly" data-count="4"'
        [regex]::Matches($svg, 'data-bucket="[^"]+" data-count="(\d+)"') | ForEach-Object { [int]$_.Groups[1].Value } |
            Measure-Object -Sum | Select-Object -ExpandProperty Sum | Should -Be 24
    }
}
