using CsCheck;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests;

/// <summary>
/// Random map/unmap sequences, driven the way iommu_map/iommu_unmap drive a format (iommu_pgsize split,
/// rollback), against a page-by-page model: every probe translates the same, every unmap returns the
/// same bytes. Mappings go into disjoint 32 MiB slots so no unmap splits what one map made.
/// </summary>
public class PageTablePropertyTests
{
    private static readonly ulong[] Sizes = [0x1000, 0x2000, 0x3000, 0x10000, 0x11000, 0x10_0000, 0x20_0000, 0x30_0000, 0x100_0000];

    public static TheoryData<string> Formats() => new() { "arm-v7s", "arm-v7s-mtk", "lpae-s1-4k", "lpae-s2-4k", "lpae-s1-16k", "lpae-s1-64k" };

    private static IIoPageTable Make(string fmt)
    {
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");
        var mem = new PhysicalMemory();
        var alloc = new PageAllocator(soc);
        const ulong v7s = 0x1000 | 0x10000 | 0x100000 | 0x1000000;
        return fmt switch
        {
            "arm-v7s" => ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 32, v7s, PgtableQuirks.None), mem, alloc)!,
            "arm-v7s-mtk" => ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 35, v7s, PgtableQuirks.ArmNs | PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt), mem, alloc)!,
            "lpae-s1-4k" => ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(48, 48, 0x4020_1000, PgtableQuirks.None), mem, alloc)!,
            "lpae-s2-4k" => ArmLpaePageTable.Alloc(LpaeStage.S2, new IoPgtableCfg(40, 40, 0x4020_1000, PgtableQuirks.None), mem, alloc)!,
            "lpae-s1-16k" => ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(40, 44, 0x4000 | 0x200_0000, PgtableQuirks.None), mem, alloc)!,
            _ => ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(42, 42, 0x10000 | 0x2000_0000, PgtableQuirks.None), mem, alloc)!,
        };
    }

    private static ulong Map(IIoPageTable t, ulong iova, ulong pa, ulong size, out bool ok)
    {
        ulong done = 0;
        ok = true;
        while (done < size)
        {
            var (pg, count) = PageSizes.Pick(t.Cfg.PgsizeBitmap, iova + done, pa + done, size - done);
            var r = t.MapPages(iova + done, pa + done, pg, count, Prot.Read | Prot.Write, out var mapped);
            done += mapped;
            if (!r.Ok) { ok = false; break; }
        }
        if (!ok && done > 0) Unmap(t, iova, done);
        return done;
    }

    private static ulong Unmap(IIoPageTable t, ulong iova, ulong size)
    {
        ulong done = 0;
        while (done < size)
        {
            var (pg, count) = PageSizes.Pick(t.Cfg.PgsizeBitmap, iova + done, iova + done, size - done);
            ulong n = t.UnmapPages(iova + done, pg, count);
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Random_map_and_unmap_sequences_translate_like_a_page_by_page_model(string fmt)
    {
        var gen = Gen.Select(Gen.Int[0, 31], Gen.Int[0, Sizes.Length - 1], Gen.Int[0, 4095], Gen.Bool).Array[1, 120];
        gen.Sample(ops =>
        {
            var t = Make(fmt);
            ulong min = t.Cfg.PgsizeBitmap & (~t.Cfg.PgsizeBitmap + 1);
            var slots = new Dictionary<int, (ulong Iova, ulong Pa, ulong Size)>();
            foreach (var (slot, si, paSeed, alignPa) in ops)
            {
                ulong size = (Sizes[si] + min - 1) & ~(min - 1);
                ulong iova = (ulong)slot * 0x200_0000 + (alignPa ? 0 : (ulong)(paSeed % 8) * min);
                if (slots.TryGetValue(slot, out var m))
                {
                    Assert.Equal(m.Size, Unmap(t, m.Iova, m.Size));
                    slots.Remove(slot);
                    Assert.Equal(0UL, t.IovaToPhys(m.Iova));
                    Assert.Equal(0UL, Unmap(t, m.Iova, m.Size));
                }
                else
                {
                    ulong pa = 0x4000_0000 + (alignPa ? (ulong)paSeed * 0x100_0000 % 0x2000_0000 : (ulong)paSeed * min);
                    var got = Map(t, iova, pa, size, out var ok);
                    Assert.True(ok, $"{fmt}: map {iova:x}->{pa:x} size {size:x}");
                    Assert.Equal(size, got);
                    slots[slot] = (iova, pa, size);
                }
                foreach (var (_, s) in slots)
                {
                    Assert.Equal(s.Pa + 0x10, t.IovaToPhys(s.Iova + 0x10));
                    Assert.Equal(s.Pa + s.Size - 8, t.IovaToPhys(s.Iova + s.Size - 8));
                    if (s.Iova >= min) Assert.True(t.IovaToPhys(s.Iova - 1) == 0 || slots.Values.Any(o => o.Iova + o.Size == s.Iova));
                }
            }
            ulong total = slots.Values.Aggregate(0UL, (a, s) => a + s.Size);
            ulong leaves = t.Leaves().Aggregate(0UL, (a, l) => a + l.Size);
            Assert.Equal(total, leaves);
        }, iter: 60);
    }
}
