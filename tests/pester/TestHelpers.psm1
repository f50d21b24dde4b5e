# Helpers for the Pester suite: a database of its own per test file (created with psql in the
# throwaway cluster build.ps1 started), and the Innomaint simulator as a separate process.
Set-StrictMode -Version Latest
$script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $script:Root 'tests/Shared/TestServices.psm1')

function Get-AdminConnection {
    $cs = $env:ASSETSYNC_TEST_CONNECTION_STRING
    if (-not $cs) { throw 'ASSETSYNC_TEST_CONNECTION_STRING is not set: run the tests with ./build.ps1 -Task Test.' }
    ConvertFrom-ConnectionString $cs
}

function New-TestDatabase {
    <# Creates an empty database; returns its connection string. #>
    $name = 'p_' + [guid]::NewGuid().ToString('N').Substring(0, 16)
    Invoke-PgSql $env:ASSETSYNC_TEST_CONNECTION_STRING "CREATE DATABASE $name" | Out-Null
    Set-ConnectionDatabase $env:ASSETSYNC_TEST_CONNECTION_STRING $name
}

function Get-DatabaseName([string] $ConnectionString) { (ConvertFrom-ConnectionString $ConnectionString)['database'] }

function Remove-TestDatabase([string] $ConnectionString) {
    if ($ConnectionString) { Invoke-PgSql $env:ASSETSYNC_TEST_CONNECTION_STRING "DROP DATABASE IF EXISTS $(Get-DatabaseName $ConnectionString) WITH (FORCE)" | Out-Null }
}

function Invoke-TestSql([string] $ConnectionString, [string] $Sql) { Invoke-PgSql $ConnectionString $Sql }

function Add-TestAsset([string] $ConnectionString, [int] $Count, [int] $From = 1) {
    Invoke-TestSql $ConnectionString "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series($From, $($From + $Count - 1)) i" | Out-Null
}

function New-SyncTestSetup {
    <#
    The set-up most files share: a database of their own with the schema and -Assets register rows, and a simulator serving
    as many assets (plus -SimulatorArguments). Returns the connection string and the simulator: $cs, $sim = New-SyncTestSetup 20.
    Import AssetSync first. Tear down with Stop-Simulator $sim and Remove-TestDatabase $cs.
    #>
    param([Parameter(Mandatory)] [int] $Assets, [string[]] $SimulatorArguments = @())
    $cs = New-TestDatabase
    Initialize-CmmsSyncSchema -ConnectionString $cs -Confirm:$false
    Add-TestAsset $cs -Count $Assets
    $sim = Start-Simulator -Arguments (@('--Assets', "$Assets") + $SimulatorArguments)
    $cs, $sim
}

function Start-Simulator {
    param([string[]] $Arguments = @(), [string] $Token = 'pester-token-7d2e')
    Start-SimulatorProcess -Arguments $Arguments -Token $Token
}

function Stop-Simulator($Simulator) { Stop-SimulatorProcess $Simulator }

function Set-SimulatorFault {
    <# Scripts faults at the simulator: @{ scripts = @{ 'INF-000003' = @('503', '500') }; repeatLast = $true; random = 'timeout=1' }. #>
    param([Parameter(Mandatory)] $Simulator, [Parameter(Mandatory)] [hashtable] $Faults)
    Invoke-RestMethod -Method Post "$($Simulator.BaseUrl)/_sim/faults" -ContentType 'application/json' -Body ($Faults | ConvertTo-Json -Depth 5) | Out-Null
}

function Set-SimulatorConfig {
    <# Changes the simulator's settings while it runs: @{ LatencyMs = 150 }. #>
    param([Parameter(Mandatory)] $Simulator, [Parameter(Mandatory)] [hashtable] $Settings)
    Invoke-RestMethod -Method Post "$($Simulator.BaseUrl)/_sim/config" -ContentType 'application/json' -Body ($Settings | ConvertTo-Json -Depth 5) | Out-Null
}

function Get-SimulatorStats($Simulator) { Invoke-RestMethod "$($Simulator.BaseUrl)/_sim/stats" }

function Invoke-Pwsh { param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments) TestServices\Invoke-Pwsh @Arguments }

function Get-SyncOptionDefault { param([string] $Name) TestServices\Get-SyncOptionDefault @PSBoundParameters }

function Start-Tinyproxy { TestServices\Start-Tinyproxy }

function Stop-Tinyproxy($Proxy) { TestServices\Stop-Tinyproxy $Proxy }

function New-TestCertificates { TestServices\New-TestCertificates }

function Wait-Until {
    <#
    The one poll-until of the Pester suite, for states no event announces (a row another process writes, requests in flight
    at the simulator): runs -Condition every 50 ms until it is true, or throws naming -Because after -TimeoutSec.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Condition, [Parameter(Mandatory)] [string] $Because, [double] $TimeoutSec = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Waited $TimeoutSec s for $Because." }
        Start-Sleep -Milliseconds 50
    }
}

function Get-FreeTcpPort { TestServices\Get-FreeTcpPort }

function Get-LogRowCount([string] $ConnectionString) {
    [int](Invoke-TestSql $ConnectionString 'SELECT count(*) FROM ic3_sync_log' | Select-Object -Last 1)
}

Export-ModuleMember -Function *
