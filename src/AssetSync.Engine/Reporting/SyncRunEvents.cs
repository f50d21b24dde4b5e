using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace AssetSync.Reporting;

/// <summary>
/// Which events a run makes (<see cref="Plan"/>), and where they go (<see cref="Write(IEnumerable{SyncRunEvent})"/>): the Windows Application log
/// under
/// the source "AssetSync" on Windows, the journal through systemd-cat on Linux where a journal is reachable (its socket
/// exists), otherwise nowhere, and the caller says so. The plan
/// and the message are the same on every platform, so they are tested here; only the last call differs.
/// </summary>
public static class SyncRunEvents
{
    /// <summary>
    /// The events for a run that ended with <paramref name="run"/> (null when it failed before it had a summary: then
    /// <paramref name="runError"/> says why), and the register's <paramref name="register"/> (null when it could not be read).
    /// Failed assets count against <paramref name="maxFailedPercent"/> of the register, deferred ones excepted.
    /// </summary>
    public static IReadOnlyList<SyncRunEvent> Plan(
        SyncRunSummary? run,
        string? runError,
        SyncStatus? register,
        double maxFailedPercent,
        bool failOnAnyFailure
    )
    {
        var events = new List<SyncRunEvent>();
        if (run?.Status == RunStatus.Skipped)
        {
            events.Add(
                new SyncRunEvent(
                    SyncRunEvent.Skipped,
                    SyncRunEventLevel.Information,
                    $"AssetSync skipped its run: {TextSafety.Inert(run.Error ?? "another run holds the run lock", 300)} This host is the standby; "
                        + $"nothing was sent or written."
                )
            );
            return events;
        }
        if (run is null || run.Status != RunStatus.Complete)
        {
            var why = TextSafety.Inert(run?.Error ?? runError ?? (run is null ? "the run did not start" : $"the run ended {run.Status.Name()}"), 500);
            events.Add(
                new SyncRunEvent(
                    SyncRunEvent.Failed,
                    SyncRunEventLevel.Error,
                    run is null ? $"AssetSync run failed: {why}" : $"AssetSync run {run.RunId} ended {run.Status.Name()}: {why} {Figures(run)}"
                )
            );
        }
        else
        {
            var failing = register is null ? run.Failed : Math.Max(0, register.FailedAssets - register.DeferredAssets);
            var percent = register is { TotalAssets: > 0 } ? 100.0 * failing / register.TotalAssets : 0;
            if (failing == 0)
            {
                events.Add(
                    new SyncRunEvent(SyncRunEvent.Complete, SyncRunEventLevel.Information, $"AssetSync run {run.RunId} complete: {Figures(run)}")
                );
            }
            else
            {
                var over = percent > maxFailedPercent || failOnAnyFailure;
                events.Add(
                    new SyncRunEvent(
                        SyncRunEvent.CompleteWithFailures,
                        over ? SyncRunEventLevel.Warning : SyncRunEventLevel.Information,
                        $"AssetSync run {run.RunId} complete with failures: {Figures(run)} {failing} asset(s) failing, deferred ones not counted: "
                            + $"{percent.ToString("0.##", CultureInfo.InvariantCulture)} % of the register, "
                            + (
                                over
                                    ? $"above the threshold of {maxFailedPercent.ToString("0.##", CultureInfo.InvariantCulture)} "
                                        + $"%{(failOnAnyFailure ? " (-FailOnAnyFailure)" : "")}."
                                    : $"within the threshold of {maxFailedPercent.ToString("0.##", CultureInfo.InvariantCulture)} %."
                            )
                    )
                );
            }
        }
        if (register is { StaleAssets: > 0 })
        {
            events.Add(
                new SyncRunEvent(
                    SyncRunEvent.Stale,
                    SyncRunEventLevel.Warning,
                    $"The IC3 register is stale: {register.StaleAssets} of {register.TotalAssets} asset(s) should have fresh data and have had "
                        + $"none for {FormatAge(register.StaleAfter)} "
                        + $"(deferred assets, {register.DeferredAssets}, are not counted)"
                        + (register.OldestSuccessAt is { } oldest ? $"; the oldest success is from {oldest:u}." : ".")
                )
            );
        }
        return events;
    }

    /// <summary>Writes each event where this platform keeps them; returns where that was ("Application log", "journal", or null: nowhere).</summary>
    public static string? Write(IEnumerable<SyncRunEvent> events) => Write(events, PlatformSink());

    /// <summary>As <see cref="Write(IEnumerable{SyncRunEvent})"/>, to <paramref name="sink"/> (tests give their own).</summary>
    public static string? Write(IEnumerable<SyncRunEvent> events, ISyncRunEventSink? sink)
    {
        if (sink is null)
        {
            return null;
        }
        foreach (var e in events)
        {
            sink.Write(e);
        }
        return sink.Name;
    }

