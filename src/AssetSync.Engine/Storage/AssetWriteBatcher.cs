using System.Threading.Channels;
using Npgsql;

namespace AssetSync.Storage;

/// <summary>
/// The one writer of a run's decided assets, every outcome alike: up to <see cref="MaxBatch"/> of them per commit, gathered by
/// count or a short linger, whichever comes first, instead of one commit (one WAL flush on IC3's database) each. Unchanged
/// and failed assets go in one statement (their log and state rows); changed ones in one batch (master row, schedules, log
/// row and state row of each). Each asset is whole in its commit, or not in it; each is reported, as the result built from
/// its committed row, only once its group has committed, so a run's counts always equal its log rows. Workers do not wait
/// for the group: they go on to the next asset.
/// </summary>
/// <remarks>
/// A group that fails for a reason of its own data (a row the database refuses) is split in halves and written again, down to
/// the one asset that fails, which gets a failure row of its own: one bad row never costs the others. A transient database
/// error retries the whole group (StoreConnections' policy), and the log statements never write an asset twice.
/// </remarks>
internal sealed class AssetWriteBatcher
{
    public const int MaxBatch = 200;

    /// <summary>How long the first asset of a group waits for company; short, so live counts stay live.</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);

    /// <summary>A group being written is written, even after Ctrl+C; this long at most.</summary>
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxBatch * 4) { SingleReader = true });
    private readonly SyncStore _store;
    private readonly long _runId;
    private readonly TimeProvider _time;
    private readonly Action<AssetSyncResult> _committed;
    private readonly Task _writer;

    /// <param name="store">Where the groups go.</param>
    /// <param name="runId">The run they belong to.</param>
    /// <param name="time">The run's clock (the linger).</param>
    /// <param name="committed">Told of each asset, as its committed row, once its group has committed.</param>
    public AssetWriteBatcher(SyncStore store, long runId, TimeProvider time, Action<AssetSyncResult> committed)
    {
        _store = store;
        _runId = runId;
        _time = time;
        _committed = committed;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Groups written so far (commits, one or two per group).</summary>
    public int Groups => Volatile.Read(ref _groups);

    private int _groups;

    /// <summary>Queues an unchanged or failed asset's rows; waits only when many groups are already queued.</summary>
    public ValueTask AddAsync(OutcomeRow row, CancellationToken ct) => EnqueueAsync(new Pending(row, null), ct);

    /// <summary>Queues a changed asset; waits only when many groups are already queued.</summary>
    public ValueTask AddAsync(ChangedAsset asset, CancellationToken ct) => EnqueueAsync(new Pending(null, asset), ct);

    /// <summary>Writes what is queued and stops; rethrows what made a group fail.</summary>
    public async Task FlushAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async ValueTask EnqueueAsync(Pending pending, CancellationToken ct)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException closed) when (closed.InnerException is { } cause)
        {
            // A group could not be written: the worker sees the database error itself, and the run stops on it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await WriteGroupsAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing more can be written: refuse further assets at once instead of letting the queue fill and hang.
            _queue.Writer.TryComplete(ex);
            throw;
        }
    }

    private async Task WriteGroupsAsync()
    {
        var reader = _queue.Reader;
        var group = new List<Pending>(MaxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Gather: what is there now, plus what arrives within a short linger, up to a full group.
            using (var linger = new CancellationTokenSource(Linger, _time))
            {
                while (group.Count < MaxBatch)
                {
                    if (reader.TryRead(out var item))
                    {
                        group.Add(item);
                        continue;
                    }
                    try
                    {
                        if (!await reader.WaitToReadAsync(linger.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
            if (group.Count == 0)
            {
                continue;
            }
            using var closing = new CancellationTokenSource(SyncDefaults.GroupWriteTimeout);
            var rows = group.Where(g => g.Row is not null).Select(g => g.Row!).ToList();
            if (rows.Count > 0)
            {
                await WriteRowsAsync(rows, closing.Token).ConfigureAwait(false);
            }
            var changed = group.Where(g => g.Changed is not null).ToList();
            if (changed.Count > 0)
            {
                await WriteChangedAsync(changed, closing.Token).ConfigureAwait(false);
            }
            group.Clear();
        }
    }

    /// <summary>Writes unchanged and failed assets' rows in one statement and one commit, then reports each.</summary>
    private async Task WriteRowsAsync(List<OutcomeRow> rows, CancellationToken ct)
    {
        await _store.States.RecordAsync(_runId, rows, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _groups);
        foreach (var row in rows)
        {
            _committed(row.Committed(_runId));
        }
    }

    /// <summary>Writes changed assets in one commit; a refusal of their own data splits them until the one refused is alone.</summary>
    private async Task WriteChangedAsync(List<Pending> changed, CancellationToken ct)
    {
        try
        {
            await _store.States.ApplyChangedAsync(_runId, changed.Select(g => g.Changed!).ToList(), ct).ConfigureAwait(false);
            Interlocked.Increment(ref _groups);
        }
        catch (PostgresException ex) when (!StoreConnections.IsTransient(ex))
        {
            if (changed.Count == 1)
            {
                // Nothing of the asset was written (its group rolled back whole): its failure row says why.
                await WriteRowsAsync([changed[0].Changed!.Refused(ex)], ct).ConfigureAwait(false);
                return;
            }
            var half = changed.Count / 2;
            await WriteChangedAsync(changed[..half], ct).ConfigureAwait(false);
            await WriteChangedAsync(changed[half..], ct).ConfigureAwait(false);
            return;
        }
        foreach (var g in changed)
        {
            _committed(g.Changed!.Row.Committed(_runId));
        }
    }

    private sealed record Pending(OutcomeRow? Row, ChangedAsset? Changed);
}
