# One settings file for every cmdlet and the job: precedence, refusals, masking, and a job run from the file alone.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = (Resolve-Path (Join-Path $PSScriptRoot '../../AssetSync.psd1')).Path
    Import-Module $manifest -Force
    $job = (Resolve-Path (Join-Path $PSScriptRoot '../../module/Examples/Invoke-CmmsScheduledSync.ps1')).Path
    $cs, $sim = New-SyncTestSetup -Assets 10
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-config-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $folder | Out-Null
    # The admin connection string has a Password; the file may not. The login then comes from the environment.
    $admin = Get-AdminConnection
    $bare = "Host=$($admin['host']);Port=$($admin['port']);Database=$(Get-DatabaseName $cs);Username=$($admin['username'])"

    function New-SettingsFile([string] $Body, [string] $Name = ('s-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.psd1')) {
        $path = Join-Path $folder $Name
        Set-Content -Path $path -Value $Body
        $path
    }
    function Get-Setting([string] $Name, [hashtable] $Extra = @{}) { Get-CmmsSyncConfiguration -Name $Name @Extra }
    $saved = @{}
    foreach ($v in 'ASSETSYNC_BASE_URL', 'ASSETSYNC_API_TOKEN', 'ASSETSYNC_CONNECTION_STRING', 'ASSETSYNC_CONFIGURATION', 'PGPASSWORD') { $saved[$v] = [Environment]::GetEnvironmentVariable($v) }
}
AfterAll {
    foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $saved[$v]) }
    Stop-Simulator $sim
    Remove-TestDatabase $cs
    Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue
}

Describe 'Settings precedence: parameter, environment, file, default' {
    BeforeEach { foreach ($v in $saved.Keys) { [Environment]::SetEnvironmentVariable($v, $null) } }

    It 'ThrottleLimit: default, then file, then parameter' {
        (Get-Setting ThrottleLimit).Source | Should -Be 'Default'
        (Get-Setting ThrottleLimit).Value | Should -Be (Get-SyncOptionDefault ThrottleLimit)
        $file = New-SettingsFile '@{ ThrottleLimit = 7 }'
        $fromFile = Get-Setting ThrottleLimit @{ ConfigurationPath = $file }
        ($fromFile.Value, "$($fromFile.Source)", $fromFile.ConfigurationPath) | Should -Be @(7, 'File', $file)
        $param = Get-Setting ThrottleLimit @{ ConfigurationPath = $file; ThrottleLimit = 9 }
        ($param.Value, "$($param.Source)") | Should -Be @(9, 'Parameter')
    }

    It 'BaseUrl: the environment wins over the file, a parameter over both' {
        $file = New-SettingsFile "@{ BaseUrl = 'https://file.example.org' }"
        $env:ASSETSYNC_CONFIGURATION = $file
        ((Get-Setting BaseUrl).Value, "$((Get-Setting BaseUrl).Source)") | Should -Be @('https://file.example.org', 'File')
        $env:ASSETSYNC_BASE_URL = 'https://env.example.org'
        ((Get-Setting BaseUrl).Value, "$((Get-Setting BaseUrl).Source)") | Should -Be @('https://env.example.org', 'Environment')
        $p = Get-Setting BaseUrl @{ BaseUrl = 'https://param.example.org' }
        ($p.Value, "$($p.Source)") | Should -Be @('https://param.example.org', 'Parameter')
    }

    It 'takes durations, rates, switches and enums from the file as the parameters take them' {
        $file = New-SettingsFile "@{ MaxDuration = '00:45:00'; RequestsPerSecond = 'Auto'; NoProxy = `$true; IfRunning = 'Skip'; TimeoutSec = 30 }"
        $all = @{}; foreach ($s in Get-CmmsSyncConfiguration -ConfigurationPath $file) { $all[$s.Name] = $s }
        $all.MaxDuration.Value | Should -Be ([timespan]'00:45:00')
        "$($all.RequestsPerSecond.Value)" | Should -Be 'Auto'
        $all.NoProxy.Value | Should -BeTrue
        "$($all.IfRunning.Value)" | Should -Be 'Skip'
        $all.TimeoutSec.Value | Should -Be 30
        $all.Keys.Count | Should -BeGreaterOrEqual 30
    }

    It 'refuses a value out of range, naming the key' {
        $file = New-SettingsFile '@{ ThrottleLimit = 0 }'
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        $Error[0].Exception.Message | Should -Match 'ThrottleLimit'
    }
}

