# What a hostile answer, a careless setting or a spoofed network gets (issue 36): each case against the built module, with the
# real tools where they exist (openssl for the certificates, Debian's tinyproxy, the simulator for the headers).
BeforeDiscovery {
    $script:noProxy = if (-not $env:ASSETSYNC_TINYPROXY -or -not (Test-Path $env:ASSETSYNC_TINYPROXY)) { 'tinyproxy is not available' }
    $script:noOpenssl = if (-not (Get-Command openssl -ErrorAction SilentlyContinue)) { 'openssl is not installed' }
    $script:onWindows = $IsWindows
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    Import-Module $manifest -Force
    $job = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
    $cs, $sim = New-SyncTestSetup -Assets 12
    $token = ConvertTo-SecureString $sim.Token -AsPlainText -Force
    $fast = @{ RetryIntervalSec = 0.01; RequestsPerSecond = 500; ConnectionString = $cs; ApiToken = $token }
    $proxy = if ($env:ASSETSYNC_TINYPROXY) { Start-Tinyproxy }
    if ($proxy) { $proxyLogin = [pscredential]::new($proxy.UserName, (ConvertTo-SecureString $proxy.Password -AsPlainText -Force)) }
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-edges-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    $admin = Get-AdminConnection
    $bare = "Host=$($admin['host']);Port=$($admin['port']);Database=$(Get-DatabaseName $cs);Username=$($admin['username'])"

    function Reset-Register {
        Invoke-TestSql $cs 'TRUNCATE ic3_sync_log, cmms_asset_sync_state; DELETE FROM cmms_sync_log' | Out-Null
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/stats/reset" | Out-Null
        Invoke-RestMethod -Method Post "$($sim.BaseUrl)/_sim/heal" | Out-Null
        Set-SimulatorConfig $sim @{ ExtraHeaders = @{} }
    }
    function New-File([string] $Name, [string] $Body, [string] $Mode) {
        $path = Join-Path $folder $Name
        Set-Content -Path $path -Value $Body
        if ($Mode -and -not $IsWindows) { & chmod $Mode $path }
        $path
    }
}
AfterAll {
    Stop-Tinyproxy $proxy
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue
}

Describe 'Rate-limit headers on good answers' {
    BeforeEach { Reset-Register }

    It 'complete the run with every asset synced: <Case>' -ForEach @(
        @{ Case = 'X-RateLimit-Reset in epoch milliseconds'; Headers = @{ 'X-RateLimit-Remaining' = '100'; 'X-RateLimit-Reset' = "$([DateTimeOffset]::UtcNow.AddSeconds(1).ToUnixTimeMilliseconds())" } }
        @{ Case = 'X-RateLimit-Reset past what a double holds'; Headers = @{ 'X-RateLimit-Remaining' = '100'; 'X-RateLimit-Reset' = ('9' * 400) } }
        @{ Case = 'RateLimit t past what a TimeSpan holds'; Headers = @{ 'RateLimit' = '"default";r=100;t=99999999999999999999999999999999999999' } }
        @{ Case = 'RateLimit t of a year'; Headers = @{ 'RateLimit' = '"default";r=100;t=31536000' } }
        @{ Case = 'all of them together'; Headers = @{ 'RateLimit' = '"default";r=100;t=31536000'; 'RateLimit-Policy' = '"default";q=1000;w=1'
                'X-RateLimit-Remaining' = '100'; 'X-RateLimit-Reset' = ('9' * 40); 'X-RateLimit-Limit' = '1000' } }
    ) {
        Set-SimulatorConfig $sim @{ ExtraHeaders = $Headers }
        $summary = Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 -Summary
        $summary.Status | Should -Be 'complete'
        $summary.Succeeded | Should -Be 12
        $summary.Failed | Should -Be 0
    }
}

