BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'The demo (build.ps1 -Task Demo)' {
    It 'runs end to end and leaves only the missing assets failed' {
        # The test cluster stands in for "your own PostgreSQL": the demo makes a database of its own there. It gets a temporary
        # folder of its own, so what it leaves there is its own and not another test file's running beside it.
        $temp = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-demo-tmp-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $temp | Out-Null
        $saved = $env:TMPDIR, $env:TMP, $env:TEMP
        try {
            $env:TMPDIR = $env:TMP = $env:TEMP = $temp
            $out = Invoke-Pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Shared/Invoke-Demo.ps1') -ConnectionString $env:ASSETSYNC_TEST_CONNECTION_STRING 2>&1
        } finally {
            $env:TMPDIR, $env:TMP, $env:TEMP = $saved
        }
        $text = $out -join "`n"
        $left = @(Get-ChildItem $temp -Filter 'assetsync-*' -ErrorAction SilentlyContinue)
        Remove-Item -Recurse -Force $temp
        $left.Name | Should -BeNullOrEmpty -Because 'the demo leaves no temporary file behind'
        $LASTEXITCODE | Should -Be 0 -Because $text
        # A cut list says so, and the table after it has a title.
        $failed = [int][regex]::Match($text, '500 assets: \d+ succeeded, (\d+) failed').Groups[1].Value
        if ($failed -gt 15) { $text | Should -Match "The first 15 failures \($($failed - 15) more not shown: Get-CmmsSyncFailure lists them all\)" }
        $text | Should -Match 'Failed assets by error kind:'
        $text | Should -Match '500 assets: \d+ succeeded, \d+ failed'
        $m = [regex]::Match($text, 'Failed after retry: (\d+); deferred, not retried: (\d+); assets Innomaint does not have \(404\): (\d+)')
        $m.Success | Should -BeTrue
        $m.Groups[1].Value | Should -Be '0'
        $m.Groups[2].Value | Should -Be $m.Groups[3].Value
        [int]$m.Groups[3].Value | Should -BeGreaterThan 0
        $text | Should -Match 'SyncedAssets\s+: 4\d\d'
        # The command it ran, and each faster setting with the engine's default and the reason.
        $text | Should -Match 'PS> Invoke-CmmsSync -BatchSize 0 -RequestsPerSecond 100 -RetryIntervalSec 0.25 -ThrottleLimit 8 -TimeoutSec 2'
        $text | Should -Match '-RequestsPerSecond 100 \(default 5\): \S'
        $text | Should -Match '-TimeoutSec 2 \(default 15\): \S'
        $text | Should -Match '-RetryIntervalSec 0.25 \(default 1\): \S'
        $text | Should -Match 'PS> Invoke-CmmsRetryFailed -Summary '
        # The second night finds most assets unchanged.
        $n = [regex]::Match($text, 'Second run: (\d+) of (\d+) succeeded assets unchanged')
        $n.Success | Should -BeTrue
        [int]$n.Groups[1].Value | Should -BeGreaterThan ([int]$n.Groups[2].Value * 0.7)
        [int]$n.Groups[1].Value | Should -BeLessThan ([int]$n.Groups[2].Value)
        $text | Should -Not -Match ([regex]::Escape(($env:ASSETSYNC_TEST_CONNECTION_STRING -split 'Password=')[1].Split(';')[0]))
    }
}
