using System.Globalization;
using System.Text.Json;
using ScenarioEngine.Dma;

namespace ScenarioEngine.Tests;

/// <summary>Every public golden sequence of golden/iova.json (the kernel's own iova.c) replayed op by op.</summary>
public class IovaGoldenTests
{
    private static JsonDocument Golden() => JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "iova.json")));

    internal static ulong U(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetUInt64()
        : ulong.Parse(e.GetString()!.Replace("0x", "", StringComparison.Ordinal), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public static TheoryData<string> Sequences()
    {
        var data = new TheoryData<string>();
        using var doc = Golden();
        foreach (var s in doc.RootElement.GetProperty("scenarios").EnumerateArray()) data.Add(s.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sequences))]
    public void The_golden_sequence_gives_the_kernels_exact_results(string name)
    {
        using var doc = Golden();
        var seq = doc.RootElement.GetProperty("scenarios").EnumerateArray().First(s => s.GetProperty("name").GetString() == name);
        var ops = seq.GetProperty("ops").EnumerateArray().ToList();
        var results = seq.GetProperty("results").EnumerateArray().ToList();
        IovaAllocator? iovad = null;
        bool pci32 = true;
        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            var expected = results[i];
            string what = $"{name} op {i} {op}";
            switch (op.GetProperty("op").GetString())
            {
                case "init":
                    iovad = new IovaAllocator(U(op.GetProperty("granule")), U(op.GetProperty("start_pfn")));
                    pci32 = true;
                    break;
                case "init_rcaches":
                    Assert.Equal(0, expected.GetInt32());
                    break;
                case "alloc_iova":
                {
                    var r = iovad!.Alloc(U(op.GetProperty("size")), U(op.GetProperty("limit_pfn")), op.GetProperty("size_aligned").GetBoolean());
                    Assert.True(expected.GetInt64() == (r is null ? -1 : (long)r.Value), what + $" → {r}");
                    break;
                }
                case "alloc_iova_fast":
                {
                    var r = iovad!.AllocFast(U(op.GetProperty("size")), U(op.GetProperty("limit_pfn")), op.GetProperty("flush_rcache").GetBoolean());
                    Assert.True(U(expected) == r, what + $" → {r}");
                    break;
                }
                case "free_iova":
                    iovad!.Free(U(op.GetProperty("pfn")));
                    break;
                case "free_iova_fast":
                    iovad!.FreeFast(U(op.GetProperty("pfn")), U(op.GetProperty("size")));
                    break;
                case "reserve_iova":
                {
                    var r = iovad!.Reserve(U(op.GetProperty("pfn_lo")), U(op.GetProperty("pfn_hi")));
                    if (expected.ValueKind == JsonValueKind.Null) Assert.True(r is null, what);
                    else Assert.True(r == (U(expected[0]), U(expected[1])), what + $" → {r}");
                    break;
                }
                case "dump":
                {
                    var want = expected.EnumerateArray().Select(p => (U(p[0]), U(p[1]))).ToList();
                    Assert.True(want.SequenceEqual(iovad!.Dump()), what + " dump differs: " + string.Join(" ", iovad!.Dump()));
                    break;
                }
                case "state":
                    CheckState(iovad!, expected, what);
                    break;
                case "dma_map":
                {
                    ulong phys = U(op.GetProperty("phys")), size = U(op.GetProperty("size"));
                    var (off, len) = DmaIommuAlloc.MapRounding(iovad!, phys, size);
                    ulong? aperture = op.GetProperty("force_aperture").GetBoolean() ? U(op.GetProperty("aperture_end")) : null;
                    ulong limit = DmaIommuAlloc.Limit(U(op.GetProperty("dma_mask")), U(op.GetProperty("bus_dma_limit")), aperture);
                    bool pci = op.GetProperty("is_pci").GetBoolean() && pci32;
                    ulong iova = DmaIommuAlloc.AllocIova(iovad!, len, limit, ref pci);
                    if (op.GetProperty("is_pci").GetBoolean()) pci32 = pci;
                    var got = iova == 0 ? "DMA_MAPPING_ERROR" : "0x" + (iova + off).ToString("x", CultureInfo.InvariantCulture);
                    Assert.True(expected.GetString() == got, what + " → " + got);
                    break;
                }
                case "dma_unmap":
                {
                    var (iova, len) = DmaIommuAlloc.UnmapRounding(iovad!, U(op.GetProperty("handle")), U(op.GetProperty("size")));
                    Assert.False(op.GetProperty("lazy").GetBoolean(), "lazy golden unmaps need the flush queue model");
                    iovad!.FreeFast(iova >> iovad.Shift, len >> iovad.Shift);
                    break;
                }
                default:
                    Assert.Fail("unknown golden op " + op);
                    break;
            }
        }
    }

    private static void CheckState(IovaAllocator iovad, JsonElement expected, string what)
    {
        var (cached, cached32) = iovad.CacheState;
        static string Node((ulong Lo, ulong Hi)? n) => n is null ? "anchor" : $"[{n.Value.Lo},{n.Value.Hi}]";
        static string Want(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : $"[{U(e[0])},{U(e[1])}]";
        Assert.True(Want(expected.GetProperty("cached_node")) == Node(cached), what + " cached_node " + Node(cached));
        Assert.True(Want(expected.GetProperty("cached32_node")) == Node(cached32), what + " cached32_node " + Node(cached32));
        Assert.True(U(expected.GetProperty("max32_alloc_size")) == iovad.Max32AllocSize, what + " max32 " + iovad.Max32AllocSize);
        Assert.True(U(expected.GetProperty("dma_32bit_pfn")) == iovad.Dma32BitPfn, what);
    }

    public static TheoryData<int> RoundingRows()
    {
        var data = new TheoryData<int>();
        using var doc = Golden();
        int n = doc.RootElement.GetProperty("dma_iommu_size_rounding").GetProperty("rows").GetArrayLength();
        for (int i = 0; i < n; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundingRows))]
    public void Every_dma_iommu_rounding_row_matches(int index)
    {
        using var doc = Golden();
        var row = doc.RootElement.GetProperty("dma_iommu_size_rounding").GetProperty("rows")[index];
        ulong granule = U(row.GetProperty("granule"));
        var iovad = new IovaAllocator(granule, 1);
        var (off, size) = DmaIommuAlloc.MapRounding(iovad, U(row.GetProperty("phys_offset")), U(row.GetProperty("size")));
        Assert.Equal(U(row.GetProperty("iova_off")), off);
        Assert.Equal(U(row.GetProperty("iova_align_size")), size);
        ulong len = size >> iovad.Shift;
        Assert.Equal(U(row.GetProperty("iova_len_pfns")), len);
        ulong pfn = iovad.AllocFast(len, (1UL << 40) >> iovad.Shift, true);
        ulong allocLen = len < 32 ? System.Numerics.BitOperations.RoundUpToPowerOf2(len) : len;
        Assert.Equal(U(row.GetProperty("alloc_len_pfns")), allocLen);
        Assert.Equal(0UL, pfn % U(row.GetProperty("alignment_pfns")));
        Assert.Equal((allocLen, pfn + allocLen - 1), (iovad.Find(pfn)!.Value.Hi - iovad.Find(pfn)!.Value.Lo + 1, iovad.Find(pfn)!.Value.Hi));
        int order = len <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(len - 1);
        Assert.Equal(row.GetProperty("rcache_cached").GetBoolean(), order < IovaAllocator.RangeCacheMaxSize);
        Assert.Equal(U(row.GetProperty("iommu_map_size")), size);
    }
}
