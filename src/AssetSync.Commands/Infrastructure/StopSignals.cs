using System.Runtime.InteropServices;

namespace AssetSync.Commands.Infrastructure;

/// <summary>
/// While a run is in progress, the signals a service manager or scheduler sends to stop a process
/// (SIGTERM; SIGHUP; on Windows also a console close and Ctrl+Break) cancel the run exactly like
/// Ctrl+C instead of killing the process mid-write. The handler waits, briefly, for the run to close
/// its row: Windows ends the process once a close handler returns. Registered only for the run, so
/// the default behaviour holds at any other time.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    /// <summary>How long a signal handler waits for the run to close its row.</summary>
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CancellationTokenSource _cancel;
    private readonly ManualResetEventSlim _closed = new(false);
    private string? _signal;

    public StopSignals(CancellationTokenSource cancel)
    {
        _cancel = cancel;
        Register(PosixSignal.SIGTERM, "SIGTERM");
        Register(PosixSignal.SIGHUP, OperatingSystem.IsWindows() ? "a console close" : "SIGHUP");
        if (OperatingSystem.IsWindows())
        {
            Register(PosixSignal.SIGQUIT, "Ctrl+Break");
        }
    }

    /// <summary>The signal received, if any.</summary>
    public string? Received => Volatile.Read(ref _signal);

    /// <summary>The run's row is closed: a waiting handler may let the process go.</summary>
    public void RunClosed() => _closed.Set();

    private void Register(PosixSignal signal, string name)
    {
        try
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    Interlocked.CompareExchange(ref _signal, name, null);
                    context.Cancel = true;
                    try
                    {
                        _cancel.Cancel();
                        _closed.Wait(SyncDefaults.StopSignalWait);
                    }
                    catch (ObjectDisposedException)
                    {
                        // The run ended as the signal came in: nothing left to stop.
                    }
                }));
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException)
        {
            // Not every platform has every signal; the others still work.
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _closed.Set();
    }
}
