using ScenarioEngine.Dma;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// IOVA allocator workloads: the tree growing, a FIFO steady state, the rcache's hit path, and the
/// DMA API's own pattern — alloc_iova_fast/free_iova_fast of scattered sizes freed in a random order.
/// The kernel figures: <see cref="KernelReference"/> (iova.c in userspace, the same workloads).
/// </summary>
internal static class IovaBench
{
    private const ulong Limit40 = (1UL << 28) - 1; // limit_pfn for 40-bit IOVAs with 4 KiB pages

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
    [
        ("iova alloc_iova: grow the tree to 10^6 ranges", TreeGrowth),
        ("iova alloc+free steady, 4096 live, 1-256 pages", SteadyState),
        ("iova rcache alloc_fast+free_fast, 1-32 pages", RcachePairs),
        (Scattered, ScatteredPairs),
    ];

    private const string Scattered = "iova alloc_fast+free_fast, random order, 4096 live, scattered sizes";

    private static uint XorShift(ref uint x)
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    }

    /// <summary>A scattered size: an order 0..8 from r mod 9, then a size in [2^order, 2^(order+1)) from r's bits 8 up — 1 to 511 pages.</summary>
    internal static ulong ScatterSize(uint r)
    {
        int order = (int)(r % 9);
        return (1UL << order) + ((r >> 8) & ((1UL << order) - 1));
    }

    /// <summary>
    /// What dma-iommu asks of the allocator (iommu_dma_alloc_iova / iommu_dma_free_iova): 4096 live
    /// ranges of scattered sizes (<see cref="ScatterSize"/>: below 32 pages the rcache serves them, above
    /// the tree); each pair frees a live range picked at random and allocates one of a new size, 40-bit
    /// limit. xorshift32 from seed 12345 draws, in this order: the 4096 first sizes, then per pair the
    /// slot (mod 4096) and the new size. The depot's delayed trim never runs (no time passes).
    /// </summary>
    private static BenchCommand.Figure ScatteredPairs()
    {
        const int live = 4096, pairs = 200_000;
        IovaAllocator a = null!;
        var pfns = new ulong[live];
        var sizes = new ulong[live];
        uint rng = 0;
        var ns = BenchCommand.Measure(3, pairs, () =>
        {
            a = new IovaAllocator(4096, 1);
            rng = 12345;
            for (int i = 0; i < live; i++)
            {
                sizes[i] = ScatterSize(XorShift(ref rng));
                pfns[i] = a.AllocFast(sizes[i], Limit40, true);
            }
        }, () =>
        {
            for (int i = 0; i < pairs; i++)
            {
                int k = (int)(XorShift(ref rng) % live);
                a.FreeFast(pfns[k], sizes[k]);
                sizes[k] = ScatterSize(XorShift(ref rng));
                pfns[k] = a.AllocFast(sizes[k], Limit40, true);
            }
        });
        return new(Scattered, ns, pairs, "at or below kernel iova.c, normalised (the vs-kernel column)", null);
    }

    private static BenchCommand.Figure TreeGrowth()
    {
        const int n = 1_000_000;
        IovaAllocator a = null!;
        var ns = BenchCommand.Measure(3, n, () => a = new IovaAllocator(4096, 1), () =>
        {
            for (int i = 0; i < n; i++) a.Alloc(1 + (ulong)(i & 7), Limit40, true);
        });
        return new("iova alloc_iova: grow the tree to 10^6 ranges", ns, n, "at or below kernel iova.c, normalised (the vs-kernel column)", null);
    }

    /// <summary>
    /// Streaming-DMA pattern: 4096 live ranges of 1–256 pages; each pair frees the oldest live range
    /// (free_iova) and allocates a new one of a random size (alloc_iova, size-aligned, 40-bit limit).
    /// </summary>
    private static BenchCommand.Figure SteadyState()
    {
        const int live = 4096, pairs = 1_000_000;
        IovaAllocator a = null!;
        var ring = new ulong[live];
        uint rng = 1;
        uint Next() { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
        var ns = BenchCommand.Measure(3, pairs, () =>
        {
            a = new IovaAllocator(4096, 1);
            rng = 12345;
            for (int i = 0; i < live; i++) ring[i] = a.Alloc(1 + Next() % 256, Limit40, true)!.Value;
        }, () =>
        {
            for (int i = 0; i < pairs; i++)
            {
                int k = i % live;
                a.Free(ring[k]);
                ring[k] = a.Alloc(1 + Next() % 256, Limit40, true)!.Value;
            }
        });
        return new("iova alloc+free steady, 4096 live, 1-256 pages", ns, pairs, "at or below kernel iova.c, normalised (the vs-kernel column)", null);
    }

    private static BenchCommand.Figure RcachePairs()
    {
        const int pairs = 10_000_000;
        IovaAllocator a = null!;
        var ns = BenchCommand.Measure(3, pairs, () =>
        {
            a = new IovaAllocator(4096, 1);
            for (ulong s = 1; s <= 32; s++) a.FreeFast(a.AllocFast(s, Limit40, true), s);
        }, () =>
        {
            ulong size = 1;
            for (int i = 0; i < pairs; i++)
            {
                ulong pfn = a.AllocFast(size, Limit40, true);
                a.FreeFast(pfn, size);
                size = size == 32 ? 1 : size + 1;
            }
        });
        return new("iova rcache alloc_fast+free_fast, 1-32 pages", ns, pairs, "at or below kernel iova.c, normalised (the vs-kernel column)", null);
    }
}
