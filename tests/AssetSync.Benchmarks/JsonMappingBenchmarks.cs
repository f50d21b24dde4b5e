using System.Text;
using AssetSync.Innomaint;
using AssetSync.Simulator;
using BenchmarkDotNet.Attributes;

namespace AssetSync.Benchmarks;

/// <summary>Mapping one response body to an asset and fingerprinting it, as every fetch does.</summary>
[MemoryDiagnoser]
public class JsonMappingBenchmarks
{
    private byte[] _body = [];
    private Domain.AssetDetail _asset = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes(AssetGenerator.Body("INF-000123", 1).ToJsonString());
        _asset = AssetDetailParser.TryParse(_body, "INF-000123", out var error) ?? throw new InvalidOperationException(error);
    }

    [Benchmark]
    public object? ParseAssetDetail() => AssetDetailParser.TryParse(_body, "INF-000123", out _);

    [Benchmark]
    public byte[] Fingerprint() => AssetFingerprint.Of(_asset);
}
