using System.Text.Json;
using AssetSync.Resilience;

namespace AssetSync.Tests.Fixtures;

/// <summary>What the simulator's timeline of arrivals (<c>arrivalsMs</c> in /_sim/stats) says of a run's pace at the server.</summary>
internal static class ServerPace
{
    /// <summary>
    /// Whether no <paramref name="perSecond"/> + 1 requests arrived closer together than the gate allows them, give or take one
    /// late send: the gate spaces requests 1.01 / rate apart, and on a busy machine one of them may leave its thread late and
    /// arrive beside the next, so rate + 1 arrivals must span at least rate − 1.5 of those intervals (one send held up by a
    /// whole interval and another by a few milliseconds: a fresh clone's run measured 0.882 s against 0.884 s for rate − 1).
    /// A burst (a gate that lets the quota through at once) fails it by far; sends held up by the scheduler do not.
    /// </summary>
    public static (bool Paced, double ShortestSeconds) Check(JsonElement stats, int perSecond)
    {
        var arrivals = stats.GetProperty("arrivalsMs").EnumerateArray().Select(a => a.GetDouble()).Order().ToArray();
        var shortest = double.PositiveInfinity;
        for (var i = perSecond; i < arrivals.Length; i++)
        {
            shortest = Math.Min(shortest, (arrivals[i] - arrivals[i - perSecond]) / 1000);
        }
        return (shortest >= (perSecond - 1.5) * RequestGate.Headroom / perSecond, shortest);
    }
}
