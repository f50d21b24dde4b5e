# A hospital's network: an authenticating forward proxy (Debian's tinyproxy), a private root CA (made here with
# CertificateRequest), and a database login kept apart from the connection string (a scram-sha-256 role).
BeforeDiscovery {
    $script:noProxy = if (-not $env:ASSETSYNC_TINYPROXY -or -not (Test-Path $env:ASSETSYNC_TINYPROXY)) {
        'tinyproxy is not available (build.ps1 unpacks Debian''s tinyproxy-bin; it could not be fetched here)'
    }
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    Import-Module $manifest -Force
    $cs, $sim = New-SyncTestSetup -Assets 12
    $token = ConvertTo-SecureString $sim.Token -AsPlainText -Force
    $fast = @{ RetryIntervalSec = 0.01; RequestsPerSecond = 500; ConnectionString = $cs; ApiToken = $token }
    $proxy = if ($env:ASSETSYNC_TINYPROXY) { Start-Tinyproxy }
    if ($proxy) { $proxyLogin = [pscredential]::new($proxy.UserName, (ConvertTo-SecureString $proxy.Password -AsPlainText -Force)) }

    function Reset-Register {
        Invoke-TestSql $cs 'TRUNCATE ic3_sync_log, cmms_asset_sync_state; DELETE FROM cmms_sync_log' | Out-Null
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
    }

}
AfterAll {
    Stop-Tinyproxy $proxy
    Stop-Simulator $sim
    Remove-TestDatabase $cs
}

Describe 'Through an authenticating proxy (tinyproxy, BasicAuth)' -Skip:([bool]$noProxy) {
    BeforeEach { Reset-Register }

    It 'syncs every asset through -Proxy with -ProxyCredential, says the route in -Verbose, and never shows the proxy password' {
        $all = Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Summary -Proxy $proxy.Url -ProxyCredential $proxyLogin -Verbose -Debug -WarningAction Continue 4>&1 5>&1 3>&1 6>&1
        $text = ($all | ForEach-Object { "$_"; $_ | Format-List * | Out-String }) -join "`n"
        $summary = $all | Where-Object { $_ -is [AssetSync.SyncRunSummary] }
        $summary.Status | Should -Be 'complete' -Because $text
        $summary.Succeeded | Should -Be 12
        $stats = Get-SimulatorStats $sim
        # Every asset request reached the simulator through the proxy: each carried tinyproxy's Via header.
        $stats.viaProxy | Should -Be $stats.requests
        $stats.requests | Should -BeGreaterOrEqual 12
        @($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message) |
            Should -Contain "Route to Innomaint at $($sim.BaseUrl): via proxy $($proxy.Url) (from -Proxy)."
        $text | Should -Not -Match ([regex]::Escape($proxy.Password))
    }

    It 'stops at once with AssetSync.ProxyRefused on wrong proxy credentials, marking no asset' {
        $wrong = [pscredential]::new($proxy.UserName, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -ProxyCredential $wrong } |
            Should -Throw -ErrorId 'AssetSync.ProxyRefused,AssetSync.Commands.InvokeCmmsSyncCommand'
        $err = $Error[0]
        $err.Exception.Message | Should -Match 'refused the login \(HTTP 40[17] from the proxy'
        $err.Exception.Message | Should -Match ([regex]::Escape($proxy.Url))
        $err.Exception.Message | Should -Not -Match 'not-the-password'
        $err.TargetObject | Should -Be $proxy.Url
        Get-LogRowCount $cs | Should -Be 0
        Invoke-TestSql $cs "SELECT count(*) FROM cmms_asset_sync_state WHERE next_attempt_at IS NOT NULL" | Select-Object -Last 1 | Should -Be 0
        # The run row is closed, as failed, naming the proxy.
        Invoke-TestSql $cs "SELECT status FROM cmms_sync_log ORDER BY id DESC LIMIT 1" | Select-Object -Last 1 | Should -Be 'failed'
    }

    It 'says the proxy asks for a login when none was given' {
        { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url } | Should -Throw -ErrorId 'AssetSync.ProxyRefused,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'asks for a login'
        Get-LogRowCount $cs | Should -Be 0
    }

    It 'stops with AssetSync.ProxyRefused, in seconds and with no row, when nothing listens on the proxy port' {
        $dead = "http://127.0.0.1:$(Get-FreeTcpPort)"
        # A 10-minute attempt timeout: only the refusal itself could end this quickly enough for the test to finish.
        { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $dead -TimeoutSec 600 } | Should -Throw -ErrorId 'AssetSync.ProxyRefused,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'did not accept a connection'
        Get-LogRowCount $cs | Should -Be 0
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'takes HTTP_PROXY (with its login) from the environment, and NO_PROXY over it, in a child pwsh' {
        # .NET proxies a loopback URL through an environment proxy (found here: the simulator sees Via); NO_PROXY lifts it.
        $login = "$($proxy.UserName):$($proxy.Password)@127.0.0.1:$($proxy.Port)"
        $script = @"
Import-Module '$manifest'
`$t = ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force
Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -ApiToken `$t -BatchSize 0 -RequestsPerSecond 500 -Summary -Verbose -AllowUnencryptedAuthentication 4>&1 | ForEach-Object { "`$_" }
"@
        $env:HTTP_PROXY = "http://$login"
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1 } finally { Remove-Item Env:HTTP_PROXY }
        ($out -join "`n") | Should -Match ([regex]::Escape("via proxy http://127.0.0.1:$($proxy.Port) (from HTTP_PROXY)"))
        ($out -join "`n") | Should -Not -Match ([regex]::Escape($proxy.Password))
        $stats = Get-SimulatorStats $sim
        $stats.viaProxy | Should -BeGreaterThan 0
        $stats.viaProxy | Should -Be $stats.requests

        Reset-Register
        $env:HTTP_PROXY = "http://$login"; $env:NO_PROXY = '127.0.0.1'
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1 } finally { Remove-Item Env:HTTP_PROXY, Env:NO_PROXY }
        ($out -join "`n") | Should -Match 'Route to Innomaint at .+: direct'
        (Get-SimulatorStats $sim).viaProxy | Should -Be 0
    }

    It 'refuses -NoProxy with -Proxy before anything is sent' {
        { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -NoProxy } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'NoProxy cannot be combined'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'refuses a proxy URL that carries a login, without repeating it' {
        { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy "http://u:hunter2-secret@127.0.0.1:$($proxy.Port)" } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Not -Match 'hunter2'
    }
}

