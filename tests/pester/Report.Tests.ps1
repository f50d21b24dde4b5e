BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $cs, $sim = New-SyncTestSetup -Assets 30
    $scripts = @{ 'INF-000002' = @('404'); 'INF-000011' = @('404'); 'INF-000005' = @('500'); 'INF-000007' = @('503'); 'INF-000019' = @('502') }
    Set-SimulatorFault $sim @{ repeatLast = $true; scripts = $scripts }
    $common = @{ ConnectionString = $cs; BaseUrl = $sim.BaseUrl; ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force); RetryIntervalSec = 0.01; RequestsPerSecond = 500 }
    # Two runs; the last five assets are never synced.
    Invoke-CmmsSync @common -BatchSize 25 | Out-Null
    Invoke-CmmsRetryFailed @common | Out-Null
    $out = Join-Path $root 'out'
    New-Item -ItemType Directory -Force -Path $out | Out-Null
    $report = Join-Path $out 'report.html'

    $chromium = (Get-Command chromium, chromium-browser -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    # Chromium's output goes to a file: read through a pipe, its DOM dump was sometimes lost.
    function Invoke-Chromium([string[]] $Arguments) {
        $userData = Join-Path ([IO.Path]::GetTempPath()) ('chromium-' + [guid]::NewGuid().ToString('N'))
        $stdout = "$userData.out"
        try {
            $all = @('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', "--user-data-dir=$userData") + $Arguments
            $p = Start-Process -FilePath $chromium -ArgumentList $all -RedirectStandardOutput $stdout -RedirectStandardError "$userData.err" -PassThru -Wait
            $p.ExitCode | Should -Be 0
            Get-Content -Raw $stdout
        } finally { Remove-Item -Recurse -Force $userData, $stdout, "$userData.err" -ErrorAction SilentlyContinue }
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Export-CmmsSyncReport' {
    It 'writes one self-contained HTML file' {
        $file = Export-CmmsSyncReport -ConnectionString $cs -Path $report -PassThru
        $file.FullName | Should -Be $report
        $html = Get-Content -Raw $report
        $html | Should -Not -Match '<script'
        $html | Should -Not -Match '(src|href)\s*=\s*"(https?:)?//'
        $html | Should -Not -Match '@import|url\('
        $html | Should -Match '<svg'
    }

    It '-WhatIf writes nothing' {
        $other = Join-Path $out 'whatif.html'
        Export-CmmsSyncReport -ConnectionString $cs -Path $other -WhatIf
        Test-Path $other | Should -BeFalse
    }

    It 'renders in headless Chromium with the expected counts' {
        $chromium | Should -Not -BeNullOrEmpty -Because 'build.ps1 installs Debian''s chromium for this test'
        $dom = Invoke-Chromium @('--dump-dom', "file://$report")
        function Get-Figure([string] $id) { [regex]::Match($dom, "data-testid=""$id"" data-value=""(\d+)""").Groups[1].Value }
        Get-Figure 'total-assets' | Should -Be '30'
        Get-Figure 'synced-assets' | Should -Be '20'
        Get-Figure 'failed-assets' | Should -Be '5'
        Get-Figure 'never-synced' | Should -Be '5'
        [regex]::Match($dom, 'data-kind="transient" data-count="(\d+)"').Groups[1].Value | Should -Be '3'
        [regex]::Match($dom, 'data-kind="not_found" data-count="(\d+)"').Groups[1].Value | Should -Be '2'
        $bars = [regex]::Matches($dom, '<g data-run-id="(\d+)" data-succeeded="(\d+)" data-failed="(\d+)"')
        $bars.Count | Should -Be 2
        # The retry-failed run leaves the two 404s alone: they are deferred.
        ($bars | ForEach-Object { "$($_.Groups[2].Value)/$($_.Groups[3].Value)" }) | Should -Be @('20/5', '0/3')
        Get-Figure 'deferred-assets' | Should -Be '2'
        # Minutes old: failing or never attempted for less than 7 days is not stale, and deferred assets never are.
        Get-Figure 'stale-assets' | Should -Be '0'
        $dom | Should -Match '>never succeeded<'
        $dom | Should -Match 'never attempted'
        [regex]::Match($dom, 'data-bucket="under 1 day" data-count="(\d+)"').Groups[1].Value | Should -Be '20'
        [regex]::Match($dom, 'data-bucket="never" data-count="(\d+)"').Groups[1].Value | Should -Be '10'
        [regex]::Matches((($dom -split 'data-testid="stalest"')[1] -split '</table>')[0], '<tr data-serial=').Count | Should -Be 20
        # Runs are told apart by kind and carry their date.
        $dom | Should -Match 'data-mode="batch"'
        $dom | Should -Match 'data-mode="retry_failed"'
        $dom | Should -Match '>R #\d+<'
        # Failures carry the register's names (the failing assets here never synced, so the asset column is empty but present).
        $dom | Should -Match '<th>Asset</th><th>Department</th><th>Failing since</th>'

        [regex]::Matches((($dom -split 'data-testid="oldest-failing"')[1] -split '</table>')[0], '<tr data-serial=').Count | Should -Be 5
        [regex]::Matches((($dom -split 'data-testid="never-synced-list"')[1] -split '</table>')[0], '<tr data-serial=').Count | Should -Be 5
    }

    It 'can be captured as a picture' {
        $png = Join-Path $out 'report.png'
        Remove-Item $png -ErrorAction SilentlyContinue
        Invoke-Chromium @("--screenshot=$png", '--window-size=1100,1500', '--hide-scrollbars', "file://$report") | Out-Null
        (Get-Item $png).Length | Should -BeGreaterThan 10000
    }
}
