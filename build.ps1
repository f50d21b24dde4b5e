#!/usr/bin/env pwsh
<#
.SYNOPSIS
Builds, tests, demonstrates, benchmarks and packages AssetSync.

.DESCRIPTION
  Build    compiles the engine, the cmdlets and the simulator; lays out module/bin so that
           Import-Module ./AssetSync.psd1 works from the repository root.
  Test     Build, then xunit, then Pester against the built module, on a throwaway PostgreSQL
           (unless ASSETSYNC_TEST_CONNECTION_STRING names one). Ends with "N passed, N failed".
  Demo     Build, then a full sync against the simulator and a throwaway PostgreSQL.
  Bench    Build, then whole-run benchmarks on a throwaway PostgreSQL with default durability
           (-Quick: a reduced set); prints one table row per scenario, also in out/bench.md.
  Package  Build, then a versioned module folder (out/package/AssetSync/<version>) and its
           .nupkg (out/package), ready for Publish-PSResource or a file share.
  Clean    removes build output.

.EXAMPLE
dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo

.EXAMPLE
dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Demo: leave PostgreSQL and the simulator running, and print the $env: lines to use them.
    [switch] $KeepRunning,

    # Demo: use this PostgreSQL (a fresh database is created in it) instead of a throwaway cluster.
    [string] $ConnectionString,

    # Bench: a reduced set, in under 3 minutes.
    [switch] $Quick,

    # Package: use the module already built.
    [switch] $NoBuild,

    # Test: only these Pester files / xunit filter, for a quick loop.
    [string] $PesterPath,
    [string] $XunitFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleBin = Join-Path $root 'module/bin'
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force

function Invoke-Native {
    param([string] $Exe, [string[]] $Arguments)
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "'$Exe $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Write-Host "== Build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $root 'AssetSync.sln'), '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')
    # The cmdlet assembly alone in module/bin; the engine and its packages in module/bin/engine,
    # where only the module's own load context looks (see EngineLoadContext.cs).
    if (Test-Path $moduleBin) { Remove-Item -Recurse -Force $moduleBin }
    New-Item -ItemType Directory -Path (Join-Path $moduleBin 'engine') | Out-Null
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/AssetSync.Engine'), '-c', $Configuration, '--no-build', '--nologo', '-v', 'quiet',
        '-o', (Join-Path $moduleBin 'engine'))
    $commands = Join-Path $root "src/AssetSync.Commands/bin/$Configuration/net10.0"
    Copy-Item (Join-Path $commands 'AssetSync.Commands.dll'), (Join-Path $commands 'AssetSync.Commands.pdb') $moduleBin
    # The user-facing types (results, errors) live in the default context, beside the cmdlets.
    Move-Item (Join-Path $moduleBin 'engine/AssetSync.Model.*') $moduleBin
    Remove-Item (Join-Path $moduleBin 'engine/*.deps.json') -ErrorAction SilentlyContinue
    # PowerShell looks for help in <ModuleBase>/en-US, and the manifest sits at the repository root.
    $helpOut = Join-Path $root 'en-US'
    if (Test-Path $helpOut) { Remove-Item -Recurse -Force $helpOut }
    Copy-Item -Recurse (Join-Path $root 'module/en-US') $helpOut
    Write-Host "   module laid out in $moduleBin"
}

function Get-NuGetPackageRoot {
    $line = (& dotnet nuget locals global-packages --list) -join "`n"
    if ($line -match 'global-packages:\s*(.+)$') { return $Matches[1].Trim() }
    return (Join-Path $HOME '.nuget/packages')
}

