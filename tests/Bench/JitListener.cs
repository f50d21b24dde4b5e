// Counts the JIT's compilations in the process it is loaded into, by namespace (the first two parts) and with the time
// each took, from the runtime's own events (the JIT keyword of Microsoft-Windows-DotNETRuntime). Used by
// Measure-ClientCpu.ps1 -JitByNamespace (issue 38: where a cold run's CPU goes). Benchmark code, not the module's.
using System;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Linq;

public sealed class JitListener : EventListener
{
    private static readonly ConcurrentDictionary<string, (int Count, double Ms)> ByNamespace = new();
    private static readonly ConcurrentDictionary<ulong, DateTime> Started = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }
        var id = Convert.ToUInt64(e.Payload[e.PayloadNames.IndexOf("MethodID")]);
        if (e.EventName.StartsWith("MethodJittingStarted", StringComparison.Ordinal))
        {
            Started[id] = e.TimeStamp;
            return;
        }
        if (!e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal))
        {
            return;
        }
        var ms = Started.TryRemove(id, out var t0) ? (e.TimeStamp - t0).TotalMilliseconds : 0;
        var ns = e.Payload[e.PayloadNames.IndexOf("MethodNamespace")] as string ?? "";
        var parts = ns.Split('.', '`', '[');
        var key = string.Join(".", parts.Take(Math.Min(2, parts.Length)));
        ByNamespace.AddOrUpdate(key, (1, ms), (_, v) => (v.Count + 1, v.Ms + ms));
    }

    public static void Reset() => ByNamespace.Clear();

    public static string Report(int top) =>
        string.Join(
            "\n",
            ByNamespace.OrderByDescending(k => k.Value.Ms).Take(top).Select(k => $"   {k.Value.Ms, 7:F0} ms {k.Value.Count, 6} methods  {k.Key}")
        ) + $"\n   {ByNamespace.Values.Sum(v => v.Ms), 7:F0} ms {ByNamespace.Values.Sum(v => v.Count), 6} methods  in all";
}
