# Issue 12: untrusted text is inert wherever it is shown; PowerShell conventions; output that fits 80 columns.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs = New-TestDatabase
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
    $sim = Start-Simulator -Arguments @('--Assets', '20')
    $esc = [char]0x1b; $bel = [char]0x07
    # A serial number that would retitle and clear the terminal if printed raw.
    $hostile = "EVIL-${esc}]0;pwned${bel}${esc}[2J-$([char]0x9b)31m"
    Invoke-TestSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) VALUES (convert_from(decode('$([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes($hostile)))', 'hex'), 'UTF8'), 1)" | Out-Null
    Add-TestAsset $cs -Count 3 -From 1
    Invoke-TestSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) VALUES ('NOT-THERE-A-VERY-LONG-SERIAL-NUMBER-0001', 9)" | Out-Null
    $common = @{ ConnectionString = $cs; BaseUrl = $sim.BaseUrl; ApiToken = (ConvertTo-SecureString $sim.Token -AsPlainText -Force); RetryIntervalSec = 0.01; RequestsPerSecond = 1000; AssetPathSuspectThreshold = 0 }
    if (-not ('NoHost' -as [type])) {
        Add-Type -TypeDefinition @"
using System; using System.Collections.Generic; using System.Collections.ObjectModel; using System.Globalization;
using System.Management.Automation; using System.Management.Automation.Host; using System.Security;
// A host that answers every prompt with "No", counting the questions.
public sealed class NoHost : PSHost {
    private readonly NoUI _ui = new NoUI();
    public int Asked { get { return _ui.Asked; } }
    public override CultureInfo CurrentCulture { get { return CultureInfo.InvariantCulture; } }
    public override CultureInfo CurrentUICulture { get { return CultureInfo.InvariantCulture; } }
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override string Name { get { return "NoHost"; } }
    public override PSHostUserInterface UI { get { return _ui; } }
    public override Version Version { get { return new Version(1, 0); } }
    public override void EnterNestedPrompt() { } public override void ExitNestedPrompt() { }
    public override void NotifyBeginApplication() { } public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }
}
public sealed class NoUI : PSHostUserInterface {
    public int Asked;
    public override PSHostRawUserInterface RawUI { get { return null; } }
    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) {
        Asked++;
        for (int i = 0; i < choices.Count; i++) { if (choices[i].Label.Replace("&", "") == "No") return i; }
        return defaultChoice;
    }
    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) { return new Dictionary<string, PSObject>(); }
    public override PSCredential PromptForCredential(string c, string m, string u, string t) { return null; }
    public override PSCredential PromptForCredential(string c, string m, string u, string t, PSCredentialTypes a, PSCredentialUIOptions o) { return null; }
    public override string ReadLine() { return ""; } public override SecureString ReadLineAsSecureString() { return new SecureString(); }
    public override void Write(string value) { } public override void Write(ConsoleColor f, ConsoleColor b, string value) { }
    public override void WriteDebugLine(string message) { } public override void WriteErrorLine(string value) { }
    public override void WriteLine(string value) { } public override void WriteProgress(long sourceId, ProgressRecord record) { }
    public override void WriteVerboseLine(string message) { } public override void WriteWarningLine(string message) { }
}
"@
    }
    # Never prints the text itself: a raw escape in a failure message would break the test report too.
    function Test-Inert([string] $Text) {
        ($Text -match "[\x00-\x08\x0b-\x1f\x7f-\x9f]") | Should -BeFalse -Because 'no control character may reach the screen'
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Untrusted text is inert' {
    BeforeAll {
        $script:results = @(Invoke-CmmsSync @common -SerialNumber $hostile, 'INF-000001' -Verbose 4>&1)
    }
    It 'keeps the serial number verbatim on the object' {
        ($results | Where-Object { $_ -is [AssetSync.AssetSyncResult] -and $_.Status -eq 'Failed' }).SerialNumber | Should -BeExactly $hostile
    }
    It 'shows it escaped in every format view, in -Verbose and in the stored error_message' {
        $objects = $results | Where-Object { $_ -is [AssetSync.AssetSyncResult] }
        Test-Inert ($objects | Format-Table | Out-String -Width 200)
        Test-Inert ($objects | Format-List | Out-String -Width 200)
        ($objects | Format-List | Out-String -Width 200) | Should -Match ([regex]::Escape('EVIL-\x1b]0;pwned\x07\x1b[2J'))
        Test-Inert (($results | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n")
        Test-Inert (Get-CmmsSyncFailure -ConnectionString $cs | Format-Table | Out-String -Width 200)
        Test-Inert (Invoke-TestSql $cs 'SELECT string_agg(error_message, E''\n'') FROM ic3_sync_log')
    }
    It 'neutralises CSV formulas and carries a script-forbidding CSP in the report' {
        [AssetSync.TextSafety]::CsvCell('=HYPERLINK("x")') | Should -BeExactly "'=HYPERLINK(`"x`")"
        foreach ($c in '+1', '-1', '@SUM(A1)', "`t1", "`r1") { [AssetSync.TextSafety]::CsvCell($c) | Should -BeExactly ("'" + $c) }
        [AssetSync.TextSafety]::CsvCell('INF-1') | Should -BeExactly 'INF-1'
        $report = Join-Path ([IO.Path]::GetTempPath()) ("report-" + [guid]::NewGuid().ToString('N') + '.html')
        try {
            Export-CmmsSyncReport -ConnectionString $cs -Path $report | Out-Null
            $html = Get-Content -Raw $report
            $html | Should -Match "Content-Security-Policy"
            $html | Should -Match "script-src 'none'"
            Test-Inert $html.Replace("`n", '').Replace("`r", '').Replace("`t", '')
        } finally { Remove-Item $report -ErrorAction SilentlyContinue }
    }
}

Describe 'PowerShell conventions' {
    It '-Confirm answered No runs nothing' {
        $before = Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log'
        $ps = [PowerShell]::Create()
        $ps.AddScript({
            param($manifest, $common)
            Import-Module $manifest
            Invoke-CmmsSync @common -BatchSize 0 -Confirm
        }).AddArgument((Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path).AddArgument($common) | Out-Null
        # A host that answers "No" to every prompt.
        $iss = [initialsessionstate]::CreateDefault2()
        $noHost = [NoHost]::new()
        $rs = [runspacefactory]::CreateRunspace($noHost, $iss); $rs.Open(); $ps.Runspace = $rs
        try { $ps.Invoke() | Out-Null } finally { $rs.Dispose(); $ps.Dispose() }
        $noHost.Asked | Should -BeGreaterThan 0
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be $before
    }
    It '-WhatIf:$false overrides $WhatIfPreference' {
        $before = [int](Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log')
        & { $WhatIfPreference = $true; Invoke-CmmsSync @common -SerialNumber 'INF-000002' -WhatIf:$false } | Out-Null
        [int](Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log') | Should -Be ($before + 1)
    }
    It 'refuses plain http to a non-loopback host before any request, unless told' {
        { Invoke-CmmsSync @common -BaseUrl 'http://192.0.2.10:8080' -SerialNumber 'INF-000001' } |
            Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand' -ExpectedMessage '*plain http*'
    }
    It 'takes -ErrorKind by contract or enum name' {
        @(Get-CmmsSyncFailure -ConnectionString $cs -ErrorKind not_found).Count | Should -Be @(Get-CmmsSyncFailure -ConnectionString $cs -ErrorKind NotFound).Count
        { Get-CmmsSyncFailure -ConnectionString $cs -ErrorKind bogus } | Should -Throw '*not an error kind*'
    }
    It 'says the schema is current under -WhatIf' {
        Initialize-CmmsSyncSchema -ConnectionString $cs -WhatIf 6>&1 | Out-String | Should -Match 'current'
    }
    It 'shares one retry-failed batch default, read from the engine options' {
        [AssetSync.Commands.InvokeCmmsRetryFailedCommand]::new().BatchSize | Should -Be 0
        Invoke-TestSql $cs "UPDATE ic3_asset_master SET report_seq_no = report_seq_no" | Out-Null
        $viaSwitch = Invoke-CmmsSync @common -RetryFailed -Summary -WhatIf:$false
        $viaCmdlet = Invoke-CmmsRetryFailed @common -Summary
        $viaSwitch.Total | Should -Be $viaCmdlet.Total
    }
}

Describe 'Tab completion, defaults and waits' {
    It 'completes -SerialNumber with the connection string of $PSDefaultParameterValues, sorted' {
        Invoke-TestSql $cs @"
INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) VALUES ('QSRT-c', 101), ('QSRT-A', 102), ('QSRT-b', 103);
INSERT INTO cmms_asset_sync_state (serialnumber, status, error_kind, error_message, last_attempt_at, consecutive_failures) VALUES
  ('QSRT-c', 'error', 'transient', 'x', now(), 1), ('QSRT-A', 'error', 'transient', 'x', now(), 1), ('QSRT-b', 'error', 'transient', 'x', now(), 1);
"@ | Out-Null
        $saved = $env:ASSETSYNC_CONNECTION_STRING
        $savedDefaults = $PSDefaultParameterValues.Clone()
        try {
            Remove-Item Env:ASSETSYNC_CONNECTION_STRING -ErrorAction Ignore
            $line = 'Invoke-CmmsSync -SerialNumber QSRT-'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count | Should -Be 0 -Because 'no database is known yet'
            $PSDefaultParameterValues['*-Cmms*:ConnectionString'] = $cs
            $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $found.CompletionText | Should -Be @('QSRT-A', 'QSRT-b', 'QSRT-c')
            # An exact key wins over the wildcard one, as in parameter binding.
            $PSDefaultParameterValues['Invoke-CmmsSync:ConnectionString'] = 'Host=127.0.0.1;Port=1;Database=none;Timeout=1'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count | Should -Be 0
            $PSDefaultParameterValues.Remove('Invoke-CmmsSync:ConnectionString')
            $PSDefaultParameterValues['Disabled'] = $true
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count | Should -Be 0
        } finally {
            $env:ASSETSYNC_CONNECTION_STRING = $saved
            $PSDefaultParameterValues.Clear()
            foreach ($k in $savedDefaults.Keys) { $PSDefaultParameterValues[$k] = $savedDefaults[$k] }
            Invoke-TestSql $cs "DELETE FROM cmms_asset_sync_state WHERE serialnumber LIKE 'QSRT-%'; DELETE FROM ic3_asset_master WHERE cmms_asset_id LIKE 'QSRT-%'" | Out-Null
        }
    }

    It 'completes -ErrorKind with the names Get-CmmsSyncFailure prints, and -RequestsPerSecond with Auto' {
        $line = 'Get-CmmsSyncFailure -ErrorKind not'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('not_found')
        $line = 'Get-CmmsSyncFailure -ErrorKind '
        $all = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $all | Should -Contain 'invalid_response'
        $all | Should -Not -Contain 'InvalidResponse'
        $line = 'Invoke-CmmsSync -RequestsPerSecond '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Auto')
        $line = 'Invoke-CmmsRetryFailed -RequestsPerSecond a'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Auto')
    }

    It 'names an unknown connection-string key, and never echoes the password' {
        $err = { Get-CmmsSyncStatus -ConnectionString 'Host=127.0.0.1;Prot=5432;Database=ic3;Password=hush-hush' -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AssetSync.InvalidSetting*'
        $err.Exception.Message | Should -Match "key Npgsql does not know: 'Prot'\. Did you mean 'Port'\?"
        ($err | Out-String) | Should -Not -Match 'hush-hush'
    }

    It 'takes every default from SyncDefaults, and its help says the same (<Command> -<Parameter>)' -ForEach @(
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'RequestsPerSecond'; Default = 'RequestsPerSecond' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'ThrottleLimit'; Default = 'ThrottleLimit' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'TimeoutSec'; Default = 'TimeoutSeconds' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'RetryIntervalSec'; Default = 'RetryIntervalSeconds' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'MaximumRetryCount'; Default = 'MaximumRetryCount' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'BatchSize'; Default = 'BatchSize' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'WaitTimeoutSec'; Default = 'WaitTimeoutSeconds' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'CircuitBreakerThreshold'; Default = 'CircuitBreakerThreshold' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'AssetPathSuspectThreshold'; Default = 'AssetPathSuspectThreshold' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'DatabaseMaximumRetryCount'; Default = 'DatabaseMaximumRetryCount' }
        @{ Command = 'Invoke-CmmsSync'; Parameter = 'AssetPath'; Default = 'AssetPath' }
        @{ Command = 'Invoke-CmmsRetryFailed'; Parameter = 'BatchSize'; Default = 'RetryBatchSize' }
        @{ Command = 'Invoke-CmmsRetryFailed'; Parameter = 'ThrottleLimit'; Default = 'ThrottleLimit' }
        @{ Command = 'Get-CmmsSyncStatus'; Parameter = 'Last'; Default = 'StatusLastRuns' }
        @{ Command = 'Get-CmmsSyncStatus'; Parameter = 'StaleAfter'; Default = 'StaleAfter' }
        @{ Command = 'Export-CmmsSyncReport'; Parameter = 'Last'; Default = 'ReportLastRuns' }
        @{ Command = 'Export-CmmsSyncReport'; Parameter = 'Top'; Default = 'ReportTop' }
        @{ Command = 'Write-CmmsSyncEvent'; Parameter = 'MaxFailedPercent'; Default = 'MaxFailedPercent' }
    ) {
        $expected = Get-SyncOptionDefault $Default
        # What the cmdlet binds when the parameter is not given ...
        $cmdlet = [Activator]::CreateInstance((Get-Command $Command).ImplementingType)
        $actual = $cmdlet.$Parameter
        if ($actual -is [AssetSync.RequestRate]) { $actual = $actual.PerSecond }
        "$actual" | Should -Be "$expected"
        # ... and what its help says.
        $help = Get-Help $Command -Full
        ($help.parameters.parameter | Where-Object name -eq $Parameter).defaultValue | Should -Be "$expected"
    }

    It 'lists in the reference document (linked from the README) the defaults SyncDefaults holds' {
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/reference.md')
        $d = Get-SyncOptionDefault
        foreach ($pair in @(
                @('MaximumRetryCount', 'MaximumRetryCount'), @('RetryIntervalSec', 'RetryIntervalSeconds'), @('TimeoutSec', 'TimeoutSeconds'),
                @('RequestsPerSecond', 'RequestsPerSecond'), @('ThrottleLimit', 'ThrottleLimit'),
                @('CircuitBreakerThreshold', 'CircuitBreakerThreshold'), @('AssetPathSuspectThreshold', 'AssetPathSuspectThreshold'))) {
            $readme | Should -Match ([regex]::Escape(('| `{0}` | Sync | {1} |' -f $pair[0], $d.($pair[1])))) -Because "the reference lists -$($pair[0])'s default"
        }
        $readme | Should -Match ([regex]::Escape('| `AssetPath` | Sync | ' + $d.AssetPath + ' |'))
    }

    Context 'another run holds the run lock' {
        BeforeAll {
            # The run lock's key as docs/monitoring.md gives it to a DBA ("Who holds the run"): if the code's key moved, these tests fail.
            $lockKey = 4716240114367560046
            $servicesModule = (Resolve-Path (Join-Path $PSScriptRoot '../Shared/TestServices.psm1')).Path
            # The run lock's key only, in this database only: other advisory locks (and other tests' databases) do not count.
            $heldSql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = ($lockKey >> 32)::oid AND objid = ($lockKey & 4294967295)::oid AND objsubid = 1"
            function Start-LockHolder([double] $Seconds) {
                # The holder of the test before may still be sleeping on the lock: wait until it is free, then take it.
                $deadline = (Get-Date).AddSeconds(30)
                while ((Invoke-TestSql $cs $heldSql) -ne '0') {
                    if ((Get-Date) -gt $deadline) { throw 'the run lock never came free' }
                    Start-Sleep -Milliseconds 50
                }
                $job = Start-ThreadJob -ArgumentList $cs, $lockKey, $Seconds, $servicesModule -ScriptBlock {
                    param($cs, $key, $seconds, $module)
                    Import-Module $module
                    Invoke-PgSql $cs "SELECT pg_advisory_lock($key); SELECT pg_sleep($seconds);"
                }
                $deadline = (Get-Date).AddSeconds(30)
                while ((Invoke-TestSql $cs $heldSql) -ne '1') {
                    if ((Get-Date) -gt $deadline) { throw 'the lock holder never took the lock' }
                    Start-Sleep -Milliseconds 50
                }
                $job
            }
            function Invoke-Waiting([int] $TimeoutSec) {
                $ps = [PowerShell]::Create()
                $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '../../AssetSync.psd1')).AddStatement()
                $null = $ps.AddCommand('Invoke-CmmsSync').AddParameters($common).AddParameter('SerialNumber', 'INF-000001').AddParameter('Wait').AddParameter('WaitTimeoutSec', $TimeoutSec).AddParameter('Verbose')
                $out = $ps.Invoke()
                [pscustomobject]@{ Output = $out; Errors = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose.Message); Progress = @($ps.Streams.Progress | Where-Object Activity -like 'Waiting for another AssetSync run*') }
                $ps.Dispose()
            }
        }

        It '-Wait shows its progress, says so in -Verbose, and then runs' {
            $job = Start-LockHolder 2
            try {
                $r = Invoke-Waiting 60
            } finally { $job | Wait-Job -Timeout 20 | Remove-Job -Force }
            $r.Errors | Should -BeNullOrEmpty
            $r.Output.Status | Should -BeIn @('Succeeded', 'Unchanged')
            ($r.Verbose -join "`n") | Should -Match 'run lock is held by another AssetSync run; waiting up to 60 s'
            ($r.Verbose -join "`n") | Should -Match 'Waited [12] s for another AssetSync run'
            $r.Progress.Count | Should -BeGreaterThan 1
            $r.Progress[0].StatusDescription | Should -Match '^Waited \d+ s of at most 60 s$'
            $r.Progress[0].PercentComplete | Should -BeIn (0..100)
            $r.Progress[-1].RecordType | Should -Be 'Completed'
        }

        It 'a wait that times out says it waited and for how long, instead of advising -Wait' {
            $job = Start-LockHolder 3
            try {
                $r = Invoke-Waiting 1
            } finally { $job | Wait-Job -Timeout 20 | Remove-Job -Force }
            $r.Errors.Count | Should -Be 1
            $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'AssetSync.SyncRunInProgress*'
            $r.Errors[0].Exception.Message | Should -Match '^Waited [12] s for another AssetSync run to finish; it is still running'
            $r.Errors[0].Exception.Message | Should -Not -Match '-Wait'
            $r.Errors[0].ErrorDetails.RecommendedAction | Should -Match 'WaitTimeoutSec'
            $r.Progress[-1].RecordType | Should -Be 'Completed'
        }

        It '-IfRunning Skip returns at once with a warning and a skipped summary, and writes no run row' {
            $runs = Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log'
            $job = Start-LockHolder 3
            try {
                $warnings = $null
                $out = @(Invoke-CmmsSync @common -SerialNumber 'INF-000001' -IfRunning Skip -WarningVariable warnings -WarningAction SilentlyContinue)
            } finally { $job | Wait-Job -Timeout 20 | Remove-Job -Force }
            $out.Count | Should -Be 1
            $out[0] | Should -BeOfType ([AssetSync.SyncRunSummary])
            $out[0].Status | Should -Be 'skipped'
            $out[0].Succeeded | Should -Be 0
            @($warnings).Count | Should -Be 1
            "$($warnings[0])" | Should -Match '^Skipped \(-IfRunning Skip\): another AssetSync run holds'
            Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Should -Be $runs
        }

        It '-IfRunning Fail is the default, and -Wait is -IfRunning Wait (and cannot be given with Skip)' {
            (Get-Command Invoke-CmmsSync).Parameters['IfRunning'].ParameterType | Should -Be ([AssetSync.IfRunningAction])
            $job = Start-LockHolder 2
            try {
                { Invoke-CmmsSync @common -SerialNumber 'INF-000001' -ErrorAction Stop } | Should -Throw -ErrorId 'AssetSync.SyncRunInProgress*'
                { Invoke-CmmsSync @common -SerialNumber 'INF-000001' -Wait -IfRunning Skip -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-Wait means -IfRunning Wait*'
            } finally { $job | Wait-Job -Timeout 20 | Remove-Job -Force }
        }
    }
}

Describe 'Output that fits' {
    It 'keeps the error text visible at 80 columns' {
        $results = Invoke-CmmsSync @common -SerialNumber 'NOT-THERE-A-VERY-LONG-SERIAL-NUMBER-0001'
        $text = $results | Format-Table | Out-String -Width 80
        $lines = $text -split "`r?`n"
        ($lines | Where-Object Length -gt 80) | Should -BeNullOrEmpty
        # The Error column, read line by line from its header's position, holds the whole message.
        $header = $lines | Where-Object { $_ -match '\bError\b' } | Select-Object -First 1
        $at = $header.IndexOf('Error')
        $errorText = ($lines | Where-Object { $_.Length -gt $at -and $_ -notmatch '^[-\s]+$|SerialNumber' } | ForEach-Object { $_.Substring($at) }) -join ''
        ($errorText -replace '\s', '') | Should -Match 'doesnotexistinInnomaint'
    }
    It 'gives Status as a name and Duration and Waited as seconds in JSON' {
        $r = Invoke-CmmsSync @common -SerialNumber 'INF-000003'
        $json = $r | ConvertTo-Json | ConvertFrom-Json
        $json.Status | Should -BeExactly 'Succeeded'
        $json.Duration | Should -BeOfType [double]
        $json.Waited | Should -BeOfType [double]
        $r.Outcome | Should -Be ([AssetSync.AssetSyncStatus]::Succeeded)
        $r.Elapsed | Should -BeOfType [timespan]
    }
    It 'types a summary''s Status as RunStatus, which compares with its name and is written by its contract name in JSON and views' {
        $s = Invoke-CmmsSync @common -SerialNumber 'INF-000003' -Summary | Select-Object -Last 1
        $s.Status | Should -BeOfType ([AssetSync.RunStatus])
        $s.Status | Should -Be ([AssetSync.RunStatus]::Complete)
        ($s.Status -eq 'complete') | Should -BeTrue
        ($s.Status -eq 'failed') | Should -BeFalse
        ($s | ConvertTo-Json | ConvertFrom-Json).Status | Should -BeExactly 'complete'
        ($s | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json).Status | Should -BeExactly 'complete'
        ($s | Format-Table | Out-String) | Should -MatchExactly '\bcomplete\b'
        # CSV takes the enum's own name (the release notes say so); it still equals the contract name, ignoring case.
        ($s | ConvertTo-Csv | ConvertFrom-Csv).Status | Should -BeExactly 'Complete'
        ((Get-CmmsSyncStatus -ConnectionString $cs).LastRuns[0] | ConvertTo-Json | ConvertFrom-Json).Status | Should -BeExactly 'complete'
        [AssetSync.RunStatusNames]::Name([AssetSync.RunStatus]::Interrupted) | Should -BeExactly 'interrupted'
    }
}
