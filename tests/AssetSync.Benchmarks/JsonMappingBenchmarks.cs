using System.Text;
using AssetSync.Innomaint;
using AssetSync.Simulator;
using BenchmarkDotNet.Attributes;

namespace AssetSync.Benchmarks;

/// <summary>Mapping one response body to an asset, as every fetch does.</summary>
[MemoryDiagnoser]
public class JsonMappingBenchmarks
{
    private byte[] _body = [];

    [GlobalSetup]
    public void Setup() => _body = Encoding.UTF8.GetBytes(AssetGenerator.Body("INF-000123", 1).ToJsonString());

    [Benchmark]
    public object? ParseAssetDetail() => AssetDetailParser.TryParse(_body, "INF-000123", out _);
}
