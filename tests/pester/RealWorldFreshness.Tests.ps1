# Issue 35 through the built module: a change is a change of what IC3 stores (volatile fields), last_modified stamped on
# read, a last_modified without an offset on a host in another zone, -CriticalityWeight from the command line and the
# settings file, and the estimate's interval and criticality groups in status, the metrics file and the report.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    Import-Module $manifest -Force
    $cs, $sim = New-SyncTestSetup -Assets 20
    $token = ConvertTo-SecureString $sim.Token -AsPlainText -Force
    $fast = @{ RetryIntervalSec = 0.01; RequestsPerSecond = 500; ConnectionString = $cs; ApiToken = $token; BaseUrl = $sim.BaseUrl }
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-fresh-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $folder | Out-Null

    function Reset-Register {
        Invoke-TestSql $cs 'TRUNCATE ic3_sync_log, cmms_asset_sync_state, ic3_asset_pm_schedule; DELETE FROM cmms_sync_log; DELETE FROM cmms_change_model;
            UPDATE ic3_asset_master SET cmms_synced_at = NULL, cmms_last_modified = NULL' | Out-Null
        Set-SimulatorConfig $sim @{ VolatileFields = $false; StampLastModified = $false; LastModifiedWithoutOffset = $false; ChangeRate = 0 }
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
    }
    function Get-Written {
        # What a rewrite would move: each register row's and schedule's synced_at.
        Invoke-TestSql $cs "SELECT (SELECT string_agg(cmms_asset_id || '=' || cmms_synced_at::text, ',' ORDER BY cmms_asset_id) FROM ic3_asset_master) || '|' ||
            (SELECT string_agg(cmms_asset_id || schedule_id || '=' || synced_at::text, ',' ORDER BY cmms_asset_id, schedule_id) FROM ic3_asset_pm_schedule)"
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue
}

Describe 'Bodies with volatile fields' {
    BeforeAll { Reset-Register }

    It 'finds an asset unchanged when only fields IC3 does not store differ, rewrites nothing and counts it' {
        Set-SimulatorConfig $sim @{ VolatileFields = $true }
        $first = Invoke-CmmsSync @fast -BatchSize 0 -Summary
        $first.Succeeded | Should -Be 20
        $first.Unchanged | Should -Be 0
        $before = Get-Written
        $metrics = Join-Path $folder 'volatile.prom'
        $second = Invoke-CmmsSync @fast -BatchSize 0 -Summary -MetricsPath $metrics -Verbose 4>&1
        $summary = $second | Where-Object { $_ -is [AssetSync.SyncRunSummary] }
        $summary.Unchanged | Should -Be 20
        $summary.VolatileAnswers | Should -Be 20
        (Get-Written) | Should -Be $before -Because 'no master row or schedule is rewritten for a volatile field'
        ($second | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '20 answer\(s\) differed from the stored body only' }) | Should -Not -BeNullOrEmpty
        (Get-Content -Raw $metrics) | Should -Match '(?m)^assetsync_run_volatile_answers 20$'
        (Get-CmmsSyncStatus -ConnectionString $cs -Last 1).LastRuns[0].VolatileAnswers | Should -Be 20
        (Invoke-TestSql $cs 'SELECT volatile_answers FROM cmms_sync_log ORDER BY id DESC LIMIT 1') | Should -Be 20
    }

    It 'still rewrites an asset whose mapped fields changed, and only those' {
        # A generation moves every asset's last_modified, room and status: each asset whose stored fields moved is rewritten.
        Set-SimulatorConfig $sim @{ VolatileFields = $true; ChangeRate = 1 }
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/generation" | Out-Null
        $statusBefore = Invoke-TestSql $cs "SELECT cmms_asset_id || '=' || cmms_status || '@' || location_room FROM ic3_asset_master ORDER BY 1"
        $run = Invoke-CmmsSync @fast -BatchSize 0 -Summary
        $statusAfter = Invoke-TestSql $cs "SELECT cmms_asset_id || '=' || cmms_status || '@' || location_room FROM ic3_asset_master ORDER BY 1"
        $moved = @(Compare-Object @($statusBefore) @($statusAfter) | Where-Object SideIndicator -eq '=>').Count
        $moved | Should -BeGreaterThan 0
        ($run.Succeeded - $run.Unchanged) | Should -Be $moved
        $run.VolatileAnswers | Should -Be $run.Unchanged
        (Invoke-TestSql $cs "SELECT count(*) FROM ic3_asset_master WHERE cmms_synced_at > now() - interval '1 minute' AND cmms_synced_at >= (SELECT started_at FROM cmms_sync_log ORDER BY id DESC LIMIT 1)") | Should -Be $moved
    }
}

