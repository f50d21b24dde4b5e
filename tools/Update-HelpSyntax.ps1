<#
.SYNOPSIS
Rewrites the <command:syntax> blocks of the MAML help from the built cmdlets' parameter sets, so the syntax
shown by Get-Help never drifts from the code. Descriptions, examples and defaults stay hand-written.
Run after ./build.ps1 -Task Build: dotnet pwsh ./tools/Update-HelpSyntax.ps1
#>
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
$file = Join-Path $root 'module/en-US/AssetSync.Commands.dll-Help.xml'
Import-Module (Join-Path $root 'AssetSync.psd1') -Force
$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$text = [IO.File]::ReadAllText($file)
foreach ($command in Get-Command -Module AssetSync) {
    $items = foreach ($set in $command.ParameterSets) {
        $params = foreach ($p in $set.Parameters | Where-Object { $common -notcontains $_.Name -or $_.Name -in 'WhatIf', 'Confirm' }) {
            $position = if ($p.Position -ge 0) { $p.Position } else { 'named' }
            $value = if ($p.ParameterType -eq [switch]) { '' } else {
                $type = $p.ParameterType
                if ($type.IsGenericType -and $type.GetGenericTypeDefinition() -eq [Nullable`1]) { $type = $type.GetGenericArguments()[0] }
                "<command:parameterValue required=`"true`">$($type.Name)</command:parameterValue>"
            }
            "<command:parameter required=`"$($p.IsMandatory.ToString().ToLowerInvariant())`" position=`"$position`"><maml:name>$($p.Name)</maml:name>$value</command:parameter>"
        }
        "<command:syntaxItem><maml:name>$($command.Name)</maml:name>$($params -join '')</command:syntaxItem>"
    }
    $syntax = "<command:syntax>$($items -join '')</command:syntax>"
    $pattern = "(?s)(<command:name>$([regex]::Escape($command.Name))</command:name>.*?)<command:syntax>.*?</command:syntax>"
    $text = [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + $syntax }, 'None')
}
[IO.File]::WriteAllText($file, $text)
"Updated the syntax of $(@(Get-Command -Module AssetSync).Count) commands in $file"
