using AssetSync.Storage;

namespace AssetSync.Tests.Storage;

/// <summary>The compact selection: order kept, any serial number (long, non-ASCII, empty), chunked reading.</summary>
public class SelectionSnapshotTests
{
    [Fact]
    public void Serial_numbers_come_back_in_order_and_whole_in_chunks()
    {
        var snapshot = new SelectionSnapshot();
        var serials = Enumerable.Range(1, 2500).Select(i => $"INF-{i:000000}").ToList();
        // Across block boundaries: a 70,000-character serial (larger than a block), non-ASCII, and an empty one.
        serials.Insert(700, new string('x', 70_000));
        serials.Insert(1200, "Pompe à chaleur – №7 ✓");
        serials.Insert(1300, "");
        foreach (var s in serials)
        {
            snapshot.Add(s);
        }

        Assert.Equal(serials.Count, snapshot.Count);
        var chunks = snapshot.Chunks(1000).ToList();
        Assert.Equal([1000, 1000, 503], chunks.Select(c => c.Count));
        Assert.Equal(serials, chunks.SelectMany(c => c));
    }

    [Fact]
    public void A_million_serial_numbers_take_about_eleven_bytes_each()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var snapshot = new SelectionSnapshot();
        for (var i = 0; i < 1_000_000; i++)
        {
            snapshot.Add(string.Create(10, i, static (span, n) =>
                {
                    "INF-".AsSpan().CopyTo(span);
                    n.TryFormat(span[4..], out _, "000000", System.Globalization.CultureInfo.InvariantCulture);
                }));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // 10 bytes and a length byte each, in 64 KiB blocks; the strings made for the test are 40 bytes each on top.
        Assert.InRange(allocated - (1_000_000L * 48), -2_000_000, 13_000_000);
        Assert.Equal(1_000_000, snapshot.Count);
        Assert.Equal("INF-999999", snapshot.Chunks(1000).Last()[^1]);
    }
}