function Restore-TestDependencies {
    Invoke-Native dotnet @('restore', (Join-Path $root 'tests/Shared/TestDependencies.csproj'), '--nologo', '-v', 'quiet')
    $packages = Get-NuGetPackageRoot
    $pester = Get-ChildItem -Path (Join-Path $packages 'pester/5.7.1') -Recurse -Filter 'Pester.psd1' | Select-Object -First 1
    if (-not $pester) { throw "Pester 5.7.1 was not restored into $packages." }
    $npgsql8 = Join-Path $packages 'npgsql/8.0.9/lib/net8.0/Npgsql.dll'
    [pscustomobject]@{ Pester = $pester.FullName; Npgsql8 = $npgsql8 }
}

function Start-TestCluster {
    if ($env:ASSETSYNC_TEST_CONNECTION_STRING) {
        Write-Host "   using ASSETSYNC_TEST_CONNECTION_STRING"
        return $null
    }
    $cluster = Start-PostgresCluster
    $env:ASSETSYNC_TEST_CONNECTION_STRING = $cluster.ConnectionString
    $env:ASSETSYNC_TEST_PG_DATADIR = $cluster.DataDir
    $env:ASSETSYNC_TEST_PG_BIN = $cluster.Bin
    Write-Host "   throwaway PostgreSQL on 127.0.0.1:$($cluster.Port)"
    return $cluster
}

function Install-TestPrerequisites {
    # Real clients users have, from Debian's packages: a Prometheus parser and promtool for the metrics tests (unpacked into
    # out/, no root needed), Chromium for the report test (installed). Where one cannot be had, its test says so.
    Install-PrometheusTools
    Install-Tinyproxy
    # The report test renders HTML in Debian's Chromium; install it where this machine can.
    if (Get-Command chromium, chromium-browser -ErrorAction SilentlyContinue) { return }
    if ((& id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host '== Installing chromium (Debian package) for the report test'
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Update-AptLists
        & apt-get install -y -qq chromium | Out-Null
        if ($LASTEXITCODE -ne 0) { Write-Warning 'Could not install chromium; the report test will fail.' }
    } else {
        Write-Warning 'chromium is not installed (Debian: apt-get install chromium); the report test will fail.'
    }
}

$script:AptUpdated = $false
function Update-AptLists {
    # Once a run, and only as root: a fresh machine may have no package lists at all.
    if ($script:AptUpdated -or (& id -u) -ne '0') { return }
    & apt-get update -qq 2>&1 | Out-Null
    $script:AptUpdated = $true
}

function Expand-DebianPackage([string] $Name, [string] $Target, [string] $Marker) {
    # A Debian package's files unpacked into $Target (no install, no root for the unpacking); false when it cannot be had.
    if (Test-Path (Join-Path $Target $Marker)) { return $true }
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue) -or -not (Get-Command dpkg-deb -ErrorAction SilentlyContinue)) { return $false }
    $download = Join-Path $out 'deps/deb'
    New-Item -ItemType Directory -Force -Path $download, $Target | Out-Null
    foreach ($attempt in 1, 2) {
        Push-Location $download
        try { & apt-get download -qq $Name 2>&1 | Out-Null } finally { Pop-Location }
        $deb = Get-ChildItem $download -Filter "$($Name)_*.deb" | Select-Object -First 1
        if ($deb) { break }
        Update-AptLists
    }
    if (-not $deb) { return $false }
    & dpkg-deb -x $deb.FullName $Target
    Test-Path (Join-Path $Target $Marker)
}

function Install-PrometheusTools {
    # The metrics tests read the .prom file with a real parser (python3-prometheus-client) and lint it, and the README's alert
    # rules, with promtool (Debian's prometheus package). Without them those tests are skipped, saying why.
    if (Get-Command python3 -ErrorAction SilentlyContinue) {
        & python3 -c 'import prometheus_client' 2>$null
        if ($LASTEXITCODE -ne 0) {
            $target = Join-Path $out 'deps/prometheus'
            Write-Host '== Fetching python3-prometheus-client (Debian package) for the metrics test'
            if (Expand-DebianPackage 'python3-prometheus-client' $target 'usr/lib/python3/dist-packages/prometheus_client') {
                $env:ASSETSYNC_PROMETHEUS_PYTHONPATH = Join-Path $target 'usr/lib/python3/dist-packages'
            } else {
                Write-Warning 'python3-prometheus-client could not be fetched; the metrics parser test will be skipped.'
            }
        }
    }
    Install-DebianTool -Command promtool -Package prometheus -Variable ASSETSYNC_PROMTOOL -Purpose 'the metrics lint test'
}

