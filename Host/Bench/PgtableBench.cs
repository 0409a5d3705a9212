using ScenarioEngine.Hardware;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// Page-table workloads over 1 GiB of 4 KiB pages (262,144 pages from IOVA 0x4000_0000, PA = IOVA, read
/// and write), calling the format's ops table directly as the kernel's benchmark calls io_pgtable_ops.
/// Every per-page row runs in sequential page order and in a fixed random order too (<see cref="Order"/>:
/// a DMA-API workload scatters its IOVAs, and a sequential order is the best case for any cache of the
/// last table reached). The kernel figures: <see cref="KernelReference"/>.
/// </summary>
internal static class PgtableBench
{
    private const ulong Pages = (1UL << 30) >> 12;
    private const ulong Base = 0x4000_0000;
    private static readonly Soc Dram = new("bench", null, [new MemoryRange("dram", 0x1_0000_0000, 64UL << 30)], [], [], [], "");

    private static readonly Soc DramBelow4G = new("bench", null, [new MemoryRange("dram", 0x4000_0000, 3UL << 30)], [], [], [], "");

    private sealed record Fmt(string Name, Func<IIoPageTable> Make);

    private static readonly Fmt[] Formats =
    [
        new("v7s", () => ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 32, ArmV7sPageTable.SupportedSizes, PgtableQuirks.None), new PhysicalMemory(), new PageAllocator(DramBelow4G))!),
        new("lpae-s1-4k", () => ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(48, 48, 0x4020_1000, PgtableQuirks.None), new PhysicalMemory(), new PageAllocator(Dram))!),
    ];

    /// <summary>
    /// The random page order both sides use: a Fisher–Yates shuffle of the page indices 0..262,143 with
    /// xorshift32 (x ^= x &lt;&lt; 13; x ^= x &gt;&gt; 17; x ^= x &lt;&lt; 5) from seed 12345: for i from 262,143 down to
    /// 1, j = next() mod (i + 1), swap p[i] and p[j]. Page p[k] is the k-th call's IOVA and PA.
    /// </summary>
    internal static readonly uint[] Order = Shuffle((uint)Pages, 12345);

    internal static uint[] Shuffle(uint n, uint seed)
    {
        var p = new uint[n];
        for (uint i = 0; i < n; i++) p[i] = i;
        uint x = seed;
        for (uint i = n - 1; i > 0; i--)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint j = x % (i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static readonly uint[] Sequential = Enumerable.Range(0, (int)Pages).Select(i => (uint)i).ToArray();

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All
    {
        get
        {
            foreach (var f in Formats)
            {
                yield return ($"{f.Name} map, one call per page, fresh tables", () => MapFresh(f, random: false));
                yield return ($"{f.Name} map, one call per page, existing tables", () => MapExisting(f, random: false));
                yield return ($"{f.Name} map_pages of 1 GiB, per page", () => MapPagesWhole(f));
                yield return ($"{f.Name} iova_to_phys, per page", () => IovaToPhys(f, random: false));
                yield return ($"{f.Name} unmap, one call per page", () => UnmapEach(f, random: false));
                yield return ($"{f.Name} unmap_pages of 1 GiB, per page", () => UnmapPagesWhole(f));
                yield return ($"{f.Name} random order: map, one call per page, fresh tables", () => MapFresh(f, random: true));
                yield return ($"{f.Name} random order: map, one call per page, existing tables", () => MapExisting(f, random: true));
                yield return ($"{f.Name} random order: iova_to_phys, per page", () => IovaToPhys(f, random: true));
                yield return ($"{f.Name} random order: unmap, one call per page", () => UnmapEach(f, random: true));
            }
            yield return ("v7s managed bytes / table bytes, 1 GiB of 4K", () => Memory(Formats[0], 1.2));
            yield return ("lpae-s1-4k managed bytes / table bytes, 1 GiB of 4K", () => Memory(Formats[1], 1.2));
        }
    }

    private const string KernelTarget = "at or below the kernel's io-pgtable, normalised (the vs-kernel column)";

    private static string Name(Fmt f, bool random, string what) => random ? $"{f.Name} random order: {what}" : $"{f.Name} {what}";

    private static void MapAll(IIoPageTable t, uint[] order)
    {
        foreach (ulong i in order) t.MapPages(Base + (i << 12), Base + (i << 12), 0x1000, 1, Prot.Read | Prot.Write, out _);
    }

    private static void UnmapAll(IIoPageTable t, uint[] order)
    {
        foreach (ulong i in order) t.UnmapPages(Base + (i << 12), 0x1000, 1);
    }

    private static void MapAll(IIoPageTable t) => MapAll(t, Sequential);

    private static void MapWhole(IIoPageTable t)
    {
        ulong done = 0, total = Pages << 12;
        while (done < total)
        {
            t.MapPages(Base + done, Base + done, 0x1000, (total - done) >> 12, Prot.Read | Prot.Write, out var mapped);
            done += mapped;
        }
    }

    private static BenchCommand.Figure MapFresh(Fmt f, bool random)
    {
        IIoPageTable t = null!;
        var order = random ? Order : Sequential;
        var ns = BenchCommand.Measure(3, (long)Pages, () => t = f.Make(), () => MapAll(t, order));
        return new(Name(f, random, "map, one call per page, fresh tables"), ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure MapExisting(Fmt f, bool random)
    {
        IIoPageTable t = null!;
        var order = random ? Order : Sequential;
        var ns = BenchCommand.Measure(3, (long)Pages, () =>
        {
            t = f.Make();
            MapAll(t);
            UnmapAll(t, Sequential);
        }, () => MapAll(t, order));
        return new(Name(f, random, "map, one call per page, existing tables"), ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure MapPagesWhole(Fmt f)
    {
        IIoPageTable t = null!;
        // a round is a fraction of a millisecond: nine of them, so the median is not one disturbed round
        var ns = BenchCommand.Measure(9, (long)Pages, () =>
        {
            t = f.Make();
            MapAll(t);
            UnmapAll(t, Sequential);
        }, () => MapWhole(t));
        return new($"{f.Name} map_pages of 1 GiB, per page", ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure IovaToPhys(Fmt f, bool random)
    {
        var t = f.Make();
        MapAll(t);
        var order = random ? Order : Sequential;
        ulong sink = 0;
        var ns = BenchCommand.Measure(3, (long)Pages, () => { }, () =>
        {
            foreach (ulong i in order) sink += t.IovaToPhys(Base + (i << 12) + 8);
        });
        GC.KeepAlive(sink);
        return new(Name(f, random, "iova_to_phys, per page"), ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure UnmapEach(Fmt f, bool random)
    {
        IIoPageTable t = null!;
        var order = random ? Order : Sequential;
        var ns = BenchCommand.Measure(3, (long)Pages, () => { t = f.Make(); MapAll(t); }, () => UnmapAll(t, order));
        return new(Name(f, random, "unmap, one call per page"), ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure UnmapPagesWhole(Fmt f)
    {
        IIoPageTable t = null!;
        var ns = BenchCommand.Measure(9, (long)Pages, () => { t = f.Make(); MapAll(t); }, () =>
        {
            ulong done = 0, total = Pages << 12;
            while (done < total)
            {
                ulong n = t.UnmapPages(Base + done, 0x1000, (total - done) >> 12);
                if (n == 0) break;
                done += n;
            }
        });
        return new($"{f.Name} unmap_pages of 1 GiB, per page", ns, (long)Pages, KernelTarget, null);
    }

    /// <summary>Retained managed bytes of a table holding 1 GiB of 4 KiB pages, over the bytes of the tables themselves.</summary>
    private static BenchCommand.Figure Memory(Fmt f, double target)
    {
        long before = GC.GetTotalMemory(true);
        var t = f.Make();
        MapAll(t);
        long after = GC.GetTotalMemory(true);
        double ratio = (after - before) / (double)t.TableBytes;
        GC.KeepAlive(t);
        return new($"{f.Name} managed bytes / table bytes, 1 GiB of 4K", BenchCommand.Rounds.Of(ratio), 1, $"≤ {target}× ({t.TableBytes >> 10} KiB of tables)", target) { Unit = "×" };
    }
}
