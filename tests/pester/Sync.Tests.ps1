BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs = New-TestDatabase
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
    Add-TestAsset $cs -Count 40
    # 404 for every 10th asset; the rest answer at once.
    $sim = Start-Simulator -Arguments @('--Assets', '40')
    Set-SimulatorFault $sim @{ repeatLast = $true; scripts = @{ 'INF-000010' = @('404'); 'INF-000020' = @('404') } }
    $common = @{
        ConnectionString = $cs; BaseUrl = $sim.BaseUrl
        ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force)
        RetryIntervalSec = 0.01; RequestsPerSecond = 1000; TimeoutSec = 5
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Invoke-CmmsSync' {
    It '-WhatIf lists assets, calls no API and writes nothing' {
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        $info = Invoke-CmmsSync @common -BatchSize 5 -WhatIf 6>&1 | Out-String
        (Get-SimulatorStats $sim).requests | Should -Be 0
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be '0'
    }

    It 'streams one typed result per asset' {
        $results = @(Invoke-CmmsSync @common -BatchSize 0)
        $results.Count | Should -Be 40
        $results[0] | Should -BeOfType ([AssetSync.AssetSyncResult])
        $results[0].PSObject.Properties.Name | Should -Contain 'Duration'
        foreach ($p in 'SerialNumber', 'Status', 'Attempts', 'HttpStatus', 'ErrorKind', 'Error', 'Duration', 'RunId') {
            $results[0].PSObject.Properties.Name | Should -Contain $p
        }
        @($results | Where-Object Status -eq Failed).SerialNumber | Sort-Object | Should -Be @('INF-000010', 'INF-000020')
        @($results | Where-Object ErrorKind -eq 'not_found').Count | Should -Be 2
    }

    It '-Summary emits only the run summary' {
        # The 404s are deferred after the first run: -IncludeDeferred takes INF-000010 anyway.
        $summary = @(Invoke-CmmsSync @common -BatchSize 10 -Offset 5 -IncludeDeferred -Summary)
        $summary.Count | Should -Be 1
        $summary[0] | Should -BeOfType ([AssetSync.SyncRunSummary])
        $summary[0].Total | Should -Be 10
        $summary[0].Failed | Should -Be 1
        $summary[0].Status | Should -Be 'complete'
        $summary[0].Mode | Should -Be 'batch'
    }

    It 'binds serial numbers from the pipeline by value and by property name' {
        $byValue = @('INF-000001', 'INF-000002' | Invoke-CmmsSync @common)
        ($byValue.SerialNumber | Sort-Object) | Should -Be @('INF-000001', 'INF-000002')
        $byProperty = @(Get-CmmsSyncFailure -ConnectionString $cs | Invoke-CmmsSync @common)
        ($byProperty.SerialNumber | Sort-Object) | Should -Be @('INF-000010', 'INF-000020')
    }

    It 'Invoke-CmmsRetryFailed re-runs exactly the failed assets, the deferred ones only when asked' {
        (Invoke-CmmsRetryFailed @common -Summary).Total | Should -Be 0 -Because 'both failures are 404s, deferred for days'
        $r = Invoke-CmmsRetryFailed @common -IncludeDeferred -Summary
        $r.Mode | Should -Be 'retry_failed'
        $r.Total | Should -Be 2
        $r.Failed | Should -Be 2
    }

    It 'reports progress records while it runs' {
        $ps = [PowerShell]::Create()
        $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '../../AssetSync.psd1')).AddStatement()
        $null = $ps.AddCommand('Invoke-CmmsSync').AddParameters($common).AddParameter('BatchSize', 0).AddParameter('IncludeDeferred').AddParameter('Summary')
        $null = $ps.Invoke()
        $ps.HadErrors | Should -BeFalse
        $ps.Streams.Progress.Count | Should -BeGreaterThan 0
        $ps.Streams.Progress[-1].RecordType | Should -Be 'Completed'
        $ps.Streams.Progress[0].StatusDescription | Should -Match '\d+ of 40 done, \d+ failed'
        $ps.Dispose()
    }

    It 'refuses bad settings before anything is sent or written' -TestCases @(
        @{ Extra = @{ BatchSize = -1 } }
        @{ Extra = @{ Offset = -5 } }
        @{ Extra = @{ RequestsPerSecond = 0 } }
        @{ Extra = @{ RequestsPerSecond = -2 } }
        @{ Extra = @{ BaseUrl = 'ftp://cmms.example.org' } }
        @{ Extra = @{ AssetPath = '/api/v1/assets/' } }
        @{ Extra = @{ ConnectionString = 'Host=127.0.0.1;Nonsense' } }
        @{ Extra = @{ TimeoutSec = 0 } }
        @{ Extra = @{ TimeoutSec = 90000 } }
        @{ Extra = @{ ThrottleLimit = 0 } }
    ) {
        param($Extra)
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        $runs = Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log'
        $p = $common.Clone()
        foreach ($k in $Extra.Keys) { $p[$k] = $Extra[$k] }
        { Invoke-CmmsSync @p -ErrorAction Stop } | Should -Throw
        (Get-SimulatorStats $sim).requests | Should -Be 0
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be $runs
    }

    It 'names parameter and environment variable of a missing setting' {
        $p = $common.Clone(); $p.Remove('BaseUrl')
        { Invoke-CmmsSync @p -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-BaseUrl*ASSETSYNC_BASE_URL*'
        $p = $common.Clone(); $p.Remove('ApiToken')
        { Invoke-CmmsSync @p -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-ApiToken*ASSETSYNC_API_TOKEN*'
    }

    It 'stops with a terminating AuthenticationError when the token is refused, and never shows it' {
        $p = $common.Clone(); $p.ApiToken = ConvertTo-SecureString 'leaky-wrong-token' -AsPlainText -Force
        $err = { Invoke-CmmsSync @p -BatchSize 0 -ErrorAction Stop -Verbose 4>&1 } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.FullyQualifiedErrorId | Should -BeLike 'AssetSync.CredentialsRefused*'
        $err.TargetObject | Should -BeLike 'INF-*'
        ($err | Out-String) | Should -Not -Match 'leaky-wrong-token'
    }

    It 'stops with InnomaintUnreachable (ConnectionError, the URL as target) when nothing answers, after emitting the summary' {
        $p = $common.Clone(); $p.BaseUrl = 'http://127.0.0.1:1'
        $summary = $null
        $err = { Invoke-CmmsSync @p -BatchSize 0 -MaximumRetryCount 0 -CircuitBreakerThreshold 3 -ThrottleLimit 1 -Summary -ErrorAction Stop -OutVariable script:summary } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AssetSync.InnomaintUnreachable*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be 'http://127.0.0.1:1'
        $err.Exception.Message | Should -Match 'could not be reached'
        $script:summary.Status | Should -Be 'failed'
        $script:summary.Failed | Should -Be 0
    }

    It 'stops with DatabaseUnavailable (ConnectionError, host:port/database as target) when PostgreSQL cannot be reached' {
        $p = $common.Clone(); $p.ConnectionString = 'Host=127.0.0.1;Port=1;Database=ic3;Username=u;Password=not-shown;Timeout=2'
        # No retries: the run's default rides out a restart with waits of 0.5 s up to 8 s, which a test must not sleep through.
        $script:verbose = [Collections.Generic.List[string]]::new()
        $err = { Invoke-CmmsSync @p -DatabaseMaximumRetryCount 0 -Verbose -ErrorAction Stop 4>&1 | ForEach-Object { $script:verbose.Add("$_") } } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AssetSync.DatabaseUnavailable*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be '127.0.0.1:1/ic3'
        ($err | Out-String) | Should -Not -Match 'not-shown'
        # The setting reached the run: not one retry was waited for.
        $script:verbose | Should -Not -Match 'Database error .*; retry \d+ of'
    }

    It 'takes the token from -Credential and from the environment' {
        $cred = [pscredential]::new('ignored', (ConvertTo-SecureString $sim.Token -AsPlainText -Force))
        $p = $common.Clone(); $p.Remove('ApiToken')
        (Invoke-CmmsSync @p -Credential $cred -SerialNumber 'INF-000003').Status | Should -BeIn @('Succeeded', 'Unchanged')
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        try { (Invoke-CmmsSync @p -SerialNumber 'INF-000004').Status | Should -BeIn @('Succeeded', 'Unchanged') } finally { Remove-Item Env:ASSETSYNC_API_TOKEN }
    }

    It 'stops within a second on PowerShell.Stop() and records the run as cancelled' {
        Set-SimulatorFault $sim @{ random = 'timeout=1' }
        try {
            $ps = [PowerShell]::Create()
            $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '../../AssetSync.psd1')).AddStatement()
            $p = $common.Clone(); $p.TimeoutSec = 60
            $null = $ps.AddCommand('Invoke-CmmsSync').AddParameters($p).AddParameter('BatchSize', 0)
            $async = $ps.BeginInvoke()
            # Mid-run: the row says running and requests hang at the simulator (a signal, not a fixed sleep).
            Wait-Until -TimeoutSec 20 -Because 'the run to be mid-flight' -Condition {
                (Invoke-TestSql $cs "SELECT count(*) FROM cmms_sync_log WHERE status = 'running'") -ne '0' -and (Get-SimulatorStats $sim).inFlight -ge 1
            }
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 1
            Invoke-TestSql $cs 'SELECT status FROM cmms_sync_log ORDER BY id DESC LIMIT 1' | Should -Be 'cancelled'
            $ps.Dispose()
        } finally {
            Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/heal" | Out-Null
        }
    }
}