Describe 'A proxy that takes connections and never answers' {
    It 'stops the run as AssetSync.ProxyRefused once the first requests all time out, marking no asset' {
        Reset-Register
        # The kernel completes the TCP handshake into the listener's backlog; nothing ever reads or answers.
        $silent = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $silent.Start()
        try {
            $url = "http://127.0.0.1:$($silent.LocalEndpoint.Port)"
            { Invoke-CmmsSync @fast -AllowUnencryptedAuthentication -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $url -TimeoutSec 0.5 -MaximumRetryCount 0 } |
                Should -Throw -ErrorId 'AssetSync.ProxyRefused,AssetSync.Commands.InvokeCmmsSyncCommand'
            $Error[0].Exception.Message | Should -Match 'no answer came through it'
            Get-LogRowCount $cs | Should -Be 0
            (Get-SimulatorStats $sim).requests | Should -Be 0
        } finally { $silent.Stop() }
    }
}

Describe 'A private root CA' {
    BeforeAll {
        $certs = New-TestCertificates
        $tls = Start-Simulator -Arguments @('--Assets', '12', '--Certificate', $certs.LeafPem, '--CertificateKey', $certs.LeafKey)
        $otherName = Start-Simulator -Arguments @('--Assets', '12', '--Certificate', $certs.OtherPem, '--CertificateKey', $certs.OtherKey)
        $tlsToken = ConvertTo-SecureString $tls.Token -AsPlainText -Force
    }
    AfterAll {
        Stop-Simulator $tls
        Stop-Simulator $otherName
        Remove-Item -Recurse -Force $certs.Folder -ErrorAction SilentlyContinue
    }
    BeforeEach { Reset-Register }

    It 'serves https with the given certificate' {
        $tls.BaseUrl | Should -Match '^https://127\.0\.0\.1:\d+$'
    }

    It 'refuses an untrusted chain as AssetSync.InnomaintUnreachable, naming the certificate, with no row' {
        { Invoke-CmmsSync @fast -ApiToken $tlsToken -BaseUrl $tls.BaseUrl -BatchSize 0 } | Should -Throw -ErrorId 'AssetSync.InnomaintUnreachable,AssetSync.Commands.InvokeCmmsSyncCommand'
        $message = $Error[0].Exception.Message
        $message | Should -Match "subject 'CN=127\.0\.0\.1'"
        $message | Should -Match "issuer 'CN=AssetSync Test Hospital Root CA'"
        $message | Should -Match 'UntrustedRoot|PartialChain'
        $message | Should -Match 'CertificateAuthorityPath'
        $Error[0].CategoryInfo.Category | Should -Be 'SecurityError'
        Get-LogRowCount $cs | Should -Be 0
    }

    It 'completes with -CertificateAuthorityPath, PEM or DER' -ForEach @(@{ Form = 'CaPem' }, @{ Form = 'CaDer' }) {
        $summary = Invoke-CmmsSync @fast -ApiToken $tlsToken -BaseUrl $tls.BaseUrl -BatchSize 0 -Summary -CertificateAuthorityPath $certs.$Form
        $summary.Status | Should -Be 'complete'
        $summary.Succeeded | Should -Be 12
    }

    It 'reaches an https Innomaint through HTTPS_PROXY (a CONNECT tunnel) with the hospital CA, in a child pwsh' -Skip:([bool]$noProxy) {
        $port = ([uri]$tls.BaseUrl).Port
        $script = @"
Import-Module '$manifest'
`$t = ConvertTo-SecureString '$($tls.Token)' -AsPlainText -Force
`$s = Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($tls.BaseUrl)' -ApiToken `$t -BatchSize 0 -RequestsPerSecond 500 -Summary -CertificateAuthorityPath '$($certs.CaPem)' -Verbose 4>&1
`$s | ForEach-Object { "`$_" }
"@
        $env:HTTPS_PROXY = "http://$($proxy.UserName):$($proxy.Password)@127.0.0.1:$($proxy.Port)"
        try { $out = (Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1) -join "`n" } finally { Remove-Item Env:HTTPS_PROXY }
        $out | Should -Match ([regex]::Escape("via proxy http://127.0.0.1:$($proxy.Port) (from HTTPS_PROXY)"))
        $out | Should -Match 'Status\s*=\s*complete|complete'
        $out | Should -Not -Match ([regex]::Escape($proxy.Password))
        Invoke-TestSql $cs "SELECT count(*) FROM ic3_sync_log WHERE status = 'success'" | Select-Object -Last 1 | Should -Be 12
        # The requests went through the proxy's tunnel: tinyproxy logged the CONNECTs to the simulator's port.
        Get-Content -Raw $proxy.LogFile | Should -Match "CONNECT 127\.0\.0\.1:$port"
    }

    It 'trusts a root CA made with openssl, as a hospital''s PKI team makes one' -Skip:(-not (Get-Command openssl -ErrorAction SilentlyContinue)) {
        $dir = Join-Path $certs.Folder 'openssl'
        New-Item -ItemType Directory -Path $dir | Out-Null
        $ext = Join-Path $dir 'leaf.ext'
        Set-Content -Path $ext -Value @('basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost')
        $ca = Join-Path $dir 'ca.pem'; $caKey = Join-Path $dir 'ca.key'; $key = Join-Path $dir 'leaf.key'; $csr = Join-Path $dir 'leaf.csr'; $leaf = Join-Path $dir 'leaf.pem'
        & openssl req -x509 -newkey rsa:2048 -nodes -keyout $caKey -out $ca -days 30 -subj '/CN=Hospital Root CA (openssl)' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1 | Out-Null
        & openssl req -newkey rsa:2048 -nodes -keyout $key -out $csr -subj '/CN=127.0.0.1' 2>&1 | Out-Null
        & openssl x509 -req -in $csr -CA $ca -CAkey $caKey -CAcreateserial -out $leaf -days 7 -extfile $ext 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $served = Start-Simulator -Arguments @('--Assets', '12', '--Certificate', $leaf, '--CertificateKey', $key)
        try {
            $t = ConvertTo-SecureString $served.Token -AsPlainText -Force
            { Invoke-CmmsSync @fast -ApiToken $t -BaseUrl $served.BaseUrl -BatchSize 0 } | Should -Throw -ErrorId 'AssetSync.InnomaintUnreachable,AssetSync.Commands.InvokeCmmsSyncCommand'
            $Error[0].Exception.Message | Should -Match "issuer 'CN=Hospital Root CA \(openssl\)'"
            (Invoke-CmmsSync @fast -ApiToken $t -BaseUrl $served.BaseUrl -BatchSize 0 -Summary -CertificateAuthorityPath $ca).Status | Should -Be 'complete'
        } finally { Stop-Simulator $served }
    }

    It 'still refuses a certificate for another name, even with the CA' {
        { Invoke-CmmsSync @fast -ApiToken (ConvertTo-SecureString $otherName.Token -AsPlainText -Force) -BaseUrl $otherName.BaseUrl -BatchSize 0 -CertificateAuthorityPath $certs.CaPem } |
            Should -Throw -ErrorId 'AssetSync.InnomaintUnreachable,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'another name'
        $Error[0].Exception.Message | Should -Match "subject 'CN=other\.invalid'"
        Get-LogRowCount $cs | Should -Be 0
    }

    It 'refuses a CA file that holds no certificate before anything is sent' {
        { Invoke-CmmsSync @fast -ApiToken $tlsToken -BaseUrl $tls.BaseUrl -BatchSize 0 -CertificateAuthorityPath $certs.LeafKey } |
            Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'CertificateAuthorityPath'
        $Error[0].Exception.Message | Should -Not -Match 'PRIVATE KEY'
    }
}

