using ScenarioEngine.Dma;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// IOVA allocator workloads (issue: the DMA API and the kernel's IOVA allocator). Targets are the
/// kernel's iova.c built in userspace (gcc -O2) on this machine: 234–294 ns per tree allocation,
/// 330–400 ns per steady-state alloc+free pair, 7–8 ns per rcache alloc+free pair.
/// </summary>
internal static class IovaBench
{
    private const ulong Limit40 = (1UL << 28) - 1; // limit_pfn for 40-bit IOVAs with 4 KiB pages

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
    [
        ("iova alloc_iova: grow the tree to 10^6 ranges", TreeGrowth),
        ("iova alloc+free steady, 4096 live, 1-256 pages", SteadyState),
        ("iova rcache alloc_fast+free_fast, 1-32 pages", RcachePairs),
    ];

    private static BenchCommand.Figure TreeGrowth()
    {
        const int n = 1_000_000;
        IovaAllocator a = null!;
        var ns = BenchCommand.Measure(3, n, () => a = new IovaAllocator(4096, 1), () =>
        {
            for (int i = 0; i < n; i++) a.Alloc(1 + (ulong)(i & 7), Limit40, true);
        });
        return new("iova alloc_iova: grow the tree to 10^6 ranges", ns, n, "at or below kernel iova.c (the kernel and vs-kernel columns)", null);
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
        return new("iova alloc+free steady, 4096 live, 1-256 pages", ns, pairs, "at or below kernel iova.c (the kernel and vs-kernel columns)", null);
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
        return new("iova rcache alloc_fast+free_fast, 1-32 pages", ns, pairs, "at or below kernel iova.c (the kernel and vs-kernel columns)", null);
    }
}