Describe 'last_modified stamped on every read' {
    BeforeEach { Reset-Register }

    It 'is said once as a warning and in status, and learns nothing from it' {
        Set-SimulatorConfig $sim @{ StampLastModified = $true }
        $run = Invoke-CmmsSync @fast -BatchSize 0 -Summary -WarningVariable warned -WarningAction SilentlyContinue
        $run.Succeeded | Should -Be 20
        $run.StampedAnswers | Should -Be 20
        @($warned | Where-Object { "$_" -match 'stamped last_modified on every read' }).Count | Should -Be 1
        (Get-CmmsSyncStatus -ConnectionString $cs).LastModifiedStampedOnRead | Should -BeTrue
        (Invoke-TestSql $cs 'SELECT count(*) FROM cmms_asset_sync_state WHERE change_observations > 0') | Should -Be 0 -Because 'a served-at time is not a change'
    }

    It 'is not said of a server whose last_modified is its own' {
        $run = Invoke-CmmsSync @fast -BatchSize 0 -Summary -WarningVariable warned -WarningAction SilentlyContinue
        $run.StampedAnswers | Should -Be 0
        @($warned | Where-Object { "$_" -match 'stamped' }).Count | Should -Be 0
        (Get-CmmsSyncStatus -ConnectionString $cs).LastModifiedStampedOnRead | Should -BeFalse
        (Invoke-TestSql $cs 'SELECT count(*) FROM cmms_asset_sync_state WHERE change_observations > 0') | Should -Be 20
    }
}

Describe 'A last_modified without an offset' {
    BeforeAll { Reset-Register }

    It 'is stored as UTC by a job on a host in another zone' -Skip:$IsWindows {
        Set-SimulatorConfig $sim @{ LastModifiedWithoutOffset = $true }
        $served = (Invoke-RestMethod "$($sim.BaseUrl)/_sim/asset?serial=INF-000003").body.last_modified
        $script = "Import-Module '$manifest'; `$t = ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force; " +
            "(Invoke-CmmsSync -SerialNumber INF-000003 -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -ApiToken `$t -Summary).Succeeded; [TimeZoneInfo]::Local.BaseUtcOffset.TotalHours"
        $saved = $env:TZ
        try {
            $env:TZ = 'Pacific/Auckland'
            $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script
        } finally { $env:TZ = $saved }
        $out[0] | Should -Be '1'
        [double]$out[1] | Should -Be 12 -Because 'the child ran in New Zealand time'
        $stored = Invoke-TestSql $cs "SELECT to_char(cmms_last_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD""T""HH24:MI:SS') FROM ic3_asset_master WHERE cmms_asset_id = 'INF-000003'"
        $served | Should -Not -Match 'Z$|[+-]\d\d:\d\d$'
        $stored | Should -Be ([datetime]::Parse($served, [cultureinfo]::InvariantCulture).ToString('yyyy-MM-ddTHH:mm:ss'))
    }
}

