namespace AssetSync.Tests.Fixtures;

/// <summary>The simulator's serial numbers, the one way tests name them.</summary>
internal static class TestSerials
{
    /// <summary><paramref name="count"/> serials from the <paramref name="from"/>-th on (INF-000001 is the first).</summary>
    public static IEnumerable<string> Range(int from, int count) => Enumerable.Range(from, count).Select(Simulator.AssetGenerator.SerialFor);
}
