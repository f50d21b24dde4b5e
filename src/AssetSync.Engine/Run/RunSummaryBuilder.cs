using System.Diagnostics;
using AssetSync.Diagnostics;
using AssetSync.Domain;
using AssetSync.Storage;

namespace AssetSync.Run;

/// <summary>
/// What a closing run reports, built in one place: the figures its row is closed with, the summary the caller gets, the
/// notes a budgeted run owes the operator, and the end of its telemetry. <see cref="SyncRun"/> keeps only the order.
/// </summary>
internal sealed class RunSummaryBuilder(AssetSelection selection, RunCounters counts, RunBudget budget, SyncObserver observer, SyncOptions options)
{
    /// <summary>The run row's closing figures: <paramref name="selected"/> assets, <paramref name="requests"/> sent over <paramref
    /// name="elapsed"/>.</summary>
    public RunFigures Figures(RunStatus status, int selected, TimeSpan elapsed, long requests, long throttled, string baseUrl, LearnedRate? learned)
    {
        // Selected and never decided, whatever ended the run (a time budget, Ctrl+C, a fatal error): Total adds up on every run.
        var notReached = counts.NotReached(selected);
        var stoppedBy = budget.Spent && status == RunStatus.Complete && notReached > 0 ? "max_duration" : null;
        var sent = (int)Math.Min(int.MaxValue, requests);
        double? rate = elapsed.TotalSeconds > 0 ? Math.Round(sent / elapsed.TotalSeconds, 3) : null;
        var (dated, stamped) = counts.LastModified;
        return new RunFigures(counts.Unchanged, notReached, stoppedBy, sent, (int)Math.Min(int.MaxValue, throttled), rate, baseUrl, learned)
        {
            VolatileAnswers = counts.BodyDifferedOnly,
            // Too few answers with a last_modified say nothing either way.
            StampedAnswers =
                counts.StampsOnRead ? stamped
                : dated >= RunCounters.StampedAnswers ? 0
                : null,
        };
    }

    /// <summary>What the closing figures owe the operator: the rate learned, a spent budget, a stamping server, volatile fields.</summary>
    public void Tell(RunFigures figures)
    {
        if (figures.Learned is { } learned)
        {
            observer.Verbose(
                $"Learned rate for {figures.BaseUrl}: {RateChange.Format(learned.RequestsPerSecond)} requests/s ({learned.Source}); the next run "
                    + $"with -RequestsPerSecond Auto starts from it."
            );
        }
        if (figures.StoppedBy is not null)
        {
            observer.Verbose($"The time budget ({budget.MaxDuration}) is spent: {figures.NotReached} selected asset(s) are left for the next run.");
            if (counts.Succeeded + counts.Failed == 0)
            {
                // A budget that cannot work must not look like a quiet night.
                observer.Warning(
                    $"The time budget ({budget.MaxDuration}) ended the run before any asset was decided: {figures.NotReached} selected asset(s) "
                        + $"were not reached. "
                        + $"Give a longer -MaxDuration: at least one attempt (-TimeoutSec {options.Timeout.TotalSeconds:0.###}) plus the time the "
                        + $"assets need at the rate allowed."
                );
            }
        }
        if (figures.StampedAnswers > 0)
        {
            observer.Warning(
                $"Innomaint stamped last_modified on every read ({figures.StampedAnswers} of {counts.LastModified.Dated} answers carried their "
                    + $"own Date as last_modified): "
                    + "it says when an asset was served, not when it changed, so it was not used to learn change rates. The order still learns "
                    + "from the answers themselves."
            );
        }
        if (figures.VolatileAnswers > 0)
        {
            observer.Verbose(
                $"{figures.VolatileAnswers} answer(s) differed from the stored body only in fields AssetSync does not write (volatile fields): "
                    + $"found unchanged, nothing rewritten."
            );
        }
    }

    /// <summary>The summary the caller gets, as the run row records it.</summary>
    public SyncRunSummary Summary(
        long runId,
        RunStatus status,
        RunFigures figures,
        DateTimeOffset startedAt,
        DateTimeOffset finishedAt,
        TimeSpan elapsed,
        string? error
    ) =>
        new()
        {
            RunId = runId,
            Mode = selection.Mode,
            Total = counts.Succeeded + counts.Failed + counts.Skipped + figures.NotReached,
            Succeeded = counts.Succeeded,
            Failed = counts.Failed,
            Skipped = counts.Skipped,
            Unchanged = figures.Unchanged,
            VolatileAnswers = figures.VolatileAnswers,
            StampedAnswers = figures.StampedAnswers,
            NotReached = figures.NotReached,
            StoppedBy = figures.StoppedBy,
            Requests = figures.Requests,
            Throttled = figures.Throttled,
            RequestsPerSecond = figures.RequestsPerSecond,
            LearnedRequestsPerSecond = figures.Learned?.RequestsPerSecond,
            LearnedRateSource = figures.Learned?.Source,
            Status = status,
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            Duration = elapsed,
            Error = error,
            Host = Environment.MachineName,
            User = Environment.UserName,
        };

    /// <summary>-IfRunning Skip found the lock held: a standby's turn, not an error. No run row; one summary saying so.</summary>
    public SyncRunSummary Skipped(RunInProgress holder, DateTimeOffset now)
    {
        observer.Warning($"Skipped (-IfRunning Skip): {holder} holds this database's run lock. Nothing was sent or written.");
        return new SyncRunSummary
        {
            RunId = 0,
            Mode = selection.Mode,
            Status = RunStatus.Skipped,
            StartedAt = now,
            FinishedAt = now,
            Duration = TimeSpan.Zero,
            // As Fail would have said it ("Another AssetSync run is in progress (…)"): scripts and the job print it.
            Error = new SyncRunLockedException(holder).Message,
            Host = Environment.MachineName,
            User = Environment.UserName,
        };
    }

    /// <summary>Ends the run's telemetry: the rate gauge stops following it, and its activity gets its outcome.</summary>
    public static void EndTelemetry(Activity? activity, Func<double>? rate, RunStatus status, SyncRunSummary summary)
    {
        if (rate is not null)
        {
            AssetSyncTelemetry.RunEnded(rate);
        }
        if (activity is not null)
        {
            activity.SetTag("assetsync.status", status.Name());
            activity.SetTag("assetsync.succeeded", summary.Succeeded);
            activity.SetTag("assetsync.failed", summary.Failed);
            activity.SetStatus(status == RunStatus.Failed ? ActivityStatusCode.Error : ActivityStatusCode.Ok, summary.Error);
            activity.Dispose();
        }
    }
}