Describe 'Each setting declared once' {
    It 'gives every setting the cmdlets take the same default in the catalog as on the cmdlet (<_>)' -ForEach @('Invoke-CmmsSync', 'Invoke-CmmsRetryFailed', 'Get-CmmsSyncStatus') {
        $type = (Get-Command $_).ImplementingType
        $instance = [Activator]::CreateInstance($type)
        foreach ($definition in [AssetSync.SyncSettings]::All) {
            $property = $type.GetProperty($definition.Name)
            if (-not $property -or $definition.IsSecret) { continue }
            $value = $property.GetValue($instance)
            if ($value -is [switch]) { $value = $value.IsPresent }
            "$value" | Should -Be "$($definition.Default)" -Because "$_ -$($definition.Name)"
        }
    }

    It 'leaves no default of a catalogued setting in the scheduled job''s parameters: the catalog gives them' {
        $ast = [Management.Automation.Language.Parser]::ParseFile($job, [ref]$null, [ref]$null)
        $names = [AssetSync.SyncSettings]::All.Name
        $parameters = $ast.ParamBlock.Parameters | Where-Object { $names -contains $_.Name.VariablePath.UserPath }
        @($parameters).Count | Should -BeGreaterThan 20
        foreach ($p in $parameters) { $p.DefaultValue | Should -BeNullOrEmpty -Because "-$($p.Name.VariablePath.UserPath) takes its default from SyncSettings" }
        # And every parameter of the job (but the file's own path) is a catalogued setting, so the settings file can hold it.
        foreach ($p in $ast.ParamBlock.Parameters | Where-Object { $_.Name.VariablePath.UserPath -ne 'ConfigurationPath' }) { $names | Should -Contain $p.Name.VariablePath.UserPath }
        # Nor a range of its own: the declaration's range is checked by the catalogue, once.
        foreach ($p in $parameters) {
            @($p.Attributes | Where-Object { $_.TypeName.Name -eq 'ValidateRange' }).Count | Should -Be 0 -Because "-$($p.Name.VariablePath.UserPath) takes its range from SyncSettings"
        }
    }

    It 'checks every ranged parameter against its one declaration, and no parameter declares a range of its own' {
        $checked = 0
        foreach ($command in Get-Command -Module AssetSync -CommandType Cmdlet) {
            foreach ($parameter in $command.Parameters.Values) {
                $definition = [AssetSync.SyncSettings]::Find($parameter.Name)
                if (-not $definition -or $definition.Name -ne $parameter.Name) { continue }
                $parameter.Attributes.Where({ $_ -is [System.Management.Automation.ValidateRangeAttribute] }).Count | Should -Be 0 -Because "$($command.Name) -$($parameter.Name)"
                if ($null -eq $definition.Minimum -and $null -eq $definition.Maximum) { continue }
                $attribute = $parameter.Attributes.Where({ $_.GetType().Name -eq 'ValidateSettingAttribute' }) | Select-Object -First 1
                $attribute | Should -Not -BeNullOrEmpty -Because "$($command.Name) -$($parameter.Name) has a declared range"
                $attribute.Definition.Name | Should -Be $parameter.Name
                # Just outside the declared range is refused at binding, before anything is sent or written.
                $outside = if ($null -ne $definition.Minimum) { $definition.Minimum - 1 } else { $definition.Maximum + 1 }
                $bound = @{ $parameter.Name = $outside }
                { & $command.Name @bound -ErrorAction Stop } | Should -Throw -ErrorId "ParameterArgumentValidationError,*" -Because "$($command.Name) -$($parameter.Name) $outside"
                $checked++
            }
        }
        $checked | Should -BeGreaterOrEqual 15
    }

    It 'writes the reference table and each declared parameter''s help from the declarations, and they are up to date' {
        $tool = Join-Path $PSScriptRoot '../../tools/Update-SettingsReference.ps1'
        # -Check names the documents that differ from what the declarations say now.
        @(& $tool -Check) | Should -BeNullOrEmpty -Because 'run tools/Update-SettingsReference.ps1 after changing SyncSettings.cs'
        $reference = Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/reference.md')
        $help = Get-Help Invoke-CmmsSync -Full
        foreach ($definition in [AssetSync.SyncSettings]::All | Where-Object RangeText) {
            $reference | Should -Match ([regex]::Escape("| ``$($definition.Name)`` |") + '[^\n]*' + [regex]::Escape("| $($definition.RangeText) |"))
            $parameter = $help.parameters.parameter | Where-Object name -eq $definition.Name
            if (-not $parameter) { continue }
            $paragraphs = @($parameter.description.Text)
            $paragraphs[-1] | Should -Match ('^Setting: ' + [regex]::Escape($definition.RangeText)) -Because "-$($definition.Name)'s help ends with its declaration"
            # The range is written once: no hand-written paragraph repeats it.
            $paragraphs[0..($paragraphs.Count - 2)] -join ' ' | Should -Not -Match ([regex]::Escape($definition.RangeText))
        }
    }
}

