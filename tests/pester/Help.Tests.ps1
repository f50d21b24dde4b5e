BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $commands = @(Get-Command -Module AssetSync | ForEach-Object { @{ Name = $_.Name } })
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
}

Describe 'Help of <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
        $real = @($command.Parameters.Keys | Where-Object { $common -notcontains $_ })
        $documented = @($help.parameters.parameter | ForEach-Object { $_.name })
    }

    It 'has a synopsis and a description from the MAML file' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name *"   # not the syntax PowerShell makes up without help
        ($help.description.Text -join ' ').Length | Should -BeGreaterThan 40
    }

    It 'has at least two examples, each with code and a remark' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $help.examples.example) {
            $e.code | Should -Not -BeNullOrEmpty
            ($e.remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every real parameter, each with a description' {
        foreach ($p in $real) {
            $documented | Should -Contain $p -Because "-$p is a parameter of $Name"
            $doc = $help.parameters.parameter | Where-Object name -eq $p
            ($doc.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'documents no parameter that does not exist' {
        foreach ($p in $documented) { $real | Should -Contain $p -Because "help documents -$p" }
    }

    It 'shows a syntax for each parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be $command.ParameterSets.Count
    }
}

Describe 'about_AssetSync' {
    It 'lists every cmdlet of the module in its list of cmdlets' {
        $text = Get-Help about_AssetSync | Out-String
        $listed = [regex]::Matches(($text -split 'SETUP')[0], '(?m)^\s+([A-Z][a-z]+-Cmms[A-Za-z]+)\s').ForEach({ $_.Groups[1].Value }) | Sort-Object
        $listed | Should -Be @(Get-Command -Module AssetSync | ForEach-Object Name | Sort-Object)
    }

    It 'explains setup, environment variables, retries and scheduled jobs' {
        $text = Get-Help about_AssetSync | Out-String
        foreach ($needle in 'ASSETSYNC_CONNECTION_STRING', 'ASSETSYNC_BASE_URL', 'ASSETSYNC_API_TOKEN', 'Initialize-CmmsSyncSchema', 'RETRY BEHAVIOUR', 'Register-ScheduledTask', 'systemd') {
            $text | Should -Match ([regex]::Escape($needle))
        }
    }
}
