# Issue 20 through the built module: budgets that can work, and a service that cannot be reached marks no asset.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $script = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
    $cs, $sim = New-SyncTestSetup -Assets 20 -SimulatorArguments @('--LatencyMs', '5')
    $logs = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-logs-' + [guid]::NewGuid().ToString('N'))
    $common = @{
        ConnectionString = $cs; BaseUrl = $sim.BaseUrl
        ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force)
        RetryIntervalSec = 0.01; RequestsPerSecond = 1000
    }
    function Get-Requests { (Get-SimulatorStats $sim).requests }
    # The scheduled job in a pwsh of its own: its exit code and its output.
    function Invoke-Job([object[]] $Extra) {
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        try {
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File $script -LogPath $logs -ConnectionString $cs -BaseUrl $sim.BaseUrl `
                -RetryIntervalSec 0.01 -RequestsPerSecond 500 @Extra 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
        } finally { Remove-Item Env:ASSETSYNC_API_TOKEN }
    }
    function Reset-Stats { Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $logs -ErrorAction SilentlyContinue
}

Describe 'Budgets that can work' {
    It '-MaxDuration takes a number of seconds (never ticks) and a TimeSpan, and refuses anything else at binding' {
        Reset-Stats
        # 2 read as seconds is below a 5 s attempt: refused, and the message gives both in seconds.
        $err = { Invoke-CmmsSync @common -TimeoutSec 5 -MaxDuration 2 -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $err.Exception.Message | Should -Match 'MaxDuration \(2 s\) is shorter than one attempt \(TimeoutSec 5 s\)'
        $err.Exception.Message | Should -Match 'at least 5 s'
        { Invoke-CmmsSync @common -MaxDuration 'soon' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,AssetSync.Commands.InvokeCmmsSyncCommand'
        $s = Invoke-CmmsSync @common -TimeoutSec 5 -MaxDuration 90 -BatchSize 0 -Summary
        $s.Status | Should -Be 'complete'
        $s.StoppedBy | Should -BeNullOrEmpty -Because '90 is 90 seconds, plenty for 20 assets'
        $s.Succeeded | Should -Be 20
    }

    It 'refuses a budget shorter than one attempt before anything is sent or written' {
        $runs = Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log'
        Reset-Stats
        $err = { Invoke-CmmsRetryFailed @common -MaxDuration '00:00:02' -TimeoutSec 15 -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'at least 15 s'
        Get-Requests | Should -Be 0
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be $runs
    }

    It 'warns when a budgeted run decides no asset, and the job does not exit 0 on it' {
        # A budget of exactly one attempt: no asset can start once the run is under way.
        $s = Invoke-CmmsSync @common -BatchSize 0 -Force -TimeoutSec 1 -MaxDuration 1 -Summary -WarningVariable warnings -WarningAction SilentlyContinue
        ($s.Status, $s.StoppedBy, ($s.Succeeded + $s.Failed)) | Should -Be @('complete', 'max_duration', 0)
        $warnings | Where-Object { "$_" -match 'ended the run before any asset was decided' } | Should -Not -BeNullOrEmpty
        $r = Invoke-Job @('-TimeoutSec', '1', '-MaxDuration', '1')
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'decided no asset'
    }

    It 'the job takes -MaxDuration as seconds too' {
        $r = Invoke-Job @('-TimeoutSec', '5', '-MaxDuration', '120')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Sync run \d+: complete, 20 succeeded'
    }
}

Describe 'A service that cannot be reached' {
    It 'a closed port ends the run as InnomaintUnreachable, naming the URL and the cause, with no asset marked failed' {
        $before = @(Get-CmmsSyncFailure -ConnectionString $cs).Count
        $p = $common.Clone(); $p.BaseUrl = 'http://127.0.0.1:1'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $err = { Invoke-CmmsSync @p -BatchSize 0 -Force -Summary -ErrorAction Stop -OutVariable script:summary } | Should -Throw -PassThru
        $watch.Stop()
        $err.FullyQualifiedErrorId | Should -Be 'AssetSync.InnomaintUnreachable,AssetSync.Commands.InvokeCmmsSyncCommand'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be 'http://127.0.0.1:1'
        $err.Exception.Message | Should -Match 'could not be reached at http://127\.0\.0\.1:1'
        $err.Exception.Message | Should -Match 'refused'
        $script:summary.Status | Should -Be 'failed'
        $script:summary.Failed | Should -Be 0
        @(Get-CmmsSyncFailure -ConnectionString $cs).Count | Should -Be $before
        # A bound, not a timing: the default retries alone would take 7 s per asset.
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
    }
}