    /// <summary>The sink of this platform: the Event Log on Windows, the journal where systemd-cat and the journal's socket exist, else
    /// none.</summary>
    public static ISyncRunEventSink? PlatformSink()
    {
        if (OperatingSystem.IsWindows())
        {
            return new EventLogSink();
        }
        return JournalSink.Find() is { } path ? new JournalSink(path) : null;
    }

    private static string Figures(SyncRunSummary run) =>
        $"{run.Succeeded} succeeded ({run.Unchanged} unchanged), {run.Failed} failed, {run.Skipped} skipped, {run.NotReached} not reached, "
        + $"{run.Requests} requests ({run.Throttled} throttled) in "
        + $"{(run.Duration ?? TimeSpan.Zero).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s.";

    private static string FormatAge(TimeSpan age) => age.TotalDays >= 1 ? $"{age.TotalDays:0.#} days" : $"{age.TotalHours:0.#} hours";

    /// <summary>
    /// The Application log, source "AssetSync" (Register-CmmsSyncEventSource creates it, once, as an administrator).
    /// System.Diagnostics.EventLog is bound at run time from the PowerShell that hosts the module, which ships it on Windows,
    /// so the module carries no Windows-only package. Untested: no Windows machine builds or tests this project.
    /// </summary>
    private sealed class EventLogSink : ISyncRunEventSink
    {
        public string Name => "Application log";

        public void Write(SyncRunEvent e)
        {
            var eventLog = EventLogType();
            var entryType = Type.GetType("System.Diagnostics.EventLogEntryType, System.Diagnostics.EventLog", throwOnError: true)!;
            var level = Enum.Parse(entryType, e.Level.ToString());
            eventLog
                .GetMethod("WriteEntry", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(string), entryType, typeof(int)])!
                .Invoke(null, [SyncRunEvent.Source, e.Message, level, e.EventId]);
        }
    }

    private static Type EventLogType() => Type.GetType("System.Diagnostics.EventLog, System.Diagnostics.EventLog", throwOnError: true)!;

    /// <summary>Windows: whether the Application log has the source "AssetSync".</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    public static bool EventSourceExists() =>
        (bool)
            EventLogType()
                .GetMethod("SourceExists", BindingFlags.Public | BindingFlags.Static, [typeof(string)])!
                .Invoke(null, [SyncRunEvent.Source])!;

    /// <summary>Windows, as an administrator: creates the source "AssetSync" in the Application log.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    public static void CreateEventSource() =>
        EventLogType()
            .GetMethod("CreateEventSource", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(string)])!
            .Invoke(null, [SyncRunEvent.Source, "Application"]);

    /// <summary>
    /// The journal, through systemd-cat: identifier "AssetSync", the level as priority, the ID in the message. A systemd-cat
    /// that fails is an error with its own words, so nothing claims an event reached a journal that did not take it.
    /// </summary>
    private sealed class JournalSink(string systemdCat) : ISyncRunEventSink
    {
        public string Name => "journal";

        /// <summary>The journal's socket: systemd-cat without it fails ("Failed to create stream fd"), so it is no journal.</summary>
        internal const string Socket = "/run/systemd/journal/stdout";

        /// <summary>systemd-cat on the PATH, and a journal it can reach; null otherwise.</summary>
        public static string? Find() =>
            !Path.Exists(Socket)
                ? null
                : (Environment.GetEnvironmentVariable("PATH") ?? "")
                    .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                    .Select(d => Path.Combine(d, "systemd-cat"))
                    .FirstOrDefault(File.Exists);

        public void Write(SyncRunEvent e)
        {
            var priority = e.Level switch
            {
                SyncRunEventLevel.Error => "err",
                SyncRunEventLevel.Warning => "warning",
                _ => "info",
            };
            using var process = Process.Start(
                new ProcessStartInfo(systemdCat)
                {
                    ArgumentList = { "-t", SyncRunEvent.Source, "-p", priority },
                    RedirectStandardInput = true,
                    // Its complaints are read and reported, never left as stray lines on the job's console.
                    RedirectStandardError = true,
                    UseShellExecute = false,
                }
            )!;
            var complaint = process.StandardError.ReadToEndAsync();
            process.StandardInput.WriteLine($"[{e.EventId}] {e.Message}");
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                throw new IOException("systemd-cat did not finish within 5 s.");
            }
            if (process.ExitCode != 0)
            {
                throw new IOException($"systemd-cat exited {process.ExitCode}: {TextSafety.Inert(complaint.GetAwaiter().GetResult().Trim(), 200)}");
            }
        }
    }
}
