using System.Text;

namespace AssetSync.Storage;

/// <summary>
/// A run's selection, in run order, held compactly: the serial numbers only, length-prefixed UTF-8 in 64 KiB blocks, about
/// 11 bytes an asset instead of an object each (a 1,000,000-asset register in about 11 MB). What else a run needs of an
/// asset (its validators, how its last attempt failed) is read a chunk at a time as the run reaches it
/// (<see cref="SelectionStore.GetSelectedAsync"/>). The order is the one the run started with, so stalest-first order moving
/// during the run never meets an asset twice. Written once, then read from the start; not thread-safe while written.
/// </summary>
internal sealed class SelectionSnapshot
{
    private const int BlockSize = 64 * 1024;

    private readonly List<byte[]> _blocks = [];
    private readonly List<int> _used = [];

    /// <summary>Assets selected.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a serial number.</summary>
    public void Add(string serial)
    {
        var length = Encoding.UTF8.GetByteCount(serial);
        var needed = length + 5;
        if (_blocks.Count == 0 || _used[^1] + needed > _blocks[^1].Length)
        {
            _blocks.Add(new byte[Math.Max(BlockSize, needed)]);
            _used.Add(0);
        }
        var block = _blocks[^1];
        var at = _used[^1];
        // 7-bit encoded length, then the bytes: a serial of any length fits.
        var n = (uint)length;
        while (n >= 0x80)
        {
            block[at++] = (byte)(n | 0x80);
            n >>= 7;
        }
        block[at++] = (byte)n;
        at += Encoding.UTF8.GetBytes(serial, 0, serial.Length, block, at);
        _used[^1] = at;
        Count++;
    }

    /// <summary>The serial numbers in order, in chunks of at most <paramref name="size"/>.</summary>
    public IEnumerable<IReadOnlyList<string>> Chunks(int size)
    {
        var chunk = new List<string>(size);
        for (var b = 0; b < _blocks.Count; b++)
        {
            var block = _blocks[b];
            var at = 0;
            while (at < _used[b])
            {
                uint length = 0;
                var shift = 0;
                byte next;
                do
                {
                    next = block[at++];
                    length |= (uint)(next & 0x7F) << shift;
                    shift += 7;
                } while ((next & 0x80) != 0);
                chunk.Add(Encoding.UTF8.GetString(block, at, (int)length));
                at += (int)length;
                if (chunk.Count == size)
                {
                    yield return chunk;
                    chunk = new List<string>(size);
                }
            }
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}
