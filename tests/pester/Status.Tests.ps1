BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../AssetSync.psd1') -Force
    $cs = New-TestDatabase
}
AfterAll { Remove-TestDatabase $cs }

Describe 'Initialize-CmmsSyncSchema and Get-CmmsSyncStatus' {
    It 'refuses a database without the schema, naming Initialize-CmmsSyncSchema' {
        $err = { Get-CmmsSyncStatus -ConnectionString $cs -ErrorAction Stop } | Should -Throw -ErrorId 'AssetSync.SchemaMissing,AssetSync.Commands.GetCmmsSyncStatusCommand' -ExpectedMessage '*Initialize-CmmsSyncSchema*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.TargetObject | Should -BeLike '127.0.0.1:*/p_*'
        $err.ErrorDetails.RecommendedAction | Should -Match 'Initialize-CmmsSyncSchema'
    }

    It '-WhatIf lists the migration and changes nothing' {
        $out = Initialize-CmmsSyncSchema -ConnectionString $cs -WhatIf 6>&1 | Out-String
        Invoke-TestSql $cs "SELECT to_regclass('ic3_sync_log') IS NULL" | Should -Be 't'
    }

    It 'creates the tables, and a second run is a no-op' {
        $applied = Initialize-CmmsSyncSchema -ConnectionString $cs -PassThru -Confirm:$false
        $applied.Version | Should -Contain 1
        Initialize-CmmsSyncSchema -ConnectionString $cs -PassThru -Confirm:$false | Should -BeNullOrEmpty
    }

    It 'reports the contract partition over the tables' {
        Add-TestAsset $cs -Count 5
        Invoke-TestSql $cs @"
INSERT INTO ic3_asset_master (cmms_asset_id) VALUES (NULL);
INSERT INTO ic3_sync_log (serialnumber, sync_type, status, synced_at) VALUES
 ('INF-000001','api_sync','error','2026-01-01'), ('INF-000001','api_sync','success','2026-01-02'),
 ('INF-000002','api_sync','success','2026-01-01'), ('INF-000002','api_sync','error','2026-01-02'),
 ('INF-000003','api_sync','error','2026-01-03');
-- The current state is what the status reads (schema 2): one row per asset, as a run writes it beside its log row.
INSERT INTO cmms_asset_sync_state (serialnumber, status, last_attempt_at, last_success_at, failing_since, consecutive_failures) VALUES
 ('INF-000001','success','2026-01-02','2026-01-02',NULL,0),
 ('INF-000002','error','2026-01-02','2026-01-01','2026-01-02',1),
 ('INF-000003','error','2026-01-03',NULL,'2026-01-03',1);
INSERT INTO cmms_sync_log (sync_type, status, assets_synced, duration_ms, synced_at, mode, started_at, finished_at, total, failed, skipped)
 VALUES ('api_sync','complete',1,10,'2026-01-02','batch','2026-01-02','2026-01-02 00:00:10',3,2,0);
"@ | Out-Null
        $s = Get-CmmsSyncStatus -ConnectionString $cs
        $s | Should -BeOfType ([AssetSync.SyncStatus])
        $s.TotalAssets | Should -Be 5
        $s.SyncedAssets | Should -Be 1
        $s.FailedAssets | Should -Be 2
        $s.NeverSynced | Should -Be 2
        $s.LastRuns.Count | Should -Be 1
        $s.LastRuns[0].Status | Should -Be 'complete'
        $s.LastSyncAt | Should -Not -BeNullOrEmpty
    }

    It 'uses ASSETSYNC_CONNECTION_STRING when -ConnectionString is absent' {
        $env:ASSETSYNC_CONNECTION_STRING = $cs
        try { (Get-CmmsSyncStatus).TotalAssets | Should -Be 5 } finally { Remove-Item Env:ASSETSYNC_CONNECTION_STRING }
    }

    It 'names the parameter and the environment variable when no connection string is set' {
        { Get-CmmsSyncStatus -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-ConnectionString*ASSETSYNC_CONNECTION_STRING*'
    }

    It 'refuses a malformed connection string without echoing it' {
        $err = { Get-CmmsSyncStatus -ConnectionString 'Host=x;Password=hunter2;Bogus Key=1' -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception.Message | Should -Not -Match 'hunter2'
        $err.FullyQualifiedErrorId | Should -BeLike 'AssetSync.InvalidSetting*'
    }

    It 'lists failures as objects that export to CSV' {
        $f = @(Get-CmmsSyncFailure -ConnectionString $cs)
        $f.SerialNumber | Sort-Object | Should -Be @('INF-000002', 'INF-000003')
        $f[0] | Should -BeOfType ([AssetSync.SyncFailure])
        $csv = $f | ConvertTo-Csv | ConvertFrom-Csv
        $csv[0].PSObject.Properties.Name | Should -Contain 'ErrorKind'
    }
}
