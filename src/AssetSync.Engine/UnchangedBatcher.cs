using System.Threading.Channels;
using AssetSync.Storage;

namespace AssetSync;

/// <summary>
/// Writes unchanged assets in groups: one statement and one commit for up to <see cref="MaxBatch"/> of them instead of
/// one each. An unchanged asset costs only its log row and state update, so per-asset round trips and commits were most
/// of its time. Each asset is still written whole (log and state in the same statement), and reported only once its
/// group is committed. Workers do not wait for the group: they go on to the next asset.
/// </summary>
internal sealed class UnchangedBatcher
{
    public const int MaxBatch = 200;

    /// <summary>How long the first asset of a group waits for company; short, so live counts stay live.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);

    private readonly Channel<(UnchangedAsset Asset, AssetSyncResult Result)> _queue =
        Channel.CreateBounded<(UnchangedAsset, AssetSyncResult)>(new BoundedChannelOptions(MaxBatch * 4) { SingleReader = true });

    private readonly SyncStore _store;
    private readonly long _runId;
    private readonly TimeProvider _time;
    private readonly Action<AssetSyncResult> _committed;
    private readonly Task _writer;

    public UnchangedBatcher(SyncStore store, long runId, TimeProvider time, Action<AssetSyncResult> committed)
    {
        _store = store;
        _runId = runId;
        _time = time;
        _committed = committed;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues an unchanged asset; waits only when many groups are already queued.</summary>
    public async ValueTask AddAsync(UnchangedAsset asset, AssetSyncResult result, CancellationToken ct)
    {
        try
        {
            await _queue.Writer.WriteAsync((asset, result), ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException closed) when (closed.InnerException is { } cause)
        {
            // A group could not be written: the worker sees the database error itself, and the run stops on it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
        }
    }

    /// <summary>Writes what is queued and stops; rethrows what made a group fail.</summary>
    public async Task FlushAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
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
        var group = new List<(UnchangedAsset Asset, AssetSyncResult Result)>(MaxBatch);
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
            // The run's writes are never cut halfway: a group being written is written, even after Ctrl+C.
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _store.ApplyUnchangedAsync(_runId, group.Select(g => g.Asset).ToList(), closing.Token).ConfigureAwait(false);
            foreach (var (_, result) in group)
            {
                _committed(result);
            }
            group.Clear();
        }
    }
}
