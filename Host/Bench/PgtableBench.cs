using ScenarioEngine.Hardware;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// Page-table workloads (issue: page tables bit for bit), over 1 GiB of 4 KiB pages, calling the
/// format's ops table directly as the kernel's benchmark calls io_pgtable_ops. The kernel figures are the
/// kernel's io-pgtable code built in userspace (gcc -O2) on this machine.
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

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All
    {
        get
        {
            foreach (var f in Formats)
            {
                yield return ($"{f.Name} map, one call per page, fresh tables", () => MapFresh(f));
                yield return ($"{f.Name} map, one call per page, existing tables", () => MapExisting(f));
                yield return ($"{f.Name} map_pages of 1 GiB, per page", () => MapPagesWhole(f));
                yield return ($"{f.Name} iova_to_phys, per page", () => IovaToPhys(f));
                yield return ($"{f.Name} unmap, one call per page", () => UnmapEach(f));
                yield return ($"{f.Name} unmap_pages of 1 GiB, per page", () => UnmapPagesWhole(f));
            }
            yield return ("v7s managed bytes / table bytes, 1 GiB of 4K", () => Memory(Formats[0], 1.2));
            yield return ("lpae-s1-4k managed bytes / table bytes, 1 GiB of 4K", () => Memory(Formats[1], 1.2));
        }
    }

    private const string KernelTarget = "at or below the kernel's io-pgtable (the kernel and vs-kernel columns)";

    private static void MapAll(IIoPageTable t)
    {
        for (ulong i = 0; i < Pages; i++) t.MapPages(Base + (i << 12), Base + (i << 12), 0x1000, 1, Prot.Read | Prot.Write, out _);
    }

    private static void MapWhole(IIoPageTable t)
    {
        ulong done = 0, total = Pages << 12;
        while (done < total)
        {
            t.MapPages(Base + done, Base + done, 0x1000, (total - done) >> 12, Prot.Read | Prot.Write, out var mapped);
            done += mapped;
        }
    }

    private static BenchCommand.Figure MapFresh(Fmt f)
    {
        IIoPageTable t = null!;
        var ns = BenchCommand.Measure(3, (long)Pages, () => t = f.Make(), () => MapAll(t));
        return new($"{f.Name} map, one call per page, fresh tables", ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure MapExisting(Fmt f)
    {
        IIoPageTable t = null!;
        var ns = BenchCommand.Measure(3, (long)Pages, () =>
        {
            t = f.Make();
            MapAll(t);
            for (ulong i = 0; i < Pages; i++) t.UnmapPages(Base + (i << 12), 0x1000, 1);
        }, () => MapAll(t));
        return new($"{f.Name} map, one call per page, existing tables", ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure MapPagesWhole(Fmt f)
    {
        IIoPageTable t = null!;
        // a round is a fraction of a millisecond: nine of them, so the median is not one disturbed round
        var ns = BenchCommand.Measure(9, (long)Pages, () =>
        {
            t = f.Make();
            MapAll(t);
            for (ulong i = 0; i < Pages; i++) t.UnmapPages(Base + (i << 12), 0x1000, 1);
        }, () => MapWhole(t));
        return new($"{f.Name} map_pages of 1 GiB, per page", ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure IovaToPhys(Fmt f)
    {
        var t = f.Make();
        MapAll(t);
        ulong sink = 0;
        var ns = BenchCommand.Measure(3, (long)Pages, () => { }, () =>
        {
            for (ulong i = 0; i < Pages; i++) sink += t.IovaToPhys(Base + (i << 12) + 8);
        });
        GC.KeepAlive(sink);
        return new($"{f.Name} iova_to_phys, per page", ns, (long)Pages, KernelTarget, null);
    }

    private static BenchCommand.Figure UnmapEach(Fmt f)
    {
        IIoPageTable t = null!;
        var ns = BenchCommand.Measure(3, (long)Pages, () => { t = f.Make(); MapAll(t); }, () =>
        {
            for (ulong i = 0; i < Pages; i++) t.UnmapPages(Base + (i << 12), 0x1000, 1);
        });
        return new($"{f.Name} unmap, one call per page", ns, (long)Pages, KernelTarget, null);
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