function Install-Tinyproxy {
    # The proxy tests go through a real forward proxy with a login: Debian's tinyproxy, unpacked into out/ (no install, no
    # service). Where it cannot be had, those tests are skipped, saying why.
    Install-DebianTool -Command tinyproxy -Package tinyproxy-bin -Variable ASSETSYNC_TINYPROXY -Purpose 'the proxy tests'
}

function Install-DebianTool([string] $Command, [string] $Package, [string] $Variable, [string] $Purpose) {
    # A program the tests run, from PATH or else unpacked from its Debian package into out/deps; its path goes in $Variable.
    $existing = Get-Command $Command -ErrorAction SilentlyContinue
    if ($existing) { Set-Item "Env:$Variable" $existing.Source; return }
    $target = Join-Path $out "deps/$Command"
    Write-Host "== Fetching $Command (Debian package $Package, unpacked, not installed) for $Purpose"
    if (Expand-DebianPackage $Package $target "usr/bin/$Command") {
        Set-Item "Env:$Variable" (Join-Path $target "usr/bin/$Command")
    } else {
        Write-Warning "$Command could not be fetched; $Purpose will be skipped."
    }
}

# The written style (.editorconfig) that the analyzers cannot check: CSharpier's layout, and no C# line over
# max_line_length. Each is one check in the summary line; a failure names the files or lines.
function Test-CodeStyle {
    $results = [ordered]@{}
    & dotnet csharpier check $root 2>&1 | Where-Object { $_ -match '^Error' } | Select-Object -First 20 | ForEach-Object { Write-Host "   $_" }
    $results['style: CSharpier layout'] = $LASTEXITCODE -eq 0
    $limit = [int]((Get-Content (Join-Path $root '.editorconfig') | Select-String '^max_line_length\s*=\s*(\d+)').Matches[0].Groups[1].Value)
    $long = foreach ($file in & git -C $root ls-files '*.cs') {
        $n = 0
        foreach ($line in [System.IO.File]::ReadLines((Join-Path $root $file))) {
            $n++
            if ($line.Length -gt $limit) { "${file}:${n}: $($line.Length) characters" }
        }
    }
    $long | Select-Object -First 20 | ForEach-Object { Write-Host "   $_" }
    $results["style: C# lines within $limit characters"] = -not $long
    $results
}

function Format-FailureReason([System.Xml.XmlNode] $Node) {
    # The first lines of a failure's message, under its name at the tail of the log: CI keeps only the tail, and a test that
    # fails once in many runs must say why there. The node may be missing (a test host that aborted writes no message).
    $Message = if ($Node) { $Node.InnerText } else { '' }
    if (-not $Message) { return '' }
    $lines = @($Message -split "`r?`n" | Where-Object { $_.Trim() } | Select-Object -First 4 |
            ForEach-Object { $t = $_.Trim(); if ($t.Length -gt 240) { $t.Substring(0, 240) + '...' } else { $t } })
    "`n      " + ($lines -join "`n      ")
}