Describe 'What the settings file refuses' {
    It 'an unknown key, naming the one it most likely meant' {
        $file = New-SettingsFile "@{ RequestPerSecond = 5 }"
        { Invoke-CmmsSync -ConfigurationPath $file -ConnectionString $cs -BaseUrl $sim.BaseUrl -BatchSize 0 } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.InvokeCmmsSyncCommand'
        $Error[0].Exception.Message | Should -Match "'RequestPerSecond'\. Did you mean 'RequestsPerSecond'\?"
        (Get-SimulatorStats $sim).requests | Should -Be 0
    }

    It 'a secret, without repeating it' -ForEach @(
        @{ Body = "@{ ApiToken = 'tok-leak-1234' }"; Secret = 'tok-leak-1234' }
        @{ Body = "@{ ConnectionString = 'Host=db01;Database=ic3;Username=u;Password=pw-leak-5678' }"; Secret = 'pw-leak-5678' }
        @{ Body = "@{ Proxy = 'http://user:px-leak-9012@proxy:3128' }"; Secret = 'px-leak-9012' }
        @{ Body = "@{ ProxyCredential = 'px-leak-3456' }"; Secret = 'px-leak-3456' }
    ) {
        $file = New-SettingsFile $Body
        { Get-CmmsSyncStatus -ConfigurationPath $file -ConnectionString $cs } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncStatusCommand'
        $record = $Error[0]
        ($record.Exception.ToString() + "$($record.ErrorDetails)" + ($record | Out-String)) | Should -Not -Match $Secret
        $record.Exception.Message | Should -Match 'not shown|secret'
    }

    It 'code: a settings file runs none' {
        $marker = Join-Path $folder 'ran.txt'
        $file = New-SettingsFile "@{ BaseUrl = (Set-Content '$marker' 'x') }"
        { Get-CmmsSyncConfiguration -ConfigurationPath $file } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncConfigurationCommand'
        Test-Path $marker | Should -BeFalse
    }

    It 'a file that does not exist' {
        { Get-CmmsSyncStatus -ConfigurationPath (Join-Path $folder 'missing.psd1') } | Should -Throw -ErrorId 'AssetSync.InvalidSetting,AssetSync.Commands.GetCmmsSyncStatusCommand'
    }
}

Describe 'Get-CmmsSyncConfiguration masks secrets' {
    It 'shows where the token and passwords came from, never their values' {
        $env:ASSETSYNC_API_TOKEN = 'tok-env-abcdef123'
        try {
            $login = [pscredential]::new('assetsync', (ConvertTo-SecureString 'db-pw-777' -AsPlainText -Force))
            $out = Get-CmmsSyncConfiguration -ConnectionString "$bare" -DatabaseCredential $login -ProxyCredential ([pscredential]::new('px', (ConvertTo-SecureString 'px-pw-888' -AsPlainText -Force)))
            $all = @{}; foreach ($s in $out) { $all[$s.Name] = $s }
            ($all.ApiToken.Value, "$($all.ApiToken.Source)") | Should -Be @('********', 'Environment')
            ($all.DatabaseCredential.Value, "$($all.DatabaseCredential.Source)") | Should -Be @('assetsync / ********', 'Parameter')
            "$($all.ProxyCredential.Source)" | Should -Be 'Parameter'
            $text = ($out | Format-List * | Out-String) + ($out | ConvertTo-Json -Depth 3)
            foreach ($secret in 'tok-env-abcdef123', 'db-pw-777', 'px-pw-888') { $text | Should -Not -Match $secret }
        } finally { Remove-Item Env:ASSETSYNC_API_TOKEN }
        $masked = (Get-CmmsSyncConfiguration -ConnectionString $cs -Name ConnectionString).Value
        $masked | Should -Match 'Password=\*{8}'
        $masked | Should -Not -Match ([regex]::Escape($admin['password']))
    }
}

