using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// The one progress adapter of the module: a progress bar of its own activity id, updated a few times a second at most
/// (cheap for a 20,000-asset run, plenty for a person), its percentage from done of total, and its time left from the pace
/// of the last 30 s (not the first minutes'). Safe to call from worker threads; records go out on the pipeline thread.
/// </summary>
internal sealed class ProgressBar
{
    /// <summary>Activity ids, one per kind of bar, so nested or successive bars never overwrite each other.</summary>
    public const int SyncActivity = 0x4153;
    public const int LockWaitActivity = 0x4154;
    public const int SchemaActivity = 0x4155;
    public const int LogRemovalActivity = 0x4156;

    /// <summary>How far back the pace looks: long enough to smooth retries and hangs, short enough to follow a change.</summary>
    private const long PaceWindowMs = 30_000;

    private readonly AsyncPSCmdlet _cmdlet;
    private readonly int _activityId;
    private readonly long _minIntervalMs;
    private readonly object _gate = new();
    private readonly Queue<(long Ticks, long Done)> _recent = new();
    private readonly long _startedTicks = Environment.TickCount64;
    private long _lastTicks;
    private bool _shown;

    public ProgressBar(AsyncPSCmdlet cmdlet, int activityId, string activity, long minIntervalMs = 200)
    {
        _cmdlet = cmdlet;
        _activityId = activityId;
        _minIntervalMs = minIntervalMs;
        Activity = activity;
    }

    /// <summary>The bar's title.</summary>
    public string Activity { get; set; }

    /// <summary>Shows <paramref name="status"/>, unless the bar was updated less than the minimum interval ago and <paramref name="force"/> is
    /// false.</summary>
    /// <param name="status">The line under the title.</param>
    /// <param name="done">Units done, for the percentage and the pace.</param>
    /// <param name="total">Units in all; null: unknown (no percentage).</param>
    /// <param name="currentOperation">The line below the bar.</param>
    /// <param name="remaining">Time left, when the caller knows better than the pace.</param>
    /// <param name="percent">The percentage, when it is not done of total.</param>
    /// <param name="force">Update even if the last update was a moment ago (a wait, a step done, the last unit).</param>
    public void Report(
        string status,
        long done = 0,
        long? total = null,
        string? currentOperation = null,
        TimeSpan? remaining = null,
        int? percent = null,
        bool force = false
    ) => Report(() => (status, currentOperation), done, total, remaining, percent, force);

    /// <summary>As the other overload, with the text built only when the bar is drawn (a per-asset caller skips it most times).</summary>
    public void Report(
        Func<(string Status, string? CurrentOperation)> describe,
        long done,
        long? total,
        TimeSpan? remaining = null,
        int? percent = null,
        bool force = false
    )
    {
        ProgressRecord record;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (!force && _shown && now - _lastTicks < _minIntervalMs && done != total)
            {
                return;
            }
            _lastTicks = now;
            _shown = true;
            var (status, currentOperation) = describe();
            record = new ProgressRecord(_activityId, Activity, status) { CurrentOperation = currentOperation };
            if (percent is { } p)
            {
                record.PercentComplete = Math.Clamp(p, 0, 100);
            }
            else if (total is { } t && t > 0)
            {
                record.PercentComplete = (int)Math.Clamp(done * 100 / t, 0, 100);
            }
            var left = remaining ?? Pace(now, done, total);
            if (left is { } l)
            {
                record.SecondsRemaining = (int)Math.Clamp(Math.Ceiling(l.TotalSeconds), 0, int.MaxValue);
            }
        }
        _cmdlet.PostProgress(record);
    }

    /// <summary>Time left at the pace of the last 30 s (the whole run until then); null without a total or any progress.</summary>
    private TimeSpan? Pace(long now, long done, long? total)
    {
        if (total is not { } t || t <= 0)
        {
            return null;
        }
        _recent.Enqueue((now, done));
        while (_recent.Count > 1 && now - _recent.Peek().Ticks > PaceWindowMs)
        {
            _recent.Dequeue();
        }
        var (fromTicks, fromDone) = now - _startedTicks <= PaceWindowMs ? (_startedTicks, 0L) : _recent.Peek();
        var seconds = (now - fromTicks) / 1000.0;
        var rate = seconds > 0 ? (done - fromDone) / seconds : 0;
        return rate > 0 ? TimeSpan.FromSeconds(Math.Min((t - done) / rate, int.MaxValue)) : null;
    }

    /// <summary>Closes the bar (if it was shown).</summary>
    public void Complete(string status = "Done")
    {
        lock (_gate)
        {
            if (!_shown)
            {
                return;
            }
            _shown = false;
        }
        _cmdlet.PostProgress(new ProgressRecord(_activityId, Activity, status) { RecordType = ProgressRecordType.Completed });
    }
}
