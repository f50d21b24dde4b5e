<#
.SYNOPSIS
What the instruments cost (issue 15): the unthrottled run (no quota, no latency, every asset rewritten with -Force),
without a listener and with one that enables every AssetSync instrument and records every activity. Each run starts
from the same database (the log emptied, vacuumed) in a fresh pwsh; pairs go in ABBA order (without, with, with,
without, ...) so a drift of the machine falls on both alike. The cost is the difference of the medians. Bar: under 2 %.
#>
param(
    [Parameter(Mandatory)] [string] $AdminConnectionString,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    [string] $ResultPath,
    [int] $Assets = 10000,
    [int] $Pairs = 3
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Import-Module (Join-Path $root 'tests/Shared/TestServices.psm1') -Force
$manifest = Join-Path $root 'AssetSync.psd1'
if ($Quick) { $Assets = 4000; $Pairs = 2 }

# A listener as an OpenTelemetry host would attach one: every instrument enabled, every measurement and activity taken.
$listener = @'
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
public static class BenchTelemetryListener
{
    private static MeterListener meters;
    private static ActivityListener traces;
    public static long Measurements;
    public static long Activities;
    public static void Start()
    {
        meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "AssetSync") l.EnableMeasurementEvents(instrument); };
        meters.SetMeasurementEventCallback<long>((i, v, t, s) => Interlocked.Increment(ref Measurements));
        meters.SetMeasurementEventCallback<double>((i, v, t, s) => Interlocked.Increment(ref Measurements));
        meters.Start();
        traces = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "AssetSync",
            Sample = (ref ActivityCreationOptions<ActivityContext> o) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Interlocked.Increment(ref Activities),
        };
        ActivitySource.AddActivityListener(traces);
    }
}
'@
$listenerFile = Join-Path ([IO.Path]::GetTempPath()) ('assetsync-bench-listener-' + [guid]::NewGuid().ToString('N') + '.cs')
Set-Content -Path $listenerFile -Value $listener

Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_telemetry WITH (FORCE)' | Out-Null
Invoke-PgSql $AdminConnectionString 'CREATE DATABASE bench_telemetry' | Out-Null
$cs = Set-ConnectionDatabase $AdminConnectionString 'bench_telemetry'
$null = Invoke-Pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; Initialize-CmmsSyncSchema -ConnectionString '$cs' -Confirm:`$false"
Invoke-PgSql $cs "INSERT INTO ic3_asset_master (cmms_asset_id, report_seq_no) SELECT 'INF-' || lpad(i::text, 6, '0'), i FROM generate_series(1, $Assets) i; VACUUM ANALYZE;" | Out-Null
$sim = Start-SimulatorProcess -Arguments @('--Assets', "$Assets") -Token 'bench-token' -Configuration $Configuration
$rates = @{ without = @(); with = @() }
try {
    # One warm-up run, not counted: the first sync of new assets writes more than a re-run does.
    foreach ($i in 0..$Pairs) {
        $order = if ($i % 2) { 'without', 'with' } else { 'with', 'without' }
        foreach ($mode in $order) {
            if ($i -eq 0 -and $mode -eq 'with') { continue }
            # Every run meets the same database: the log of the runs before it would otherwise slow the later ones.
            Invoke-PgSql $cs 'TRUNCATE ic3_sync_log, cmms_sync_log; VACUUM ANALYZE' | Out-Null
            $attach = if ($mode -eq 'with') { "Add-Type -Path '$listenerFile'; [BenchTelemetryListener]::Start(); " } else { '' }
            $script = "`$ErrorActionPreference = 'Stop'; `$env:ASSETSYNC_API_TOKEN = 'bench-token'; Import-Module '$manifest'; $attach" +
                "`$s = Invoke-CmmsSync -ConnectionString '$cs' -BaseUrl '$($sim.BaseUrl)' -BatchSize 0 -RequestsPerSecond ([double]::PositiveInfinity) -ThrottleLimit 8 -Force -Summary; " +
                "'{0}|{1}|{2}' -f `$s.Succeeded, `$s.Duration.TotalSeconds, $(if ($mode -eq 'with') { '([BenchTelemetryListener]::Measurements)' } else { '0' })"
            $line = Invoke-Pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
            if ($LASTEXITCODE -ne 0) { throw "The run failed: $line" }
            $ok, $seconds, $measurements = $line -split '\|'
            $rate = [double]$ok / [double]$seconds
            if ($i -gt 0) { $rates[$mode] += $rate }
            Write-Host ("   {0} {1,-7} {2} assets in {3:0.00} s: {4:0.0} assets/s{5}" -f $(if ($i -eq 0) { 'warm-up' } else { "pair $i" }), $mode, $ok, [double]$seconds, $rate,
                $(if ($mode -eq 'with') { ", $measurements measurements heard" } else { '' }))
        }
    }
} finally {
    Stop-SimulatorProcess $sim
    Remove-Item $listenerFile -ErrorAction SilentlyContinue
    Invoke-PgSql $AdminConnectionString 'DROP DATABASE IF EXISTS bench_telemetry WITH (FORCE)' | Out-Null
}
function Get-Median([double[]] $Values) { $s = $Values | Sort-Object; if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
$without = Get-Median $rates.without
$with = Get-Median $rates.with
$cost = 100 * ($without - $with) / $without
$text = @"
Instrument cost (unthrottled run, $Assets assets rewritten with -Force, $Pairs pairs in ABBA order, medians$(if ($Quick) { ', -Quick' })):

| listener | assets/s (median) | runs |
|---|---|---|
| none | $('{0:0.0}' -f $without) | $(($rates.without | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ') |
| every AssetSync instrument and activity | $('{0:0.0}' -f $with) | $(($rates.with | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ') |
| cost | $('{0:0.0}' -f $cost) % | bar: under 2 % ($(if ($cost -lt 2) { 'met' } else { 'MISSED' })) |
"@
Write-Host ''
Write-Host $text
if ($ResultPath) { Add-Content -Path $ResultPath -Value ("`n`n" + $text) }
