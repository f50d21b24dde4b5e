# The services tests, the demo and the benchmarks run against: a throwaway PostgreSQL cluster
# (initdb in a temporary folder, 127.0.0.1 and a free port, run as a non-root user because postgres
# refuses to run as root), psql against it, the Innomaint simulator as a process, and a new pwsh.

Set-StrictMode -Version Latest

function Find-PgBin {
    foreach ($candidate in @($env:ASSETSYNC_PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin')) {
        if ($candidate -and (Test-Path (Join-Path $candidate 'initdb'))) { return $candidate }
    }
    $initdb = Get-Command initdb -ErrorAction SilentlyContinue
    if ($initdb) { return Split-Path $initdb.Source }
    throw "PostgreSQL's server binaries (initdb, pg_ctl) were not found. Install PostgreSQL 15 (Debian: apt-get install postgresql-15) or set ASSETSYNC_PG_BIN to the folder that holds them."
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Invoke-AsPgUser {
    param([string] $Exe, [string[]] $Arguments)
    $isRoot = (& id -u) -eq '0'
    if ($isRoot) {
        & runuser -u postgres -- $Exe @Arguments
    } else {
        & $Exe @Arguments
    }
    if ($LASTEXITCODE -ne 0) { throw "$([IO.Path]::GetFileName($Exe)) failed with exit code $LASTEXITCODE." }
}

function Start-PostgresCluster {
    <#
    .SYNOPSIS
    Starts a throwaway cluster; returns an object with ConnectionString (admin, with password), Port, DataDir, Bin.
    .PARAMETER Durable
    Keep PostgreSQL's default durability (fsync on), for benchmarks. Tests run with fsync off.
    #>
    param([switch] $Durable)
    $bin = Find-PgBin
    $isRoot = (& id -u) -eq '0'
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("assetsync-pg-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $password = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(16)).ToLowerInvariant()
    $pwFile = Join-Path $dir 'pwfile'
    Set-Content -Path $pwFile -Value $password -NoNewline
    if ($isRoot) { & chown -R postgres $dir }
    $data = Join-Path $dir 'data'
    Invoke-AsPgUser (Join-Path $bin 'initdb') @('-D', $data, '-U', 'postgres', '--auth=scram-sha-256', "--pwfile=$pwFile", '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync') | Out-Null
    & rm -f $pwFile
    $port = Get-FreeTcpPort
    $settings = @("listen_addresses='127.0.0.1'", "port=$port", "unix_socket_directories='$dir'", 'max_connections=300', 'shared_buffers=128MB')
    if (-not $Durable) { $settings += @('fsync=off', 'synchronous_commit=off', 'full_page_writes=off') }
    Add-Content -Path (Join-Path $data 'postgresql.conf') -Value ($settings -join "`n")
    Invoke-AsPgUser (Join-Path $bin 'pg_ctl') @('-D', $data, '-l', (Join-Path $dir 'server.log'), '-w', '-t', '60', 'start') | Out-Null
    [pscustomobject]@{
        ConnectionString = "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
        Host             = '127.0.0.1'
        Port             = $port
        Password         = $password
        Dir              = $dir
        DataDir          = $data
        Bin              = $bin
    }
}

function Stop-PostgresCluster {
    param([Parameter(Mandatory)] $Cluster)
    try {
        Invoke-AsPgUser (Join-Path $Cluster.Bin 'pg_ctl') @('-D', $Cluster.DataDir, '-m', 'immediate', '-w', 'stop') | Out-Null
    } catch {
        Write-Warning "Could not stop PostgreSQL cleanly: $_"
    }
    Remove-Item -Recurse -Force $Cluster.Dir -ErrorAction SilentlyContinue
}

function ConvertFrom-ConnectionString([string] $ConnectionString) {
    $parts = @{}
    foreach ($pair in $ConnectionString -split ';') { if ($pair -match '^\s*([^=]+?)\s*=\s*(.*)$') { $parts[$Matches[1].ToLowerInvariant()] = $Matches[2] } }
    $parts
}

function Invoke-PgSql {
    <#
    Runs SQL with psql against the database a connection string names. The password travels in PGPASSWORD of the psql
    process only: never in this process's environment, which thread jobs share (one job's cleanup would pull the password
    from under another's psql), and never on a command line.
    #>
    param([Parameter(Mandatory)] [string] $ConnectionString, [Parameter(Mandatory)] [string] $Sql)
    $c = ConvertFrom-ConnectionString $ConnectionString
    $info = [System.Diagnostics.ProcessStartInfo]::new((Join-Path (Find-PgBin) 'psql'))
    foreach ($a in @('-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', $c['host'], '-p', [string]($c['port'] ?? 5432),
            '-U', ($c['username'] ?? $c['user id']), '-d', ($c['database'] ?? 'postgres'), '-f', '-')) {
        $info.ArgumentList.Add($a)
    }
    $info.Environment['PGPASSWORD'] = $c['password']
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    try {
        # Both streams read at once, so neither fills up while the other is awaited.
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        $process.StandardInput.Write($Sql)
        $process.StandardInput.Close()
        $process.WaitForExit()
        $out = @($stdout.GetAwaiter().GetResult() -split "`r?`n" | Where-Object { $_ -ne '' })
        $err = $stderr.GetAwaiter().GetResult().Trim()
        if ($process.ExitCode -ne 0) { throw "psql failed: $err $($out -join ' ')" }
        $out
    } finally {
        $process.Dispose()
    }
}

function Set-ConnectionDatabase([string] $ConnectionString, [string] $Database) {
    ($ConnectionString -replace 'Database=[^;]*;?', '').TrimEnd(';') + ";Database=$Database"
}

function Start-SimulatorProcess {
    <# Starts the built simulator on 127.0.0.1; returns Process, BaseUrl and Token. Settings as '--Name', 'value' pairs. #>
    param([string[]] $Arguments = @(), [string] $Token = 'test-token', [string] $Configuration)
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $dll = Get-ChildItem (Join-Path $root 'src/AssetSync.Simulator/bin') -Recurse -Filter 'AssetSync.Simulator.dll' |
        Where-Object { -not $Configuration -or $_.FullName -like "*/$Configuration/*" } |
        Sort-Object LastWriteTime -Descending | Select-Object -First 1
    if (-not $dll) { throw 'The simulator is not built: run ./build.ps1 -Task Build.' }
    $urlFile = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-sim-' + [guid]::NewGuid().ToString('N') + '.url')
    $process = Start-Process -FilePath 'dotnet' -ArgumentList (@($dll.FullName, '--UrlFile', $urlFile, '--Token', $Token) + $Arguments) `
        -PassThru -RedirectStandardOutput ($urlFile + '.log')
    $deadline = (Get-Date).AddSeconds(30)
    while (-not (Test-Path $urlFile)) {
        if ((Get-Date) -gt $deadline -or $process.HasExited) { throw "The simulator did not start: $(Get-Content -Raw ($urlFile + '.log') -ErrorAction SilentlyContinue)" }
        Start-Sleep -Milliseconds 50
    }
    $baseUrl = (Get-Content -Raw $urlFile).Trim()
    # The URL is read: the file has done its job. Its log stays until the simulator stops (it is still writing to it).
    Remove-Item $urlFile -ErrorAction SilentlyContinue
    [pscustomobject]@{ Process = $process; BaseUrl = $baseUrl; Token = $Token; LogFile = $urlFile + '.log' }
}

function Stop-SimulatorProcess($Simulator) {
    if (-not $Simulator) { return }
    if (-not $Simulator.Process.HasExited) { $Simulator.Process.Kill($true); $Simulator.Process.WaitForExit(5000) | Out-Null }
    # Nothing left behind in the temporary folder.
    if ($Simulator.LogFile) { Remove-Item $Simulator.LogFile -ErrorAction SilentlyContinue }
}

function Start-Tinyproxy {
    <#
    Starts Debian's tinyproxy ($env:ASSETSYNC_TINYPROXY, unpacked by build.ps1) on 127.0.0.1 with a BasicAuth login; returns
    Process, Url (http://127.0.0.1:port), UserName, Password and LogFile. $null where tinyproxy cannot be had.
    #>
    param([string] $UserName = 'assetsync-proxy', [string] $Password = ('px-' + [guid]::NewGuid().ToString('N').Substring(0, 12)))
    $exe = $env:ASSETSYNC_TINYPROXY
    if (-not $exe -or -not (Test-Path $exe)) { return $null }
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-tinyproxy-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    foreach ($try in 1..5) {
        $port = Get-FreeTcpPort
        $conf = Join-Path $folder 'tinyproxy.conf'
        $log = Join-Path $folder 'tinyproxy.log'
        # No ConnectPort line: CONNECT to any port (the simulator's). Via stays on: the simulator counts it.
        Set-Content -Path $conf -Value @(
            "Port $port", 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 200', 'LogLevel Info', "LogFile `"$log`"",
            'Allow 127.0.0.1', "BasicAuth $UserName $Password")
        $process = Start-Process -FilePath $exe -ArgumentList @('-d', '-c', $conf) -PassThru -RedirectStandardOutput (Join-Path $folder 'stdout.log') -RedirectStandardError (Join-Path $folder 'stderr.log')
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ([DateTime]::UtcNow -lt $deadline -and -not $process.HasExited) {
            $client = [Net.Sockets.TcpClient]::new()
            try { $client.Connect('127.0.0.1', $port); $client.Dispose(); break } catch { $client.Dispose(); Start-Sleep -Milliseconds 50 }
        }
        if (-not $process.HasExited) {
            return [pscustomobject]@{ Process = $process; Url = "http://127.0.0.1:$port"; Port = $port; UserName = $UserName; Password = $Password; LogFile = $log; Folder = $folder }
        }
    }
    throw "tinyproxy did not start: $(Get-Content -Raw (Join-Path $folder 'stderr.log') -ErrorAction SilentlyContinue)"
}

function Stop-Tinyproxy($Proxy) {
    if (-not $Proxy) { return }
    if (-not $Proxy.Process.HasExited) { $Proxy.Process.Kill($true); $Proxy.Process.WaitForExit(5000) | Out-Null }
    Remove-Item -Recurse -Force $Proxy.Folder -ErrorAction SilentlyContinue
}

function New-TestCertificates {
    <#
    A throwaway root CA and two leaf certificates it signs, written as PEM files into a new folder: one for 127.0.0.1 (and
    localhost), one for another name (other.invalid). Returns the paths: CaPem, CaDer, LeafPem, LeafKey, OtherPem, OtherKey.
    #>
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-tls-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    $now = [DateTimeOffset]::UtcNow
    $caKey = [Security.Cryptography.RSA]::Create(2048)
    $caRequest = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=AssetSync Test Hospital Root CA', $caKey,
        [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $caRequest.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new(
        [Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign', $true))
    $caRequest.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($caRequest.PublicKey, $false))
    $ca = $caRequest.CreateSelfSigned($now.AddDays(-1), $now.AddDays(30))
    function New-Leaf([string] $Name, [string[]] $Dns, [switch] $Loopback) {
        $key = [Security.Cryptography.RSA]::Create(2048)
        $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Name", $key,
            [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $san = [Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
        foreach ($d in $Dns) { $san.AddDnsName($d) }
        if ($Loopback) { $san.AddIpAddress([Net.IPAddress]::Loopback) }
        $request.CertificateExtensions.Add($san.Build())
        $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($false, $false, 0, $false))
        $eku = [Security.Cryptography.OidCollection]::new(); $null = $eku.Add([Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
        $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($eku, $false))
        $serial = [byte[]]::new(12); [Security.Cryptography.RandomNumberGenerator]::Fill($serial)
        $cert = $request.Create($ca, $now.AddDays(-1), $now.AddDays(7), $serial)
        [pscustomobject]@{ Pem = $cert.ExportCertificatePem(); Key = $key.ExportPkcs8PrivateKeyPem() }
    }
    $leaf = New-Leaf '127.0.0.1' @('localhost') -Loopback
    $other = New-Leaf 'other.invalid' @('other.invalid')
    $paths = [ordered]@{
        Folder = $folder
        CaPem = Join-Path $folder 'hospital-root.pem'; CaDer = Join-Path $folder 'hospital-root.cer'
        LeafPem = Join-Path $folder 'innomaint.pem'; LeafKey = Join-Path $folder 'innomaint.key'
        OtherPem = Join-Path $folder 'other.pem'; OtherKey = Join-Path $folder 'other.key'
    }
    Set-Content -Path $paths.CaPem -Value $ca.ExportCertificatePem()
    [IO.File]::WriteAllBytes($paths.CaDer, $ca.RawData)
    Set-Content -Path $paths.LeafPem -Value $leaf.Pem; Set-Content -Path $paths.LeafKey -Value $leaf.Key
    Set-Content -Path $paths.OtherPem -Value $other.Pem; Set-Content -Path $paths.OtherKey -Value $other.Key
    [pscustomobject]$paths
}

function Get-SyncOptionDefault {
    <#
    AssetSync's defaults (the constants of SyncDefaults, where every default is defined once), read from the assembly
    the imported AssetSync module loaded. Import AssetSync first.
    #>
    param([string] $Name)
    $model = [System.AppDomain]::CurrentDomain.GetAssemblies() + [System.Runtime.Loader.AssemblyLoadContext]::All.Assemblies |
        Where-Object { $_.GetName().Name -eq 'AssetSync.Model' } | Select-Object -First 1
    if (-not $model) { throw 'AssetSync.Model is not loaded: import AssetSync first.' }
    $type = $model.GetType('AssetSync.SyncDefaults', $true)
    $all = [ordered]@{}
    foreach ($f in $type.GetFields('Public, Static') | Where-Object IsLiteral) { $all[$f.Name] = $f.GetRawConstantValue() }
    foreach ($p in $type.GetProperties('Public, Static')) { $all[$p.Name] = $p.GetValue($null) }
    if ($Name) { if (-not $all.Contains($Name)) { throw "SyncDefaults has no $Name." }; return $all[$Name] }
    [pscustomobject]$all
}

function Invoke-Pwsh {
    <# Runs a new pwsh the way the current one was started: as 'dotnet pwsh.dll' (the .NET tool) or as a native pwsh. #>
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'pwsh') {
        & $exe @Arguments
    } else {
        & $exe (Join-Path $PSHOME 'pwsh.dll') @Arguments
    }
}

function New-RegisterDatabase {
    <# A new database $Name with AssetSync's schema (the module at $Manifest) and a register of $Count assets (INF-0000001 on), analysed. Returns its connection string. #>
    param([string] $AdminConnectionString, [string] $Name, [int] $Count, [string] $Manifest)
    Invoke-PgSql $AdminConnectionString "CREATE DATABASE $Name" | Out-Null
    $cs = Set-ConnectionDatabase $AdminConnectionString $Name
    $null = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$Manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false"
    Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 7, '0'), i FROM generate_series(1, $Count) i; VACUUM ANALYZE;" | Out-Null
    $cs
}

function Get-CpuSecondsExpression {
    <#
    PowerShell text, for a child pwsh's script, that gives the CPU seconds its process has used (user and system) from
    /proc/self/stat: fields 14 and 15 after the command's name, in clock ticks of 1/100 s (Linux's USER_HZ).
    #>
    '((((Get-Content -Raw /proc/self/stat) -replace ''^.*\) '', '''') -split '' '')[11..12] | Measure-Object -Sum).Sum / 100'
}

Export-ModuleMember -Function Start-PostgresCluster, Stop-PostgresCluster, Find-PgBin, Get-FreeTcpPort, Invoke-AsPgUser, Invoke-Pwsh,
    ConvertFrom-ConnectionString, Invoke-PgSql, Set-ConnectionDatabase, Start-SimulatorProcess, Stop-SimulatorProcess, Get-SyncOptionDefault,
    Start-Tinyproxy, Stop-Tinyproxy, New-TestCertificates, New-RegisterDatabase, Get-CpuSecondsExpression