Describe 'A database login apart from the connection string' {
    BeforeAll {
        $db = Get-DatabaseName $cs
        $role = 'assetsync_login_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $rolePassword = 'pw-' + [guid]::NewGuid().ToString('N')
        # The password is hashed with scram-sha-256 (PostgreSQL 15's default), and the cluster's pg_hba.conf asks for it.
        Invoke-TestSql $cs "CREATE ROLE $role LOGIN PASSWORD '$rolePassword'; GRANT ALL ON ALL TABLES IN SCHEMA public TO $role; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO $role; GRANT CONNECT ON DATABASE $db TO $role; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO $role" | Out-Null
        $admin = Get-AdminConnection
        $bare = "Host=$($admin['host']);Port=$($admin['port']);Database=$db"
        $login = [pscredential]::new($role, (ConvertTo-SecureString $rolePassword -AsPlainText -Force))
    }
    AfterAll {
        Invoke-TestSql $cs "REASSIGN OWNED BY $role TO CURRENT_USER; DROP OWNED BY $role; DROP ROLE $role" | Out-Null
    }
    BeforeEach { Reset-Register }

    It 'logs in with -DatabaseCredential (scram-sha-256) to a connection string with no login in it' {
        Invoke-TestSql $cs "SELECT rolpassword LIKE 'SCRAM-SHA-256`$%' FROM pg_authid WHERE rolname = '$role'" | Select-Object -Last 1 | Should -Be 't'
        $summary = Invoke-CmmsSync -ConnectionString $bare -DatabaseCredential $login -BaseUrl $sim.BaseUrl -ApiToken $token -BatchSize 0 -RequestsPerSecond 500 -Summary
        $summary.Status | Should -Be 'complete'
        (Get-CmmsSyncStatus -ConnectionString $bare -DatabaseCredential $login).TotalAssets | Should -Be 12
        Invoke-TestSql $cs "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role'" | Out-Null
    }

    It 'refuses a connection string that already holds a Password, before anything is written' {
        $withPassword = "$bare;Username=$role;Password=other-$rolePassword"
        { Invoke-CmmsSync -ConnectionString $withPassword -DatabaseCredential $login -BaseUrl $sim.BaseUrl -ApiToken $token -BatchSize 0 } |
            Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'already holds a Password'
        $Error[0].Exception.Message | Should -Not -Match ([regex]::Escape($rolePassword))
        Invoke-TestSql $cs 'SELECT count(*) FROM cmms_sync_log' | Select-Object -Last 1 | Should -Be 0
    }

    It 'names the login refused without showing the password' {
        $wrong = [pscredential]::new($role, (ConvertTo-SecureString 'wrong-password-x9' -AsPlainText -Force))
        { Get-CmmsSyncStatus -ConnectionString $bare -DatabaseCredential $wrong } | Should -Throw -ErrorId 'AssetSync.DatabaseUnavailable,AssetSync.Commands.GetCmmsSyncStatusCommand'
        $Error[0].Exception.ToString() | Should -Not -Match 'wrong-password-x9'
    }

    It 'explains that Npgsql has no Integrated Security' {
        { Get-CmmsSyncStatus -ConnectionString "$bare;Integrated Security=true" } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncStatusCommand'
        $Error[0].Exception.Message | Should -Match 'Kerberos'
        $Error[0].Exception.Message | Should -Match 'Passfile'
    }
}
