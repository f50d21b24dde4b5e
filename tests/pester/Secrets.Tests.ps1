BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    $cs = New-TestDatabase
    $password = (Get-AdminConnection)['password']
    $token = 'tok-' + [guid]::NewGuid().ToString('N')
    $sim = Start-Simulator -Token $token -Arguments @('--Assets', '30')
    Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false" | Out-Null
    Add-TestAsset $cs -Count 30
    # Retries (verbose), a warning (an unknown serial), failures with messages, and a 401 run.
    Set-SimulatorFault $sim @{ scripts = @{
        'INF-000003' = @('503', '500'); 'INF-000004' = @('reset', 'malformed'); 'INF-000005' = @('404') } }

    $proxyPassword = 'px-' + [guid]::NewGuid().ToString('N')
    function Find-Secret([string] $Text) {
        foreach ($secret in @($token, $password, $proxyPassword)) { if ($Text.Contains($secret)) { return $secret.Substring(0, 6) + '…' } }
        $null
    }
}
AfterAll {
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Secrets' {
    It 'never reach output, error, verbose, debug, warning, information or progress' {
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript(@"
Import-Module '$manifest'
`$common = @{ ConnectionString = '$cs'; BaseUrl = '$($sim.BaseUrl)'; RetryIntervalSec = 0.01; RequestsPerSecond = 500 }
Invoke-CmmsSync @common -ApiToken (ConvertTo-SecureString '$token' -AsPlainText -Force) -BatchSize 0 -Verbose -Debug
Invoke-CmmsSync @common -ApiToken (ConvertTo-SecureString '$token' -AsPlainText -Force) -SerialNumber 'INF-000001', 'NOT-IN-REGISTER' -Verbose -Debug
Invoke-CmmsSync @common -ApiToken (ConvertTo-SecureString '$token' -AsPlainText -Force) -Summary -Verbose -Debug
Get-CmmsSyncStatus -ConnectionString '$cs' -Verbose
Get-CmmsSyncFailure -ConnectionString '$cs' -Verbose
Invoke-CmmsSync @common -ApiToken (ConvertTo-SecureString 'wrong$token' -AsPlainText -Force) -BatchSize 0 -Verbose -Debug
"@)
        $output = $ps.Invoke()
        $texts = [System.Collections.Generic.List[string]]::new()
        foreach ($o in $output) { $texts.Add(($o | Format-List * | Out-String)); $texts.Add([string]$o) }
        foreach ($e in $ps.Streams.Error) { $texts.Add($e.ToString()); $texts.Add($e.Exception.ToString()); $texts.Add([string]$e.ErrorDetails); $texts.Add(($e | Format-List * -Force | Out-String)) }
        foreach ($stream in 'Verbose', 'Debug', 'Warning', 'Information') { foreach ($r in $ps.Streams.$stream) { $texts.Add([string]$r) } }
        foreach ($p in $ps.Streams.Progress) { $texts.Add("$($p.Activity) $($p.StatusDescription) $($p.CurrentOperation)") }

        # The run did produce every stream, so the search below had something to search.
        $ps.Streams.Verbose.Count | Should -BeGreaterThan 0
        $ps.Streams.Debug.Count | Should -BeGreaterThan 0
        $ps.Streams.Warning.Count | Should -BeGreaterThan 0
        $ps.Streams.Progress.Count | Should -BeGreaterThan 0
        $ps.Streams.Error.Count | Should -BeGreaterThan 0
        $output.Count | Should -BeGreaterThan 30
        @($ps.Streams.Error | Where-Object FullyQualifiedErrorId -like 'AssetSync.CredentialsRefused*').Count | Should -Be 1
        $ps.Dispose()
        foreach ($t in $texts) { Find-Secret $t | Should -BeNullOrEmpty }
    }

    It 'never reach a transcript, an exception or a database row (the token, the database and the proxy passwords)' {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("transcript-" + [guid]::NewGuid().ToString('N') + '.txt')
        # The secrets travel by environment, so the transcript's echo of this script holds none of them.
        $env:ASSETSYNC_TEST_SECRET_TOKEN = $token
        $env:ASSETSYNC_TEST_SECRET_PASSWORD = $password
        $env:ASSETSYNC_TEST_SECRET_PROXY = $proxyPassword
        $env:ASSETSYNC_CONNECTION_STRING = $cs
        $script = @"
Start-Transcript -Path '$transcript' | Out-Null
Import-Module '$manifest'
`$env:ASSETSYNC_API_TOKEN = `$env:ASSETSYNC_TEST_SECRET_TOKEN
`$VerbosePreference = 'Continue'; `$DebugPreference = 'Continue'
Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -RetryIntervalSec 0.01 -RequestsPerSecond 500 -BatchSize 0 | Format-Table | Out-String
try { Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -ApiToken (ConvertTo-SecureString ('x' + `$env:ASSETSYNC_TEST_SECRET_TOKEN) -AsPlainText -Force) -BatchSize 0 -ErrorAction Stop }
catch { `$_ | Format-List * -Force | Out-String; `$_.Exception.ToString() }
try { Get-CmmsSyncStatus -ConnectionString ('Host=127.0.0.1;Port=1;Username=u;Timeout=2;Password=' + `$env:ASSETSYNC_TEST_SECRET_PASSWORD) -ErrorAction Stop }
catch { `$_ | Format-List * -Force | Out-String; `$_.Exception.ToString() }
`$db = [pscredential]::new('$((Get-AdminConnection)['username'])', (ConvertTo-SecureString `$env:ASSETSYNC_TEST_SECRET_PASSWORD -AsPlainText -Force))
`$px = [pscredential]::new('proxyuser', (ConvertTo-SecureString `$env:ASSETSYNC_TEST_SECRET_PROXY -AsPlainText -Force))
`$bare = '$($cs -replace 'Password=[^;]*;?', '')'
Get-CmmsSyncStatus -ConnectionString `$bare -DatabaseCredential `$db | Format-List * | Out-String
Get-CmmsSyncConfiguration -ConnectionString `$bare -DatabaseCredential `$db -ProxyCredential `$px -Proxy 'http://127.0.0.1:1' | Format-List * | Out-String
try { Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -ConnectionString `$bare -DatabaseCredential `$db -Proxy 'http://127.0.0.1:1' -ProxyCredential `$px -AllowUnencryptedAuthentication -BatchSize 0 -ErrorAction Stop }
catch { `$_ | Format-List * -Force | Out-String; `$_.Exception.ToString() }
Stop-Transcript | Out-Null
"@
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String }
        finally { Remove-Item Env:ASSETSYNC_TEST_SECRET_TOKEN, Env:ASSETSYNC_TEST_SECRET_PASSWORD, Env:ASSETSYNC_TEST_SECRET_PROXY, Env:ASSETSYNC_CONNECTION_STRING }
        $logText = Get-Content -Raw $transcript
        Remove-Item $transcript
        $logText | Should -Match 'CredentialsRefused'
        $logText | Should -Match 'DatabaseUnavailable'
        # The proxy and the database logins were used: a refused proxy, a status read with -DatabaseCredential, the masked view.
        $logText | Should -Match 'ProxyRefused'
        $logText | Should -Match 'TotalAssets'
        $logText | Should -Match 'proxyuser / \*{8}'
        Find-Secret $out | Should -BeNullOrEmpty
        Find-Secret $logText | Should -BeNullOrEmpty
        $rows = Invoke-TestSql $cs 'SELECT row_to_json(l)::text FROM ic3_sync_log l UNION ALL SELECT row_to_json(r)::text FROM cmms_sync_log r UNION ALL SELECT row_to_json(m)::text FROM ic3_asset_master m'
        @($rows).Count | Should -BeGreaterThan 30
        Find-Secret ($rows -join "`n") | Should -BeNullOrEmpty
    }
}