Describe 'A loopback http URL reached through a proxy' -Skip:([bool]$noProxy) {
    BeforeEach { Reset-Register }

    It 'is refused through -Proxy before anything is sent, and allowed with -AllowUnencryptedAuthentication and a warning' {
        { Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -ProxyCredential $proxyLogin } |
            Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match 'travel to the proxy unencrypted'
        (Get-SimulatorStats $sim).requests | Should -Be 0
        (Get-Content -Raw $proxy.LogFile) | Should -Not -Match 'GET http://127\.0\.0\.1'

        $summary = Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -ProxyCredential $proxyLogin -AllowUnencryptedAuthentication -Summary -WarningVariable warned 3> $null
        $summary.Succeeded | Should -Be 12
        ($warned -join "`n") | Should -Match 'sent unencrypted over plain http .*via proxy'
    }

    It 'is refused through HTTP_PROXY too, in a child pwsh' {
        $script = @"
Import-Module '$manifest'
`$t = ConvertTo-SecureString '$($sim.Token)' -AsPlainText -Force
try { Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -ApiToken `$t -BatchSize 0 -ErrorAction Stop; 'no error' } catch { `$_.FullyQualifiedErrorId }
"@
        $env:HTTP_PROXY = "http://$($proxy.UserName):$($proxy.Password)@127.0.0.1:$($proxy.Port)"
        try { $out = (Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1) -join "`n" } finally { Remove-Item Env:HTTP_PROXY }
        $out | Should -Match 'AssetSync.InvalidSetting'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }
}

Describe 'Proxy-Status on an answer the proxy forwarded' -Skip:([bool]$noProxy) {
    BeforeEach { Reset-Register }

    It 'without an error, Innomaint''s own 503 is retried as Innomaint''s, not taken for the proxy''s' {
        Set-SimulatorConfig $sim @{ ExtraHeaders = @{ 'Proxy-Status' = 'ExampleCDN; received-status=503' } }
        Set-SimulatorFault $sim @{ scripts = @{ 'INF-000004' = @('503') } }
        $summary = Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -ProxyCredential $proxyLogin -AllowUnencryptedAuthentication -Summary 3> $null
        $summary.Status | Should -Be 'complete'
        $summary.Succeeded | Should -Be 12
        Invoke-TestSql $cs "SELECT attempts FROM ic3_sync_log WHERE serialnumber = 'INF-000004'" | Select-Object -Last 1 | Should -Be 2
    }

    It 'naming an error, the 503 is the proxy''s and stops the run with AssetSync.ProxyRefused, marking no asset' {
        Set-SimulatorConfig $sim @{ ExtraHeaders = @{ 'Proxy-Status' = 'proxy.hospital; error=destination_unavailable' } }
        Set-SimulatorFault $sim @{ repeatLast = $true; random = '503=1' }
        { Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 -Proxy $proxy.Url -ProxyCredential $proxyLogin -AllowUnencryptedAuthentication 3> $null } |
            Should -Throw -ErrorId 'AssetSync.ProxyRefused,AssetSync.Commands.InvokeCmmsSyncCommand'
        Get-LogRowCount $cs | Should -Be 0
    }
}

Describe 'A certificate made for something else, under the trusted root (openssl)' -Skip:([bool]$noOpenssl) {
    BeforeAll {
        $dir = Join-Path $folder 'pki'
        New-Item -ItemType Directory -Path $dir | Out-Null
        $ca = Join-Path $dir 'ca.pem'; $caKey = Join-Path $dir 'ca.key'
        & openssl req -x509 -newkey rsa:2048 -nodes -keyout $caKey -out $ca -days 30 -subj '/CN=Hospital Root CA (openssl)' -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1 | Out-Null
        function New-Leaf([string] $Purpose) {
            $ext = Join-Path $dir "$Purpose.ext"; $key = Join-Path $dir "$Purpose.key"; $csr = Join-Path $dir "$Purpose.csr"; $pem = Join-Path $dir "$Purpose.pem"
            Set-Content -Path $ext -Value @('basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', "extendedKeyUsage=$Purpose", 'subjectAltName=IP:127.0.0.1,DNS:localhost')
            & openssl req -newkey rsa:2048 -nodes -keyout $key -out $csr -subj '/CN=127.0.0.1' 2>&1 | Out-Null
            & openssl x509 -req -in $csr -CA $ca -CAkey $caKey -CAcreateserial -out $pem -days 7 -extfile $ext 2>&1 | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "openssl could not sign the $Purpose certificate" }
            @{ Pem = $pem; Key = $key }
        }
    }
    BeforeEach { Reset-Register }

    It 'refuses one made for <Purpose> as AssetSync.InnomaintUnreachable, and no request carries the token' -ForEach @(@{ Purpose = 'clientAuth' }, @{ Purpose = 'emailProtection' }) {
        $leaf = New-Leaf $Purpose
        $served = Start-Simulator -Arguments @('--Assets', '12', '--Certificate', $leaf.Pem, '--CertificateKey', $leaf.Key)
        try {
            $t = ConvertTo-SecureString $served.Token -AsPlainText -Force
            { Invoke-CmmsSync @fast -ApiToken $t -BaseUrl $served.BaseUrl -BatchSize 0 -CertificateAuthorityPath $ca } |
                Should -Throw -ErrorId 'AssetSync.InnomaintUnreachable,AssetSync.Commands.InvokeCmmsSyncCommand'
            $Error[0].Exception.Message | Should -Match 'NotValidForUsage'
            # The handshake failed, so no HTTP request (and no token) reached the server.
            (Invoke-RestMethod "$($served.BaseUrl)/_sim/stats" -SkipCertificateCheck).requests | Should -Be 0
            Get-LogRowCount $cs | Should -Be 0
        } finally { Stop-Simulator $served }
    }

    It 'accepts one made for serverAuth under the same root' {
        $leaf = New-Leaf 'serverAuth'
        $served = Start-Simulator -Arguments @('--Assets', '12', '--Certificate', $leaf.Pem, '--CertificateKey', $leaf.Key)
        try {
            $t = ConvertTo-SecureString $served.Token -AsPlainText -Force
            (Invoke-CmmsSync @fast -ApiToken $t -BaseUrl $served.BaseUrl -BatchSize 0 -CertificateAuthorityPath $ca -Summary).Succeeded | Should -Be 12
        } finally { Stop-Simulator $served }
    }
}

