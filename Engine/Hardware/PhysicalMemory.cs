namespace ScenarioEngine.Hardware;

/// <summary>
/// Simulated physical memory as far as the IOMMU sees it: the pages that hold page tables. Each
/// table's descriptor array is registered at its physical address (1 KiB granularity, the smallest
/// table: an ARMv7s level-2 table), so a hardware walk that starts from a table base register and
/// follows the addresses inside descriptors reads exactly the words the format wrote. Addresses
/// holding no table read as zero, like freshly zeroed pages. Data buffers are not stored.
/// </summary>
public sealed class PhysicalMemory
{
    private readonly Dictionary<ulong, (Array Words, int Index, int WordBytes)> _blocks = new();

    /// <summary>Registers 32-bit descriptor storage at <paramref name="pa"/> (a multiple of 1 KiB).</summary>
    public void Map(ulong pa, uint[] words) => Register(pa, words, 4, (ulong)words.Length * 4);

    /// <summary>Registers 64-bit descriptor storage at <paramref name="pa"/>.</summary>
    public void Map(ulong pa, ulong[] words) => Register(pa, words, 8, (ulong)words.Length * 8);

    private void Register(ulong pa, Array words, int wordBytes, ulong bytes)
    {
        for (ulong off = 0; off < Math.Max(bytes, 1024); off += 1024)
            _blocks[(pa + off) >> 10] = (words, (int)(off / (ulong)wordBytes), wordBytes);
    }

    public void Unmap(ulong pa, ulong bytes)
    {
        for (ulong off = 0; off < Math.Max(bytes, 1024); off += 1024) _blocks.Remove((pa + off) >> 10);
    }

    public uint Read32(ulong pa)
    {
        if (!_blocks.TryGetValue(pa >> 10, out var b)) return 0;
        int i = b.Index + (int)((pa & 0x3ff) / (ulong)b.WordBytes);
        return b.WordBytes == 4 ? ((uint[])b.Words)[i] : (uint)(((ulong[])b.Words)[i] >> (int)((pa & 4) * 8));
    }

    public ulong Read64(ulong pa) => Read32(pa) | ((ulong)Read32(pa + 4) << 32);
}
