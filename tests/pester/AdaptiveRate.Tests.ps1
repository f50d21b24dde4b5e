BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs = New-TestDatabase
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
    Add-TestAsset $cs -Count 30
    # A quota of 40/s that the simulator states in IETF headers.
    $sim = Start-Simulator -Arguments @('--Assets', '30', '--RateLimit', '40', '--RateLimitHeaders', 'ietf')
    $common = @{ ConnectionString = $cs; BaseUrl = $sim.BaseUrl; ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force); RetryIntervalSec = 0.01; Force = $true }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe '-RequestsPerSecond Auto' {
    It 'refuses a rate that is neither a number above 0 nor Auto, at binding, before anything is sent or written' -TestCases @(
        @{ Rate = 'fast' }, @{ Rate = '0' }, @{ Rate = -3 }, @{ Rate = 'NaN' }
    ) {
        param($Rate)
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        $runs = Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log'
        $err = { Invoke-CmmsSync @common -BatchSize 0 -RequestsPerSecond $Rate -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'Auto'
        $err.FullyQualifiedErrorId | Should -Match 'ParameterArgumentTransformationError'
        (Get-SimulatorStats $sim).requests | Should -Be 0
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be $runs
    }

    It 'takes a number as before, as a number or as text' {
        (Invoke-CmmsSync @common -BatchSize 3 -RequestsPerSecond 200 -Summary).Succeeded | Should -Be 3
        (Invoke-CmmsSync @common -BatchSize 3 -RequestsPerSecond '2.5e2' -Summary).Succeeded | Should -Be 3
        (Get-Command Invoke-CmmsSync).Parameters['RequestsPerSecond'].ParameterType | Should -Be ([AssetSync.RequestRate])
    }

    It 'uses the stated quota, tells each rate change in -Verbose, shows the rate in the progress bar, and stores what it learned' {
        Invoke-TestSql $cs 'DELETE FROM cmms_rate_state' | Out-Null
        $ps = [powershell]::Create()
        $null = $ps.AddCommand('Import-Module').AddArgument((Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path).AddStatement()
        $null = $ps.AddCommand('Invoke-CmmsSync').AddParameters($common).AddParameter('BatchSize', 0).AddParameter('RequestsPerSecond', 'Auto').AddParameter('Summary').AddParameter('Verbose')
        $summary = $ps.Invoke() | Select-Object -Last 1
        $ps.HadErrors | Should -BeFalse
        $verbose = @($ps.Streams.Verbose.Message)
        $verbose | Should -Contain ($verbose | Where-Object { $_ -match '^Rate 5 requests/s: nothing learned for this base URL yet' })
        @($verbose | Where-Object { $_ -match '^Rate 5(\.\d+)? -> 40 requests/s: Innomaint states a quota of 40/s \(RateLimit-Policy\); using all of it' }).Count | Should -Be 1
        @($verbose | Where-Object { $_ -match '^Learned rate for .*: 40 requests/s \(headers\)' }).Count | Should -Be 1
        @($ps.Streams.Progress | Where-Object { $_.StatusDescription -match '\d+ of 30 done, \d+ failed, [\d.]+ requests/s' }).Count | Should -BeGreaterThan 0
        $ps.Dispose()
        $summary.LearnedRequestsPerSecond | Should -Be 40
        $summary.LearnedRateSource | Should -Be 'headers'
        $summary.Requests | Should -Be 30
        Invoke-TestSql $cs "SELECT requests_per_second || ' ' || source FROM cmms_rate_state WHERE base_url = '$($sim.BaseUrl)'" | Should -Be '40 headers'
    }

    It 'is taken from $PSDefaultParameterValues, and the next Auto run starts from the stored rate' {
        $PSDefaultParameterValues['Invoke-CmmsSync:RequestsPerSecond'] = 'Auto'
        try {
            $verbose = @(Invoke-CmmsSync @common -BatchSize 2 -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
            @($verbose | Where-Object { $_ -match '^Rate 40 requests/s: learned for this base URL on .* \(headers\)' }).Count | Should -Be 1
        } finally { $PSDefaultParameterValues.Remove('Invoke-CmmsSync:RequestsPerSecond') }
        (Invoke-CmmsRetryFailed @common -RequestsPerSecond Auto -Summary).Status | Should -Be 'complete'
    }

    It 'is taken by the scheduled job, which says what it learned; a bad rate stops the job before anything runs' {
        $script = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
        $logs = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-logs-' + [guid]::NewGuid().ToString('N'))
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        try {
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath $logs -ConnectionString $cs -BaseUrl $sim.BaseUrl -RetryIntervalSec 0.01 -RequestsPerSecond Auto 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            ($out -join "`n") | Should -Match 'Learned rate: 40 requests/s \(headers\)'
            Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
            $bad = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath $logs -ConnectionString $cs -BaseUrl $sim.BaseUrl -RequestsPerSecond fast 2>&1
            $LASTEXITCODE | Should -Not -Be 0
            ($bad -join "`n") | Should -Match 'not a rate'
            (Get-SimulatorStats $sim).requests | Should -Be 0
        } finally {
            Remove-Item Env:ASSETSYNC_API_TOKEN
            Remove-Item -Recurse -Force $logs -ErrorAction SilentlyContinue
        }
    }
}
