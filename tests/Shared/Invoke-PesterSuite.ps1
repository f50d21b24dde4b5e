# Runs the Pester suite in its own pwsh process, so a failed test fails the run (Run.Exit)
# and no module state leaks into build.ps1.
param(
    [Parameter(Mandatory)] [string] $PesterModule,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string] $Npgsql8Path,
    # One file or folder, or several separated by commas.
    [string] $Path
)
$ErrorActionPreference = 'Stop'
# Plain text everywhere, children included: escape codes in a failure message would break the NUnit XML.
$env:NO_COLOR = '1'
$PSStyle.OutputRendering = 'PlainText'
Import-Module $PesterModule -Force
$env:ASSETSYNC_TEST_NPGSQL8 = $Npgsql8Path
$config = New-PesterConfiguration
$config.Run.Path = if ($Path) { [string[]]($Path -split ',') } else { Join-Path $PSScriptRoot '../pester' }
$config.Run.Exit = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultPath
Invoke-Pester -Configuration $config
