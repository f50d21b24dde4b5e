<#
.SYNOPSIS
Writes what the setting declarations ([AssetSync.SyncSettings]::All) say into the documents that show them, so a range, a
default or an environment variable is written down once, in src/AssetSync.Model/Configuration/SyncSettings.cs:
- docs/reference.md, the table between "<!-- settings:begin -->" and "<!-- settings:end -->";
- the MAML help: the last paragraph of each declared parameter's description ("Setting: ...").
Run after ./build.ps1 -Task Build: dotnet pwsh ./tools/Update-SettingsReference.ps1. With -Check it changes nothing and
returns the files that are out of date (the test suite calls it so).
#>
[CmdletBinding()]
param([switch] $Check)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
if (-not (Get-Module AssetSync)) { Import-Module (Join-Path $root 'AssetSync.psd1') }
$invariant = [Globalization.CultureInfo]::InvariantCulture

function Format-Default([AssetSync.SettingDefinition] $Setting) {
    $value = $Setting.Default
    if ($null -eq $value) { return '' }
    if ($value -is [AssetSync.RequestRate]) { return "$value" }
    if ($value -is [bool]) { return "`$$("$value".ToLowerInvariant())" }
    if ($value -is [IFormattable]) { return $value.ToString($null, $invariant) }
    "$value"
}

# The one sentence both documents give of a setting: its range, default and variable, when it has them.
function Get-SettingSentence([AssetSync.SettingDefinition] $Setting) {
    $parts = @()
    if ($Setting.RangeText) { $parts += "$($Setting.RangeText)$(if ($Setting.ValueType -eq [TimeSpan]) { ' seconds' })" }
    $default = Format-Default $Setting
    if ($default) { $parts += "default $default" }
    if ($Setting.EnvironmentVariable) { $parts += "else `$env:$($Setting.EnvironmentVariable)" }
    $parts += if ($Setting.IsSecret -or -not $Setting.AllowedInFile) { 'never from a settings file' } else { "settings file key $($Setting.Name)" }
    "Setting: $($parts -join '; ')."
}

$changed = @()

# docs/reference.md: the whole table.
$referencePath = Join-Path $root 'docs/reference.md'
$rows = foreach ($s in [AssetSync.SyncSettings]::All) {
    $cells = @(
        "``$($s.Name)``", $s.Scope, (Format-Default $s), $s.RangeText, $s.EnvironmentVariable,
        $(if ($s.IsSecret -or -not $s.AllowedInFile) { 'no' } else { 'yes' }), $s.Description
    ) | ForEach-Object { "$_".Replace('|', '\|') }
    "| $($cells -join ' | ') |"
}
$table = @(
    '<!-- settings:begin (written by tools/Update-SettingsReference.ps1 from SyncSettings.cs; do not edit) -->'
    '| Setting | Scope | Default | Range | Environment | In a settings file | What it does |'
    '|---|---|---|---|---|---|---|'
    $rows
    '<!-- settings:end -->'
) -join "`n"
$reference = [IO.File]::ReadAllText($referencePath)
$updated = [regex]::Replace($reference, '(?s)<!-- settings:begin.*?<!-- settings:end -->', { param($m) $table })
if ($updated -ne $reference) { $changed += $referencePath; if (-not $Check) { [IO.File]::WriteAllText($referencePath, $updated) } }

# The MAML help: one generated paragraph per declared parameter, last in its description.
$helpPath = Join-Path $root 'module/en-US/AssetSync.Commands.dll-Help.xml'
$help = [IO.File]::ReadAllText($helpPath)
$names = [AssetSync.SyncSettings]::All.Name -join '|'
$pattern = "(?s)(<command:parameter [^>]*>\s*<maml:name>($names)</maml:name>\s*<maml:description>)(.*?)(</maml:description>)(.*?</command:parameter>)"
$newHelp = [regex]::Replace($help, $pattern, {
        param($m)
        $setting = [AssetSync.SyncSettings]::Find($m.Groups[2].Value)
        $body = [regex]::Replace($m.Groups[3].Value, '<maml:para>Setting: [^<]*</maml:para>', '')
        $sentence = [Security.SecurityElement]::Escape((Get-SettingSentence $setting))
        $rest = $m.Groups[5].Value
        # Get-Help's "Default value" of a setting with a default (a switch's stays False).
        if ($null -ne $setting.Default -and $setting.Default -isnot [bool]) {
            $default = [Security.SecurityElement]::Escape((Format-Default $setting))
            $rest = [regex]::Replace($rest, '<dev:defaultValue>[^<]*</dev:defaultValue>', { param($d) "<dev:defaultValue>$default</dev:defaultValue>" })
        }
        $m.Groups[1].Value + $body + "<maml:para>$sentence</maml:para>" + $m.Groups[4].Value + $rest
    })
if ($newHelp -ne $help) { $changed += $helpPath; if (-not $Check) { [IO.File]::WriteAllText($helpPath, $newHelp) } }

if ($Check) { $changed } else { "Updated $($changed.Count) file(s) from $(@([AssetSync.SyncSettings]::All).Count) setting declarations" }