function Invoke-Test {
    Install-TestPrerequisites
    Invoke-Build
    $deps = Restore-TestDependencies
    New-Item -ItemType Directory -Force -Path $out | Out-Null
    $counts = @{ Passed = 0; Failed = 0; Skipped = 0 }
    # Named again just before the summary line, so the tail of a CI log says what failed.
    $failedNames = [System.Collections.Generic.List[string]]::new()
    $cluster = $null
    $savedCs = $env:ASSETSYNC_TEST_CONNECTION_STRING
    try {
        Write-Host "== Style"
        foreach ($check in (Test-CodeStyle).GetEnumerator()) {
            if ($check.Value) { $counts.Passed++ } else { $counts.Failed++; $failedNames.Add($check.Key) }
        }

        $cluster = Start-TestCluster

        Write-Host "== xunit"
        $trxDir = Join-Path $out 'xunit'
        Remove-Item -Recurse -Force $trxDir -ErrorAction SilentlyContinue
        foreach ($project in Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj') {
            $testArgs = @('test', $project.FullName, '-c', $Configuration, '--no-build', '--nologo',
                '--logger', "trx;LogFileName=$($project.BaseName).trx", '--results-directory', $trxDir)
            if ($XunitFilter) { $testArgs += @('--filter', $XunitFilter) }
            & dotnet @testArgs
            $trx = Join-Path $trxDir "$($project.BaseName).trx"
            if (-not (Test-Path $trx)) {
                Write-Host "   $($project.BaseName): no results (the test host failed)"
                $counts.Failed++
                continue
            }
            $run = ([xml](Get-Content -Raw $trx)).TestRun
            $c = $run.ResultSummary.Counters
            # A filter that matches nothing in one project leaves its run with no Results element at all.
            foreach ($r in $run.SelectNodes('*[local-name()="Results"]/*[local-name()="UnitTestResult"]')) {
                if ($r.outcome -ne 'Passed' -and $r.outcome -ne 'NotExecuted') {
                    $failedNames.Add("xunit: $($r.testName)$(Format-FailureReason $r.SelectSingleNode('.//*[local-name()="Message"]'))")
                }
            }
            $counts.Passed += [int]$c.passed
            $counts.Failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
            $counts.Skipped += [int]$c.notExecuted
        }

        Write-Host "== Pester (against the built module)"
        $nunit = Join-Path $out 'pester.xml'
        Remove-Item $nunit -ErrorAction SilentlyContinue
        $pesterArgs = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/Shared/Invoke-PesterSuite.ps1'),
            '-PesterModule', $deps.Pester, '-ResultPath', $nunit, '-Npgsql8Path', $deps.Npgsql8)
        if ($PesterPath) { $pesterArgs += @('-Path', $PesterPath) }
        Invoke-Pwsh @pesterArgs
        $pesterExit = $LASTEXITCODE
        if (Test-Path $nunit) {
            $cases = ([xml](Get-Content -Raw $nunit)).SelectNodes('//test-case')
            foreach ($case in $cases) {
                switch ($case.result) {
                    'Success' { $counts.Passed++ }
                    { $_ -in 'Failure', 'Error' } {
                        $counts.Failed++
                        $failedNames.Add("Pester: $($case.name)$(Format-FailureReason $case.SelectSingleNode('failure/message'))")
                    }
                    default { $counts.Skipped++ }
                }
            }
            if ($pesterExit -ne 0 -and $counts.Failed -eq 0) { $counts.Failed++ }
        } else {
            Write-Host "   Pester wrote no results (exit code $pesterExit)"
            $counts.Failed++
        }
    } finally {
        if ($cluster) { Stop-PostgresCluster $cluster }
        $env:ASSETSYNC_TEST_CONNECTION_STRING = $savedCs
    }

    foreach ($name in $failedNames) { Write-Host "   failed: $name" }
    $line = "$($counts.Passed) passed, $($counts.Failed) failed"
    if ($counts.Skipped -gt 0) { $line += ", $($counts.Skipped) skipped" }
    Write-Host $line
    if ($counts.Failed -gt 0 -or $counts.Passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    & (Join-Path $root 'tests/Shared/Invoke-Demo.ps1') -Configuration $Configuration -KeepRunning:$KeepRunning -ConnectionString $ConnectionString
    if (-not $?) { exit 1 }
}

