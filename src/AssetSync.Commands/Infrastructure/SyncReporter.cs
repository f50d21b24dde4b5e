using System.Management.Automation;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// The engine's events, turned into pipeline output, progress and messages for a sync cmdlet. Called from worker threads;
/// everything it writes goes out on the pipeline thread (<see cref="AsyncPSCmdlet"/>).
/// </summary>
internal sealed class SyncReporter : SyncObserver
{
    /// <summary>Waits for the request budget are summed up this often: one line per asset would drown -Verbose.</summary>
    private const long RateNoteIntervalMs = 5000;

    private readonly AsyncPSCmdlet _cmdlet;
    private readonly bool _verbose;
    private readonly bool _debug;
    private readonly bool _emitResults;
    private readonly ProgressBar _progress;
    private readonly ProgressBar _lockWait;
    private readonly object _gate = new();

    private long _runId;
    private long? _total;
    private long _done;
    private long _failed;
    private bool _started;

    // The rate as a double's bits: written by worker threads, read when the bar is drawn.
    private long _rateBits = BitConverter.DoubleToInt64Bits(double.NaN);

    private long _waits;
    private double _waitedMs;
    private long _lastWaitNoteTicks = Environment.TickCount64;
    private bool _waitAnnounced;

    /// <param name="cmdlet">Where output goes.</param>
    /// <param name="verbose">-Verbose is on: retries, rate changes and waits are told.</param>
    /// <param name="debug">-Debug is on.</param>
    /// <param name="emitResults">One result per asset to the pipeline (not -Summary).</param>
    public SyncReporter(AsyncPSCmdlet cmdlet, bool verbose, bool debug, bool emitResults)
    {
        _cmdlet = cmdlet;
        _verbose = verbose;
        _debug = debug;
        _emitResults = emitResults;
        _progress = new ProgressBar(cmdlet, ProgressBar.SyncActivity, "Syncing assets from Innomaint");
        _lockWait = new ProgressBar(cmdlet, ProgressBar.LockWaitActivity, "Waiting for another AssetSync run to finish (-Wait)");
    }

    public override void RunStarted(long runId, SelectionMode mode, long? total)
    {
        _runId = runId;
        _total = total;
        _started = true;
        _progress.Activity = $"Syncing assets from Innomaint (run {runId})";
        Verbose($"Run {runId} started ({mode}): {(total is null ? "assets" : total + " asset(s)")} to sync.");
    }

    public override void AssetCompleted(AssetSyncResult result)
    {
        if (_emitResults)
        {
            _cmdlet.PostObject(result);
        }
        long done,
            failed;
        lock (_gate)
        {
            done = ++_done;
            failed = result.Outcome == AssetSyncStatus.Failed ? ++_failed : _failed;
        }
        _progress.Report(
            () =>
                (
                    (_total is { } t ? $"{done} of {t} done, {failed} failed" : $"{done} done, {failed} failed") + RateText(),
                    $"Last: {TextSafety.Inert(result.SerialNumber, 60)}"
                ),
            done,
            _total
        );
    }

    /// <summary>Each change of the rate goes to -Verbose with its reason; the progress bar shows the rate now.</summary>
    public override void RateChanged(RateChange change)
    {
        Volatile.Write(ref _rateBits, BitConverter.DoubleToInt64Bits(change.RequestsPerSecond));
        Verbose(change.ToString());
    }

    private string RateText()
    {
        var rate = BitConverter.Int64BitsToDouble(Volatile.Read(ref _rateBits));
        return double.IsNaN(rate) ? "" : $", {RateChange.Format(rate)} requests/s";
    }

    /// <summary>The run is over: the last wait note, and the bar closed.</summary>
    public void Finish()
    {
        string? note = null;
        lock (_gate)
        {
            if (!_started)
            {
                return;
            }
            if (_verbose && _waits > 0)
            {
                note = WaitNote(Environment.TickCount64);
            }
        }
        if (note is not null)
        {
            _cmdlet.PostVerbose(note);
        }
        _progress.Complete();
    }

    public override void RetryScheduled(RetryNotice notice) => Verbose(notice.ToString());

    public override void RateLimitWaited(string serialNumber, TimeSpan wait)
    {
        if (!_verbose)
        {
            return;
        }
        string? note = null;
        lock (_gate)
        {
            _waits++;
            _waitedMs += wait.TotalMilliseconds;
            var now = Environment.TickCount64;
            if (now - _lastWaitNoteTicks >= RateNoteIntervalMs)
            {
                note = WaitNote(now);
            }
        }
        if (note is not null)
        {
            _cmdlet.PostVerbose(note);
        }
    }

    private string WaitNote(long now)
    {
        var note =
            $"Rate limit: {_waits} request(s) waited for the request budget in the last {(now - _lastWaitNoteTicks) / 1000.0:0.#} s, "
            + $"{_waitedMs / 1000:0.##} s in all.";
        _waits = 0;
        _waitedMs = 0;
        _lastWaitNoteTicks = now;
        return note;
    }

    public override void Warning(string message) => _cmdlet.PostWarning(message);

    public override void Verbose(string message)
    {
        if (_verbose)
        {
            _cmdlet.PostVerbose(message);
        }
    }

    public override void Debug(string message)
    {
        if (_debug)
        {
            _cmdlet.PostDebug(message);
        }
    }

    /// <summary>-Wait: a progress bar of its own, and a -Verbose line when the wait starts and ends.</summary>
    public override void WaitingForRun(RunInProgress holder, TimeSpan waited, TimeSpan timeout, bool done)
    {
        if (!_waitAnnounced)
        {
            _waitAnnounced = true;
            Verbose(
                $"The run lock is held by {holder}; waiting up to {SyncRunLockedException.FormatWait(timeout)} for it to finish (-Wait, "
                    + $"-WaitTimeoutSec)."
            );
        }
        if (done)
        {
            Verbose($"Waited {SyncRunLockedException.FormatWait(waited)} for {holder}.");
            _lockWait.Complete();
            return;
        }
        var percent = timeout > TimeSpan.Zero ? (int)Math.Clamp(waited.Ticks * 100 / timeout.Ticks, 0, 100) : 100;
        _lockWait.Report(
            $"Waited {SyncRunLockedException.FormatWait(waited)} of at most {SyncRunLockedException.FormatWait(timeout)}",
            currentOperation: $"Holder: {holder}",
            percent: percent,
            remaining: timeout - waited > TimeSpan.Zero ? timeout - waited : TimeSpan.Zero,
            force: true
        );
    }
}
