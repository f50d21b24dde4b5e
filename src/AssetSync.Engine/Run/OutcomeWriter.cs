using AssetSync.Diagnostics;
using AssetSync.Domain;
using AssetSync.Innomaint;
using AssetSync.Resilience;
using AssetSync.Storage;
using Npgsql;

namespace AssetSync.Run;

/// <summary>
/// A run's write path: each decided asset to its rows (successes grouped by <see cref="AssetWriteBatcher"/>, failures one
/// statement each), then counted and reported, in that order, so a reported asset is always a committed one.
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
    public OutcomeWriter(SyncStore store, long runId, TimeProvider time, RunCounters counts, SyncObserver observer, Action<SyncRunFailedException> stop)
    {
        _store = store;
        _runId = runId;
        _counts = counts;
        _observer = observer;
        _stop = stop;
        _batcher = new AssetWriteBatcher(store, runId, time, Counted, WriteRefusedAsync);
    }

    /// <summary>Writes held outcomes, in the order they were decided.</summary>
    public async Task WriteAsync(IReadOnlyList<DecidedAsset> held, CancellationToken token)
    {
        foreach (var h in held)
        {
            await WriteAsync(h.SerialNumber, h.Outcome, h.Attempts, h.Duration, h.Waited, token).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one decided asset; a success is reported when its group commits, a failure at once.</summary>
    public async Task WriteAsync(string serial, FetchOutcome outcome, int attempts, TimeSpan elapsed, TimeSpan waited, CancellationToken token)
    {
        if (outcome.Succeeded)
        {
            var result = new AssetSyncResult
            {
                SerialNumber = serial,
                Outcome = outcome.Unchanged ? AssetSyncStatus.Unchanged : AssetSyncStatus.Succeeded,
                Attempts = attempts,
                HttpStatus = outcome.HttpStatus,
                Elapsed = elapsed,
                WaitTime = waited,
                RunId = _runId,
            };
            var ms = (long)elapsed.TotalMilliseconds;
            // A last_modified that is its answer's own Date says when the asset was served, not changed; and once the run finds
            // the server stamping every read, none of its last_modified is believed. The observation goes without it.
            var stampingServer = _counts.Answered(outcome);
            var changedAt = stampingServer || outcome.ChangeTime.StampedOnRead ? null : outcome.ChangeTime.ChangedAt;
            if (outcome.Unchanged)
            {
                await _batcher.AddAsync(new UnchangedAsset(serial, attempts, outcome.HttpStatus, ms, outcome.Validators), result, token).ConfigureAwait(false);
            }
            else
            {
                await _batcher.AddAsync(new ChangedAsset(serial, outcome.Asset!, attempts, outcome.HttpStatus, ms, outcome.Validators, changedAt), result, token)
                    .ConfigureAwait(false);
            }
            return;
        }
        Counted(await WriteFailureAsync(serial, outcome.Kind!.Value, outcome.Message, attempts, outcome.HttpStatus, elapsed, waited, token).ConfigureAwait(false));
    }

    /// <summary>Writes the decided assets still queued, on every path: they were decided, so they get their rows. Returns what went wrong, if anything.</summary>
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

    /// <summary>A changed asset the database refused on its own (its group split down to it): nothing of it was written; its failure row says why.</summary>
    private Task<AssetSyncResult> WriteRefusedAsync(ChangedAsset changed, PostgresException ex, CancellationToken token) =>
        WriteFailureAsync(changed.SerialNumber, SyncErrorKind.Database, "Writing the asset to the database failed: " + StoreConnections.Describe(ex),
            changed.Attempts, changed.HttpStatus, TimeSpan.FromMilliseconds(changed.DurationMs), TimeSpan.Zero, token);

    /// <summary>Writes a failed asset's log and state rows (one statement) and returns its result; messages are stored inert.</summary>
    private async Task<AssetSyncResult> WriteFailureAsync(string serial, SyncErrorKind kind, string? message, int attempts, int? httpStatus, TimeSpan duration,
        TimeSpan waited, CancellationToken token)
    {
        // Reason phrases and messages come from the API: stored and shown inert, never raw.
        message = TextSafety.Inert(message, 1000) ?? "";
        if (serial.Length > 0 && (char.IsWhiteSpace(serial[0]) || char.IsWhiteSpace(serial[^1])))
        {
            message += " Note: this serial number has leading or trailing whitespace in ic3_asset_master.cmms_asset_id; it was requested as stored.";
        }
        await _store.States.ApplyFailureAsync(_runId, serial, kind, message, attempts, httpStatus, (long)duration.TotalMilliseconds, token).ConfigureAwait(false);
        return new AssetSyncResult
        {
            SerialNumber = serial,
            Outcome = AssetSyncStatus.Failed,
            Attempts = attempts,
            HttpStatus = httpStatus,
            ErrorKind = kind.ToContractName(),
            Error = message,
            Elapsed = duration,
            WaitTime = waited,
            RunId = _runId,
        };
    }
}