function Invoke-Bench {
    Invoke-Build
    New-Item -ItemType Directory -Force -Path $out | Out-Null
    $cluster = Start-PostgresCluster -Durable
    try {
        $result = Join-Path $out 'bench.md'
        & (Join-Path $root 'tests/Bench/Invoke-Benchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-StateBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-RateBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-DegradedBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-FootprintBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-TelemetryBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        & (Join-Path $root 'tests/Bench/Invoke-FreshnessBenchmark.ps1') -AdminConnectionString $cluster.ConnectionString -Configuration $Configuration `
            -Quick:$Quick -ResultPath $result
        if ($Quick) {
            Write-Host '   (-Quick: the BenchmarkDotNet micro-benchmarks are left out)'
        } else {
            # Micro-benchmarks: JSON mapping, and the per-asset batch against one command per statement.
            Invoke-PgSql $cluster.ConnectionString 'CREATE DATABASE benchmicro' | Out-Null
            $env:ASSETSYNC_BENCH_CONNECTION_STRING = Set-ConnectionDatabase $cluster.ConnectionString 'benchmicro'
            $artifacts = Join-Path $out 'benchmarkdotnet'
            Invoke-Native dotnet @('run', '--project', (Join-Path $root 'tests/AssetSync.Benchmarks'), '-c', $Configuration, '--no-build', '--',
                '--filter', 'AssetSync.Benchmarks.*', '--artifacts', $artifacts)
            Remove-Item Env:ASSETSYNC_BENCH_CONNECTION_STRING
            $tables = Get-ChildItem (Join-Path $artifacts 'results') -Filter '*-report-github.md' | ForEach-Object { (Get-Content -Raw $_.FullName).Trim() }
            Add-Content -Path $result -Value ("`n`nMicro-benchmarks (BenchmarkDotNet, ShortRun):`n`n" + ($tables -join "`n`n"))
            Get-Content -Raw $result | Write-Host
        }
    } finally {
        Stop-PostgresCluster $cluster
    }
}

function Invoke-Package {
    if (-not $NoBuild) { Invoke-Build }
    $version = (Import-PowerShellDataFile (Join-Path $root 'AssetSync.psd1')).ModuleVersion
    $packageRoot = Join-Path $out 'package'
    $folder = Join-Path $packageRoot "AssetSync/$version"
    if (Test-Path $packageRoot) { Remove-Item -Recurse -Force $packageRoot }
    New-Item -ItemType Directory -Force -Path (Join-Path $folder 'module') | Out-Null
    # The same layout as the repository, so the manifest's relative paths hold.
    Copy-Item (Join-Path $root 'AssetSync.psd1'), (Join-Path $root 'LICENSE'), (Join-Path $root 'README.md') $folder
    Copy-Item -Recurse (Join-Path $root 'en-US') $folder
    foreach ($item in 'bin', 'Examples', 'AssetSync.format.ps1xml') {
        Copy-Item -Recurse (Join-Path $root "module/$item") (Join-Path $folder 'module')
    }
    Get-ChildItem $folder -Recurse -Include '*.pdb', '*.xml' | Where-Object { $_.Name -notlike '*-Help.xml' -and $_.Name -ne 'AssetSync.format.ps1xml' } | Remove-Item
    Test-ModuleManifest (Join-Path $folder 'AssetSync.psd1') -ErrorAction Stop | Out-Null
    Compress-PSResource -Path $folder -DestinationPath $packageRoot
    $nupkg = Get-ChildItem $packageRoot -Filter '*.nupkg' | Select-Object -First 1
    Write-Host "   module folder: $folder"
    Write-Host "   package:       $($nupkg.FullName)"
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Bench' { Invoke-Bench }
    'Clean' {
        foreach ($p in @($out, $moduleBin, (Join-Path $root 'en-US')) + (Get-ChildItem $root -Recurse -Directory -Include bin, obj | Where-Object FullName -NotMatch '[\\/]\.git[\\/]').FullName) {
            if ($p -and (Test-Path $p)) { Remove-Item -Recurse -Force $p }
        }
    }
}