Describe 'A sync and the scheduled job from the settings file alone' {
    BeforeAll {
        $logs = Join-Path $folder 'logs'
        $file = New-SettingsFile (@"
@{
    ConnectionString  = '$bare'
    BaseUrl           = '$($sim.BaseUrl)'
    RequestsPerSecond = 500
    RetryIntervalSec  = 0.01
    LogPath           = '$logs'
    Keep              = 3
    MaxFailedPercent  = 50
}
"@) -Name 'assetsync.psd1'
    }

    It 'Invoke-CmmsSync takes everything from the file (the database password from PGPASSWORD, the token from the environment)' {
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        $env:PGPASSWORD = $admin['password']
        try { $s = Invoke-CmmsSync -ConfigurationPath $file -BatchSize 0 -Summary } finally { Remove-Item Env:ASSETSYNC_API_TOKEN, Env:PGPASSWORD }
        $s.Status | Should -Be 'complete'
        $s.Succeeded | Should -Be 10
    }

    It 'the job runs from -ConfigurationPath alone, its log folder from the file' {
        $env:ASSETSYNC_API_TOKEN = $sim.Token
        $env:PGPASSWORD = $admin['password']
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -File $job -ConfigurationPath $file 2>&1; $code = $LASTEXITCODE } finally { Remove-Item Env:ASSETSYNC_API_TOKEN, Env:PGPASSWORD }
        $code | Should -Be 0 -Because ($out -join "`n")
        @(Get-ChildItem $logs -Filter 'assetsync-*.log').Count | Should -Be 1
    }

    It 'the job reads the token from a vault by name where Get-Secret exists (a stand-in: SecretManagement is not installed here)' {
        $vaultFile = New-SettingsFile (((Get-Content -Raw $file) -replace '\}\s*$', "    ApiTokenSecretName = 'AssetSync-Innomaint'`n    SecretVault = 'HospitalVault'`n}")) -Name 'vault.psd1'
        $env:PGPASSWORD = $admin['password']
        $env:ASSETSYNC_TEST_VAULT_TOKEN = $sim.Token
        $command = @"
function global:Get-Secret { param([string] `$Name, [string] `$Vault)
    if (`$Name -ne 'AssetSync-Innomaint' -or `$Vault -ne 'HospitalVault') { throw "no secret `$Name in `$Vault" }
    ConvertTo-SecureString `$env:ASSETSYNC_TEST_VAULT_TOKEN -AsPlainText -Force }
& '$job' -ConfigurationPath '$vaultFile'
exit `$LASTEXITCODE
"@
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -Command $command 2>&1; $code = $LASTEXITCODE } finally { Remove-Item Env:PGPASSWORD, Env:ASSETSYNC_TEST_VAULT_TOKEN }
        $code | Should -Be 0 -Because ($out -join "`n")
        ($out -join "`n") | Should -Not -Match ([regex]::Escape($sim.Token))
    }

    It 'the job says what to install when a secret name is given and SecretManagement is not' {
        $vaultFile = Join-Path $folder 'vault.psd1'
        $env:PGPASSWORD = $admin['password']
        try { $out = Invoke-Pwsh -NoProfile -NonInteractive -File $job -ConfigurationPath $vaultFile 2>&1; $code = $LASTEXITCODE } finally { Remove-Item Env:PGPASSWORD }
        $code | Should -Be 2
        ($out -join "`n") | Should -Match 'SecretManagement is not installed'
    }
}

Describe 'The README and its documents' {
    It 'is at most 300 lines with a table of contents, and every relative link resolves' {
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $readme = Get-Content (Join-Path $root 'README.md')
        $readme.Count | Should -BeLessOrEqual 300
        ($readme -join "`n") | Should -Match '## Contents'
        foreach ($section in 'Install', 'Quick start', 'Configuration', 'Scheduling', 'Monitoring', 'Troubleshooting') {
            $readme | Should -Contain "## $section"
        }
        foreach ($file in @(Get-Item (Join-Path $root 'README.md')) + @(Get-ChildItem (Join-Path $root 'docs') -Filter '*.md')) {
            foreach ($m in [regex]::Matches((Get-Content -Raw $file.FullName), '\]\(([^)#\s]+)(#[^)]*)?\)')) {
                $target = $m.Groups[1].Value
                if ($target -match '^[a-z]+://') { continue }
                Test-Path (Join-Path $file.DirectoryName $target) | Should -BeTrue -Because "$($file.Name) links to $target"
            }
        }
    }

    It 'shows only connection strings the module accepts' {
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        $texts = @(Get-Item (Join-Path $root 'README.md')) + @(Get-ChildItem (Join-Path $root 'docs') -Filter '*.md')
        $found = foreach ($t in $texts) {
            [regex]::Matches((Get-Content -Raw $t.FullName), "(?<![\w-])Host=[^'`"``\s|]+").ForEach({ $_.Value.TrimEnd('.', ',', ')') })
        }
        # A connection-string key shown on its own in backticks (`Passfile=...`) must be one Npgsql takes, too.
        $found = @($found) + @(foreach ($t in $texts) {
            [regex]::Matches((Get-Content -Raw $t.FullName), '`([A-Z][A-Za-z]+(?: [A-Z][a-z]+)?=[^`;\s]*)`').ForEach({ "Host=db01;$($_.Groups[1].Value)" }) |
                Where-Object { $_ -notmatch 'Host=db01;(Host|ConnectionString|BaseUrl)=' }
        })
        @($found).Count | Should -BeGreaterThan 0
        foreach ($connectionString in $found | Sort-Object -Unique) {
            { Get-CmmsSyncConfiguration -ConnectionString $connectionString -Name ConnectionString } | Should -Not -Throw -Because $connectionString
        }
    }
}