Describe 'Files that decide where the secrets go' -Skip:([bool]$onWindows) {
    It 'refuses a settings file that <Who> may write, naming the file and who, before anything is read' -ForEach @(
        @{ Who = 'every other user'; Mode = '0646' }, @{ Who = 'its group'; Mode = '0664' }) {
        $file = New-File "writable-$Mode.psd1" "@{ BaseUrl = 'https://attacker.invalid' }" $Mode
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Match ([regex]::Escape("'$file' (ConfigurationPath) may be written by $Who (mode $Mode)"))
        & chmod 0644 $file
        (Get-CmmsSyncConfiguration -ConfigurationPath $file -Name BaseUrl).Value | Should -Be 'https://attacker.invalid'
    }

    It 'refuses a settings file in a folder others may write (no sticky bit)' {
        $open = Join-Path $folder 'open'
        New-Item -ItemType Directory -Path $open | Out-Null
        & chmod 0777 $open
        $file = Join-Path $open 'assetsync.psd1'
        Set-Content -Path $file -Value "@{ Keep = 3 }"
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Match 'may replace it in its folder'
    }

    It 'refuses a CA file others may write, from the file or a parameter' {
        $certs = New-TestCertificates
        try {
            & chmod 0666 $certs.CaPem
            { Invoke-CmmsSync @fast -BaseUrl 'https://127.0.0.1:9' -BatchSize 0 -CertificateAuthorityPath $certs.CaPem } |
                Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
            $Error[0].Exception.Message | Should -Match 'CA file .*may be written by its group and every other user'
            $file = New-File 'ca-from-file.psd1' "@{ CertificateAuthorityPath = '$($certs.CaPem)' }"
            { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        } finally { Remove-Item -Recurse -Force $certs.Folder }
    }

    It 'never takes <Name> from a file' -ForEach @(@{ Name = 'SkipCertificateCheck' }, @{ Name = 'AllowUnencryptedAuthentication' }) {
        $file = New-File "$Name.psd1" "@{ $Name = `$true }"
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Match "sets $Name, which lowers the guard"
    }
}

Describe 'The job''s own settings' {
    BeforeAll {
        $logs = Join-Path $folder 'job-logs'
        New-Item -ItemType Directory -Path $logs | Out-Null
        if (-not $IsWindows) { & chmod 0700 $logs }
        # The history a refused setting must leave alone: three old transcripts and their CSVs.
        foreach ($n in 1..3) { Set-Content (Join-Path $logs "assetsync-2026010$n-000000-000.log") 'old'; Set-Content (Join-Path $logs "failures-2026010$n-000000-000.csv") 'old' }
        function Invoke-JobFromFile([string] $Body, [hashtable] $Environment = @{}) {
            $file = New-File ('job-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.psd1') $Body
            $env:ASSETSYNC_API_TOKEN = $sim.Token; $env:PGPASSWORD = $admin['password']
            $saved = @{}
            foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
            try { $out = Invoke-Pwsh -NoProfile -NonInteractive -File $job -ConfigurationPath $file 2>&1; $code = $LASTEXITCODE }
            finally { Remove-Item Env:ASSETSYNC_API_TOKEN, Env:PGPASSWORD; foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
            [pscustomobject]@{ ExitCode = $code; Output = ($out -join "`n"); File = $file }
        }
        $base = "ConnectionString = '$bare'; BaseUrl = '$($sim.BaseUrl)'; RequestsPerSecond = 500; RetryIntervalSec = 0.01"
    }
    BeforeEach { Reset-Register }

    It 'refuses <Setting> = <Value> from a file with exit 2, and removes nothing' -ForEach @(
        @{ Setting = 'Keep'; Value = '0' }, @{ Setting = 'Keep'; Value = '20000' }, @{ Setting = 'LogRetentionDays'; Value = '0.01' },
        @{ Setting = 'LogRetentionDays'; Value = '-1' }, @{ Setting = 'MaxFailedPercent'; Value = '101' }) {
        Invoke-CmmsSync @fast -BaseUrl $sim.BaseUrl -BatchSize 0 | Out-Null
        $rows = Get-LogRowCount $cs
        $rows | Should -Be 12
        $r = Invoke-JobFromFile "@{ $base; LogPath = '$logs'; $Setting = $Value }"
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match $Setting
        @(Get-ChildItem $logs -Filter 'assetsync-*.log').Count | Should -Be 3
        @(Get-ChildItem $logs -Filter 'failures-*.csv').Count | Should -Be 3
        Get-LogRowCount $cs | Should -Be $rows
    }

    It 'takes a relative LogPath from the settings file''s folder, not the working folder' {
        $r = Invoke-JobFromFile "@{ $base; LogPath = 'relative-logs'; Keep = 2 }"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        @(Get-ChildItem (Join-Path $folder 'relative-logs') -Filter 'assetsync-*.log').Count | Should -Be 1
    }

    It 'writes to the account''s own folder by default, created owner-only' -Skip:([bool]$onWindows) {
        $home2 = Join-Path $folder 'home'
        New-Item -ItemType Directory -Path $home2 | Out-Null
        $r = Invoke-JobFromFile "@{ $base }" @{ HOME = $home2; XDG_STATE_HOME = '' }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $default = Join-Path $home2 '.local/state/AssetSync/logs'
        @(Get-ChildItem $default -Filter 'assetsync-*.log').Count | Should -Be 1
        (& stat -c '%a' $default) | Should -Be '700'
    }

    It 'refuses a log folder others may write, with exit 2' -Skip:([bool]$onWindows) {
        $shared = Join-Path $folder 'shared-logs'
        New-Item -ItemType Directory -Path $shared | Out-Null
        & chmod 1777 $shared
        $r = Invoke-JobFromFile "@{ $base; LogPath = '$shared' }"
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'may be written by its group and every other user'
        @(Get-ChildItem $shared).Count | Should -Be 0
    }

    It 'refuses a credential file others may write, with exit 2' -Skip:([bool]$onWindows) {
        $credential = Join-Path $folder 'token.xml'
        [pscredential]::new('token', (ConvertTo-SecureString $sim.Token -AsPlainText -Force)) | Export-Clixml -Path $credential
        & chmod 0666 $credential
        $r = Invoke-JobFromFile "@{ $base; LogPath = '$logs'; Keep = 10; CredentialPath = '$credential' }"
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'credential file .*may be written by'
    }
}

Describe 'Secrets in text' {
    BeforeEach { Reset-Register }

    It 'a base URL that does not parse is refused without its login' {
        { Invoke-CmmsSync @fast -BaseUrl 'https://svc:pw-8842-secret@cmms.example.org:44x' -BatchSize 0 } |
            Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        ($Error[0] | Format-List * -Force | Out-String) + $Error[0].Exception.ToString() | Should -Not -Match 'pw-8842-secret'
        $Error[0].Exception.Message | Should -Match ([regex]::Escape('https://***@cmms.example.org:44x'))
    }

    It 'a plain-text -ApiToken is refused without being repeated' {
        { Invoke-CmmsSync -ConnectionString $cs -BaseUrl $sim.BaseUrl -ApiToken 'plain-token-5519' -BatchSize 0 } | Should -Throw
        $text = ($Error[0] | Format-List * -Force | Out-String) + $Error[0].Exception.ToString()
        $text | Should -Not -Match 'plain-token-5519'
        $text | Should -Match 'SecureString'
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'Get-CmmsSyncConfiguration masks a login in -Proxy and in ASSETSYNC_BASE_URL' {
        $env:ASSETSYNC_BASE_URL = 'https://svc:base-pw-3391@cmms.example.org'
        try {
            $settings = Get-CmmsSyncConfiguration -Proxy 'http://px:proxy-pw-7710@proxy.hospital:3128'
        } finally { Remove-Item Env:ASSETSYNC_BASE_URL }
        $text = $settings | Format-List * | Out-String
        $text | Should -Not -Match 'base-pw-3391|proxy-pw-7710'
        ($settings | Where-Object Name -eq 'Proxy').Value | Should -Match ([regex]::Escape('***@proxy.hospital'))
        ($settings | Where-Object Name -eq 'BaseUrl').Value | Should -Be 'https://***@cmms.example.org'
    }

    It 'SslPassword in a connection string is refused in the file and masked where shown' {
        $file = New-File 'sslpassword.psd1' "@{ ConnectionString = '$bare;SSL Password=ssl-pw-4471' }"
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Not -Match 'ssl-pw-4471'
        (Get-CmmsSyncConfiguration -ConnectionString "$bare;SSL Password=ssl-pw-4471" -Name ConnectionString | Format-List * | Out-String) | Should -Not -Match 'ssl-pw-4471'
    }

    It 'a connection string given as a list in the file is refused, its parts not shown' {
        $file = New-File 'list.psd1' "@{ ConnectionString = '$bare', ';Password=list-pw-6620' }"
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Match 'a list of 2 values; it takes one String'
        $Error[0].Exception.Message | Should -Not -Match 'list-pw-6620'
    }

    It 'no secret form reaches the transcript, the metrics file or the HTML report' {
        $transcript = Join-Path $folder 'secrets-transcript.txt'
        $prom = Join-Path $folder 'secrets.prom'
        $html = Join-Path $folder 'secrets.html'
        # Every secret travels by environment: the transcript may echo the script's own text, which then holds none of them.
        $secrets = @{ ASSETSYNC_T_TOKEN = $sim.Token; ASSETSYNC_T_BASE = 'https://svc:pw-8842-secret@cmms.example.org:44x'; ASSETSYNC_T_PLAIN = 'plain-token-5519'
            ASSETSYNC_BASE_URL = 'https://svc:base-pw-3391@cmms.example.org'; ASSETSYNC_T_PROXY = 'http://px:proxy-pw-7710@proxy.hospital:3128'
            ASSETSYNC_T_SSL = "$bare;SSL Password=ssl-pw-4471"; ASSETSYNC_CONNECTION_STRING = $cs }
        $script = @"
Start-Transcript -Path '$transcript' | Out-Null
Import-Module '$manifest'
`$t = ConvertTo-SecureString `$env:ASSETSYNC_T_TOKEN -AsPlainText -Force
try { Invoke-CmmsSync -BaseUrl `$env:ASSETSYNC_T_BASE -ApiToken `$t -ErrorAction Stop } catch { `$_ | Format-List * -Force | Out-String }
try { Invoke-CmmsSync -ApiToken `$env:ASSETSYNC_T_PLAIN -ErrorAction Stop } catch { `$_ | Format-List * -Force | Out-String }
Get-CmmsSyncConfiguration -Proxy `$env:ASSETSYNC_T_PROXY -ConnectionString `$env:ASSETSYNC_T_SSL | Format-List * | Out-String
Remove-Item Env:ASSETSYNC_BASE_URL
Invoke-CmmsSync -BaseUrl '$($sim.BaseUrl)' -ApiToken `$t -BatchSize 0 -RequestsPerSecond 500 -MetricsPath '$prom' -Summary | Format-List * | Out-String
Export-CmmsSyncReport -Path '$html' | Out-Null
Stop-Transcript | Out-Null
"@
        foreach ($k in $secrets.Keys) { Set-Item "Env:$k" $secrets[$k] }
        try { Invoke-Pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-Null } finally { foreach ($k in $secrets.Keys) { Remove-Item "Env:$k" -ErrorAction SilentlyContinue } }
        foreach ($path in $transcript, $prom, $html) {
            Test-Path $path | Should -BeTrue -Because "$path is written"
            $text = Get-Content -Raw $path
            foreach ($secret in 'pw-8842-secret', 'plain-token-5519', 'base-pw-3391', 'proxy-pw-7710', 'ssl-pw-4471', $sim.Token, $admin['password']) {
                $text.Contains($secret) | Should -BeFalse -Because "$path must not hold a secret"
            }
        }
        # The transcript did record the errors and the masked settings, so the search had something to search.
        Get-Content -Raw $transcript | Should -Match ([regex]::Escape('https://***@cmms.example.org'))
    }
}
