using System.Collections.Concurrent;
using System.Management.Automation;
using System.Runtime.ExceptionServices;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// A cmdlet whose work runs as a task while the pipeline thread pumps its output. PowerShell
/// allows Write* calls only on the pipeline thread, so the task queues them (<see cref="Post"/>)
/// and the pipeline thread runs them. Ctrl+C (StopProcessing) cancels <see cref="CancelToken"/>;
/// the pump then waits for the task to wind down, so the engine can record the run as cancelled.
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private BlockingCollection<Action>? _queue;

    /// <summary>Cancelled by Ctrl+C, PowerShell.Stop() or a failure of the pump.</summary>
    protected CancellationToken CancelToken => _cancel.Token;

    protected virtual Task BeginProcessingAsync() => Task.CompletedTask;

    protected virtual Task ProcessRecordAsync() => Task.CompletedTask;

    protected virtual Task EndProcessingAsync() => Task.CompletedTask;

    protected sealed override void BeginProcessing()
    {
        try
        {
            Prepare();
        }
        catch (Exception ex)
        {
            OnFailure(ex);
            return;
        }
        Pump(BeginProcessingAsync);
    }

    /// <summary>Runs on the pipeline thread before anything else (the settings are resolved here, so every phase sees them).</summary>
    protected virtual void Prepare() { }

    protected sealed override void ProcessRecord() => Pump(ProcessRecordAsync);

    protected sealed override void EndProcessing() => Pump(EndProcessingAsync);

    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>Runs <paramref name="action"/> on the pipeline thread. Safe from any thread while a phase runs.</summary>
    protected void Post(Action action)
    {
        var queue = _queue ?? throw new InvalidOperationException("Output can only be posted while the cmdlet is processing.");
        try
        {
            queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The phase has ended; late output has nowhere to go.
        }
    }

    /// <summary>Runs <paramref name="func"/> on the pipeline thread and hands back its result (e.g. ShouldProcess).</summary>
    protected Task<T> OnPipelineThread<T>(Func<T> func)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                done.TrySetResult(func());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }
        });
        return done.Task;
    }

    protected internal void PostObject(object value) => Post(() => WriteObject(value));

    protected internal void PostVerbose(string message) => Post(() => WriteVerbose(message));

    protected internal void PostDebug(string message) => Post(() => WriteDebug(message));

    protected internal void PostWarning(string message) => Post(() => WriteWarning(message));

    protected internal void PostProgress(ProgressRecord record) => Post(() => WriteProgress(record));

    protected void PostError(ErrorRecord record) => Post(() => WriteError(record));

    /// <summary>Turns a failure of the task into what the user sees; a terminating error by default.</summary>
    protected virtual void OnFailure(Exception exception) => ExceptionDispatchInfo.Throw(exception);

    private void Pump(Func<Task> phase)
    {
        using var queue = new BlockingCollection<Action>();
        _queue = queue;
        var task = Task.Run(async () =>
        {
            try
            {
                await phase().ConfigureAwait(false);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });

        Exception? pumpFailure = null;
        foreach (var action in queue.GetConsumingEnumerable())
        {
            if (pumpFailure is not null)
            {
                continue; // drain, so the task never blocks, while it winds down
            }
            try
            {
                action();
            }
            catch (Exception ex)
            {
                // Usually PipelineStoppedException: stop the work, let it finish cleanly, then rethrow.
                pumpFailure = ex;
                _cancel.Cancel();
            }
        }
        _queue = null;

        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (pumpFailure is null && !(ex is OperationCanceledException && _cancel.IsCancellationRequested))
        {
            OnFailure(ex);
        }
        catch (Exception) when (pumpFailure is not null || _cancel.IsCancellationRequested)
        {
            // Stopping: the stop itself is what the user sees.
        }
        if (pumpFailure is not null)
        {
            ExceptionDispatchInfo.Throw(pumpFailure);
        }
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
