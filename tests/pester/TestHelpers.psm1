# Helpers for the Pester suite: a database of its own per test file (created with psql in the
# throwaway cluster build.ps1 started), and the Innomaint simulator as a separate process.
Set-StrictMode -Version Latest
$script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $script:Root 'tests/Shared/PostgresCluster.psm1')

function Get-AdminConnection {
    $cs = $env:ASSETSYNC_TEST_CONNECTION_STRING
    if (-not $cs) { throw 'ASSETSYNC_TEST_CONNECTION_STRING is not set: run the tests with ./build.ps1 -Task Test.' }
    $parts = @{}
    foreach ($pair in $cs -split ';') { if ($pair -match '^\s*([^=]+?)\s*=\s*(.*)$') { $parts[$Matches[1].ToLowerInvariant()] = $Matches[2] } }
    $parts
}

function Invoke-Psql {
    param([Parameter(Mandatory)] [string] $Sql, [string] $Database = 'postgres')
    $c = Get-AdminConnection
    $psql = Join-Path (Find-PgBin) 'psql'
    $env:PGPASSWORD = $c['password']
    try {
        $out = $Sql | & $psql -X -q -t -A -v ON_ERROR_STOP=1 -h $c['host'] -p $c['port'] -U $c['username'] -d $Database -f - 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
        $out
    } finally {
        Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue
    }
}

function New-TestDatabase {
    <# Creates an empty database; returns its connection string. #>
    $name = 'p_' + [guid]::NewGuid().ToString('N').Substring(0, 16)
    Invoke-Psql "CREATE DATABASE $name" | Out-Null
    $c = Get-AdminConnection
    "Host=$($c['host']);Port=$($c['port']);Username=$($c['username']);Password=$($c['password']);Database=$name"
}

function Get-DatabaseName([string] $ConnectionString) { ([regex]::Match($ConnectionString, 'Database=([^;]+)')).Groups[1].Value }

function Remove-TestDatabase([string] $ConnectionString) {
    if ($ConnectionString) { Invoke-Psql "DROP DATABASE IF EXISTS $(Get-DatabaseName $ConnectionString) WITH (FORCE)" | Out-Null }
}

function Invoke-TestSql([string] $ConnectionString, [string] $Sql) { Invoke-Psql -Sql $Sql -Database (Get-DatabaseName $ConnectionString) }

function Add-TestAsset([string] $ConnectionString, [int] $Count, [int] $From = 1) {
    Invoke-TestSql $ConnectionString "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series($From, $($From + $Count - 1)) i" | Out-Null
}

function Start-Simulator {
    <# Starts the simulator process on 127.0.0.1; returns Process, BaseUrl, Token. Extra settings as '--Name', 'value' pairs. #>
    param([string[]] $Arguments = @(), [string] $Token = 'pester-token-7d2e')
    $dll = Get-ChildItem (Join-Path $script:Root 'src/AssetSync.Simulator/bin') -Recurse -Filter 'AssetSync.Simulator.dll' |
        Sort-Object LastWriteTime -Descending | Select-Object -First 1
    if (-not $dll) { throw 'The simulator is not built: run ./build.ps1 -Task Build.' }
    $urlFile = Join-Path ([IO.Path]::GetTempPath()) ("sim-" + [guid]::NewGuid().ToString('N') + '.url')
    $allArgs = @($dll.FullName, '--UrlFile', $urlFile, '--Token', $Token) + $Arguments
    $process = Start-Process -FilePath 'dotnet' -ArgumentList $allArgs -PassThru -RedirectStandardOutput ($urlFile + '.log')
    $deadline = (Get-Date).AddSeconds(30)
    while (-not (Test-Path $urlFile)) {
        if ((Get-Date) -gt $deadline -or $process.HasExited) { throw "The simulator did not start: $(Get-Content -Raw ($urlFile + '.log') -ErrorAction SilentlyContinue)" }
        Start-Sleep -Milliseconds 50
    }
    [pscustomobject]@{ Process = $process; BaseUrl = (Get-Content -Raw $urlFile).Trim(); Token = $Token }
}

function Stop-Simulator($Simulator) {
    if ($Simulator -and -not $Simulator.Process.HasExited) { $Simulator.Process.Kill($true); $Simulator.Process.WaitForExit(5000) | Out-Null }
}

function Get-SimulatorStats($Simulator) { Invoke-RestMethod "$($Simulator.BaseUrl)/_sim/stats" }

function Invoke-Pwsh { param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments) PostgresCluster\Invoke-Pwsh @Arguments }

Export-ModuleMember -Function *
