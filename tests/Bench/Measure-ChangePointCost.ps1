<#
.SYNOPSIS
The database's cost of the change-point tests (FreshnessSql.ChangePoints, in every outcome statement): the CTE over 20,000
observed unchanged visits (a history of five changes in 30 days, verified two days ago) under a 24-point model, EXPLAIN
ANALYZE three times for each of: no recent history (never tested), the last change 5 days back (a span shorter than the
history's mean gap between changes: not weighed) and 10 days back (weighed). Starts its own throwaway PostgreSQL.
.EXAMPLE
dotnet pwsh -File ./tests/Bench/Measure-ChangePointCost.ps1     # after ./build.ps1 -Task Build
#>
param([string] $Configuration = 'Release')
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$engineDir = Join-Path $root "src/AssetSync.Engine/bin/$Configuration/net10.0"
$null = [System.Reflection.Assembly]::LoadFrom((Join-Path $engineDir 'AssetSync.Model.dll'))
$engine = [System.Reflection.Assembly]::LoadFrom((Join-Path $engineDir 'AssetSync.Engine.dll'))
# The CTE as the engine sends it (an internal class: read by reflection, so this script measures the built text).
$cte = $engine.GetType('AssetSync.Storage.FreshnessSql').GetProperty('ChangePoints').GetValue($null)
$c = Start-PostgresCluster
try {
    $cs = $c.ConnectionString
    Invoke-PgSql $cs @"
CREATE TABLE cmms_change_model (id int PRIMARY KEY, rates double precision[], weights double precision[]);
INSERT INTO cmms_change_model SELECT 1, array_agg(exp(ln(1 / (3 * 365 * 86400.0)) + g * (ln(10 / 86400.0) - ln(1 / (3 * 365 * 86400.0))) / 23)),
    array_agg(1.0 / 24) FROM generate_series(0, 23) g;
CREATE TABLE obs AS SELECT 'S' || i AS serial, 0 AS dk, 1 AS dn, 2 * 86400.0 AS dt, true AS seen_before, 5.0 AS recent_k,
    30 * 86400.0 AS recent_t, 5 * 86400.0 AS quiet FROM generate_series(1, 20000) i;
ANALYZE obs;
"@ | Out-Null
    foreach ($case in @(@(0, 5, 'no recent history'), @(5, 5, 'span under the mean gap'), @(5, 10, 'span weighed'))) {
        $sql = "UPDATE obs SET recent_k = $($case[0]), quiet = $($case[1]) * 86400.0;`nEXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " +
            "WITH observed AS (SELECT * FROM obs), $cte SELECT count(*) FROM change_points;"
        $times = foreach ($i in 1..3) {
            ((Invoke-PgSql $cs $sql | Out-String) -split "`n" | Where-Object { $_ -match 'Execution Time' }) -replace '.*Execution Time: ', ''
        }
        '{0,-24} 20,000 visits: {1}' -f $case[2], ($times -join ', ')
    }
} finally { Stop-PostgresCluster $c }