Describe '-CriticalityWeight' {
    BeforeAll { Reset-Register }

    It 'refuses <Case> before anything is sent' -ForEach @(
        @{ Case = 'a weight of 0'; Value = @{ High = 0 }; Message = '*more than 0 and at most 1000*' }
        @{ Case = 'a negative weight'; Value = @{ High = -2 }; Message = '*more than 0 and at most 1000*' }
        @{ Case = 'a weight past 1000'; Value = @{ High = 1e6 }; Message = '*more than 0 and at most 1000*' }
        @{ Case = 'a weight that is not a number'; Value = @{ High = 'lots' }; Message = '*not a number*' }
        @{ Case = 'a string, not a hashtable'; Value = 'High=5'; Message = '*takes a hashtable*' }
        @{ Case = 'a blank criticality'; Value = @{ ' ' = 2 }; Message = '*blank criticality*' }
    ) {
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        { Invoke-CmmsSync @fast -BatchSize 0 -CriticalityWeight $Value } | Should -Throw -ExpectedMessage $Message
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'is taken from the settings file, shown by Get-CmmsSyncConfiguration, and refused there out of range' {
        $good = Join-Path $folder 'weights.psd1'
        Set-Content -Path $good -Value "@{ CriticalityWeight = @{ High = 5; Medium = 2 } }"
        if (-not $IsWindows) { & chmod 600 $good }
        $shown = Get-CmmsSyncConfiguration -ConfigurationPath $good | Where-Object Name -eq 'CriticalityWeight'
        $shown.Source | Should -Be 'File'
        $run = Invoke-CmmsSync @fast -BatchSize 0 -ConfigurationPath $good -Summary -Verbose 4>&1
        ($run | Where-Object { $_ -is [AssetSync.SyncRunSummary] }).Succeeded | Should -Be 20
        ($run | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'weighted (High=5 Medium=2|Medium=2 High=5)' }) | Should -Not -BeNullOrEmpty

        $bad = Join-Path $folder 'bad-weights.psd1'
        Set-Content -Path $bad -Value "@{ CriticalityWeight = @{ High = -1 } }"
        if (-not $IsWindows) { & chmod 600 $bad }
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        { Invoke-CmmsSync @fast -BatchSize 0 -ConfigurationPath $bad } | Should -Throw -ExpectedMessage '*CriticalityWeight*more than 0*'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }
}

Describe 'The estimate in status, the metrics file and the report' {
    BeforeAll {
        Reset-Register
        $null = Invoke-CmmsSync @fast -BatchSize 0 -Summary
        Invoke-TestSql $cs "UPDATE cmms_asset_sync_state SET last_success_at = last_success_at - interval '20 days'" | Out-Null
        $metrics = Join-Path $folder 'estimate.prom'
        $null = Invoke-CmmsSync @fast -BatchSize 10 -Summary -MetricsPath $metrics
        $status = Get-CmmsSyncStatus -ConnectionString $cs
    }

    It 'gives EstimatedOutdatedAssets inside its 90% interval, and by criticality adding up to it' {
        $status.EstimatedOutdatedAssets | Should -BeGreaterThan 0
        $status.EstimatedOutdatedAssetsLow | Should -BeLessOrEqual $status.EstimatedOutdatedAssets
        $status.EstimatedOutdatedAssetsHigh | Should -BeGreaterOrEqual $status.EstimatedOutdatedAssets
        $status.EstimatedOutdatedAssetsHigh | Should -BeLessOrEqual 20
        $groups = $status.EstimatedOutdatedByCriticality
        $register = Invoke-TestSql $cs "SELECT string_agg(DISTINCT criticality, ',' ORDER BY criticality) FROM ic3_asset_master"
        ($groups.Criticality | Sort-Object) -join ',' | Should -Be $register
        ($groups | Measure-Object Expected -Sum).Sum | Should -BeGreaterThan ($status.EstimatedOutdatedAssets - 0.001)
        ($groups | Measure-Object Expected -Sum).Sum | Should -BeLessThan ($status.EstimatedOutdatedAssets + 0.001)
        ($groups | Measure-Object SyncedAssets -Sum).Sum | Should -Be 20
    }

    It 'writes the interval and the groups to the metrics file' {
        $text = Get-Content -Raw $metrics
        $text | Should -Match '(?m)^assetsync_estimated_outdated_assets_interval\{bound="low"\} '
        $text | Should -Match '(?m)^assetsync_estimated_outdated_assets_by_criticality\{criticality="High"\} '
    }

    It 'draws the estimate over the batch runs beside the runs chart, and a table by criticality' {
        $path = Join-Path $folder 'report.html'
        Export-CmmsSyncReport -ConnectionString $cs -Path $path | Out-Null
        $html = Get-Content -Raw $path
        $html | Should -Match 'data-testid="outdated-chart"'
        # One point per batch run that refitted the model: the two runs above.
        $all = [regex]::Match($html, 'data-series="all" data-values="([^"]*)"').Groups[1].Value
        @($all -split ' ').Count | Should -Be 2
        $html | Should -Match 'data-testid="outdated-by-criticality"'
        $html | Should -Match 'data-series="High"'
        $html | Should -Match '90 % between'
    }
}
