namespace ScenarioEngine.Hardware;

/// <summary>
/// Descriptor storage that is not a plain array of words: a page-table format whose tables keep
/// something beside each descriptor (an LPAE table above the last level holds the next level's
/// storage next to each entry) shows <see cref="PhysicalMemory"/> its descriptors through this.
/// </summary>
public interface IDescriptorWords
{
    /// <summary>How many 64-bit descriptors the storage holds.</summary>
    int Count { get; }

    /// <summary>The descriptor at <paramref name="index"/>, as the format wrote it.</summary>
    ulong Word(int index);
}

/// <summary>
/// Simulated physical memory as far as the IOMMU sees it: the pages that hold page tables. Each
/// table's descriptor storage is registered at its physical address (1 KiB granularity, the smallest
/// table: an ARMv7s level-2 table), so a hardware walk that starts from a table base register and
/// follows the addresses inside descriptors reads exactly the words the format wrote. Addresses
/// holding no table, and bytes of a registered block past the end of its storage, read as zero, like
/// freshly zeroed pages. Data buffers are not stored.
/// </summary>
public sealed class PhysicalMemory
{
    private readonly Dictionary<ulong, (object Words, int Index, int WordBytes)> _blocks = new();

    /// <summary>Registers 32-bit descriptor storage at <paramref name="pa"/> (a multiple of 1 KiB).</summary>
    public void Map(ulong pa, uint[] words) => Register(pa, words, 4, (ulong)words.Length * 4);

    /// <summary>Registers 64-bit descriptor storage at <paramref name="pa"/>: all of it, or its first <paramref name="bytes"/>.</summary>
    public void Map(ulong pa, ulong[] words, ulong bytes = 0) => Register(pa, words, 8, bytes == 0 ? (ulong)words.Length * 8 : bytes);

    /// <summary>Registers 64-bit descriptors held in a format's own storage: its first <paramref name="bytes"/>.</summary>
    public void Map(ulong pa, IDescriptorWords words, ulong bytes) => Register(pa, words, 8, bytes);

    private void Register(ulong pa, object words, int wordBytes, ulong bytes)
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
        int half = (int)((pa & 4) * 8);
        return b.Words switch
        {
            uint[] w => i < w.Length ? w[i] : 0,
            ulong[] w => i < w.Length ? (uint)(w[i] >> half) : 0,
            IDescriptorWords w => i < w.Count ? (uint)(w.Word(i) >> half) : 0,
            _ => 0,
        };
    }

    public ulong Read64(ulong pa) => Read32(pa) | ((ulong)Read32(pa + 4) << 32);
}
