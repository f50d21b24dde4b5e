using AssetSync.Diagnostics;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;
using Npgsql;

namespace AssetSync.Run;

/// <summary>
/// A run's write path: each decided asset, whatever its outcome, to the one writer (<see cref="AssetWriteBatcher"/>), then
/// counted and reported as its committed row, in that order, so a reported asset is always a committed one.
/// </summary>
internal sealed class OutcomeWriter
{
    private readonly SyncStore _store;
    private readonly long _runId;
    private readonly RunCounters _counts;
    private readonly SyncObserver _observer;
    private readonly Action<SyncRunFailedException> _stop;
    private readonly AssetWriteBatcher _batcher;

    /// <param name="store">The database.</param>
    /// <param name="runId">The run the rows belong to.</param>
    /// <param name="time">The clock of the groups' linger.</param>
    /// <param name="counts">Counted as assets commit.</param>
    /// <param name="observer">Told of each committed asset.</param>
    /// <param name="stop">Stops the run (an observer that throws).</param>
    public OutcomeWriter(
        SyncStore store,
        long runId,
        TimeProvider time,
        RunCounters counts,
        SyncObserver observer,
        Action<SyncRunFailedException> stop
    )
    {
        _store = store;
        _runId = runId;
        _counts = counts;
        _observer = observer;
        _stop = stop;
        _batcher = new AssetWriteBatcher(store, runId, time, Counted);
    }

    /// <summary>Writes decided assets, in the order they were decided.</summary>
    public async Task WriteAsync(IReadOnlyList<DecidedAsset> decided, CancellationToken token)
    {
        foreach (var asset in decided)
        {
            await WriteAsync(asset, token).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one decided asset through the one writer; it is counted and reported when its group commits.</summary>
    private async Task WriteAsync(DecidedAsset decided, CancellationToken token)
    {
        var (serial, outcome, attempts, waited) = (decided.SerialNumber, decided.Outcome, decided.Attempts, decided.Waited);
        var ms = (long)decided.Duration.TotalMilliseconds;
        if (!outcome.Succeeded)
        {
            await _batcher
                .AddAsync(OutcomeRow.Failure(serial, outcome.Kind!.Value, outcome.Message, attempts, outcome.HttpStatus, ms, waited), token)
                .ConfigureAwait(false);
            return;
        }
        // A server that stamps last_modified on every read says when the asset was served, not changed: the observation goes
        // without it (and without a lone one at its own Date, until the run can tell a stamp from a change just before the read).
        var changedAt = _counts.Answered(outcome) ? null : outcome.ChangeTime.ChangedAt;
        if (outcome.Unchanged)
        {
            await _batcher
                .AddAsync(OutcomeRow.Success(serial, attempts, outcome.HttpStatus, ms, outcome.Validators, unchanged: true, waited: waited), token)
                .ConfigureAwait(false);
        }
        else
        {
            await _batcher
                .AddAsync(new ChangedAsset(serial, outcome.Asset!, attempts, outcome.HttpStatus, ms, outcome.Validators, changedAt, waited), token)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Writes the decided assets still queued, on every path: they were decided, so they get their rows. Returns what went wrong, if
    /// anything.</summary>
    public async Task<SyncRunFailedException?> FlushAsync()
    {
        try
        {
            await _batcher.FlushAsync().ConfigureAwait(false);
            return null;
        }
        catch (NpgsqlException ex)
        {
            return DatabaseErrors.Unavailable(_store.Target, ex);
        }
        catch (OperationCanceledException ex)
        {
            return new DatabaseUnavailableException($"Decided assets could not be written in time: {ex.Message}", ex, _store.Target);
        }
        catch (Exception ex)
        {
            return new UnexpectedSyncErrorException("(writing decided assets)", ex);
        }
    }

    /// <summary>An asset whose rows are committed: counted, then reported.</summary>
    private void Counted(AssetSyncResult result)
    {
        AssetSyncTelemetry.AssetDecided(result);
        _counts.Count(result);
        try
        {
            _observer.AssetCompleted(result);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The caller's observer failed on this asset (wherever its group was committed): stop, naming it, cause kept.
            _stop(new UnexpectedSyncErrorException(result.SerialNumber, ex));
        }
    }
}
