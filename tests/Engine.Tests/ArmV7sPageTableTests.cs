using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests;

/// <summary>io-pgtable-arm-v7s.c (Linux 7.0) behaviour; worked values from the descriptor layout (ARM_V7S_*) and arm_v7s_do_selftests.</summary>
public class ArmV7sPageTableTests
{
    private const ulong Sizes = 0x1000 | 0x10000 | 0x100000 | 0x1000000;
    private const Prot R = Prot.Read, W = Prot.Write, RW = Prot.Read | Prot.Write;

    internal static ArmV7sPageTable NewTable(PgtableQuirks quirks = PgtableQuirks.None, int ias = 32, int oas = 32)
    {
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");
        return ArmV7sPageTable.Alloc(new IoPgtableCfg(ias, oas, Sizes, quirks), new PhysicalMemory(), new PageAllocator(soc))!;
    }

    private static uint Leaf(ArmV7sPageTable t, ulong iova) => (uint)t.Walk(iova)[^1].Pte;

    [Theory]
    [InlineData(PgtableQuirks.None, 0x1000UL, 0x4000_1000UL, Prot.Read | Prot.Write, 0x40001C72u)]
    [InlineData(PgtableQuirks.None, 0x1000UL, 0x4000_2000UL, Prot.Read | Prot.Write | Prot.NoExec | Prot.Cache | Prot.Priv, 0x40002C5Fu)]
    [InlineData(PgtableQuirks.None, 0x1000UL, 0x4000_3000UL, Prot.Read, 0x40003E72u)]
    [InlineData(PgtableQuirks.None, 0x1000UL, 0x4000_4000UL, Prot.Read | Prot.Write | Prot.Mmio, 0x40004C36u)]
    [InlineData(PgtableQuirks.None, 0x10000UL, 0x4001_0000UL, Prot.Read | Prot.Write | Prot.NoExec | Prot.Cache, 0x40019C3Du)]
    [InlineData(PgtableQuirks.None, 0x100000UL, 0x4010_0000UL, Prot.Read | Prot.Write | Prot.Cache, 0x40131C0Eu)]
    [InlineData(PgtableQuirks.None, 0x1000000UL, 0x4100_0000UL, Prot.Read | Prot.Write, 0x41071C02u)]
    [InlineData(PgtableQuirks.ArmNs, 0x100000UL, 0x4010_0000UL, Prot.Read | Prot.Write | Prot.Cache | Prot.NoExec, 0x401B1C1Eu)]
    [InlineData(PgtableQuirks.ArmNs, 0x1000UL, 0x4020_0000UL, Prot.Read | Prot.Write | Prot.Cache | Prot.NoExec, 0x40200C7Fu)]
    [InlineData(PgtableQuirks.ArmNs, 0x1000000UL, 0x4100_0000UL, Prot.Read, 0x410F9C02u)]
    [InlineData(PgtableQuirks.ArmNs, 0x10000UL, 0x4030_0000UL, Prot.Read | Prot.NoExec, 0x40309E31u)]
    [InlineData(PgtableQuirks.NoPerms, 0x1000UL, 0x4020_0000UL, Prot.Read | Prot.NoExec, 0x40200C42u)]
    public void Worked_descriptor_values_match_the_kernel(PgtableQuirks quirks, ulong size, ulong pa, Prot prot, uint expected)
    {
        var t = NewTable(quirks);
        ulong iova = 0x2000_0000;
        Assert.True(t.MapPages(iova, pa, size, 1, prot, out var mapped).Ok);
        Assert.Equal(size, mapped);
        Assert.Equal(expected, Leaf(t, iova));
        // 64K large pages and 16M supersections are written as 16 identical replicas
        ulong step = size == 0x10000 ? 0x1000UL : size == 0x1000000 ? 0x100000UL : 0;
        for (ulong i = 0; step != 0 && i < 16; i++)
            Assert.Equal(expected, Leaf(t, iova + i * step));
    }

    [Fact]
    public void The_arm_v7s_self_test_passes_step_by_step()
    {
        // arm_v7s_do_selftests: ias=oas=32, ARM_NS, sizes ascending at 0, 16M, 32M, 48M.
        var t = NewTable(PgtableQuirks.ArmNs);
        var rwxc = Prot.Read | Prot.Write | Prot.NoExec | Prot.Cache;
        Assert.Equal(0UL, t.IovaToPhys(42));
        Assert.Equal(0UL, t.IovaToPhys(0x4000_0000 + 42));
        Assert.Equal(0UL, t.IovaToPhys(0x8000_0000 + 42));
        ulong[] sizes = [0x1000, 0x10000, 0x100000, 0x1000000];
        for (int i = 0; i < 4; i++)
        {
            ulong iova = (ulong)i * 0x100_0000, size = sizes[i];
            Assert.True(t.MapPages(iova, iova, size, 1, rwxc, out _).Ok);
            Assert.Equal(Errno.EEXIST, t.MapPages(iova, iova + size, size, 1, Prot.Read | Prot.NoExec, out _).Errno);
            Assert.Equal(iova + 42, t.IovaToPhys(iova + 42));
        }
        for (int i = 0; i < 4; i++)
        {
            ulong iova = (ulong)i * 0x100_0000, size = sizes[i];
            Assert.Equal(size, t.UnmapPages(iova, size, 1));
            Assert.Equal(0UL, t.IovaToPhys(iova + 42));
            Assert.True(t.MapPages(iova, iova, size, 1, Prot.Write, out _).Ok);
            Assert.Equal(iova + 42, t.IovaToPhys(iova + 42));
        }
    }

    [Fact]
    public void A_section_over_an_l2_table_silently_drops_the_small_pages_under_it()
    {
        var t = NewTable();
        Assert.True(t.MapPages(0x10_0000, 0x4000_0000, 0x1000, 1, RW, out _).Ok);
        Assert.True(t.MapPages(0x10_3000, 0x4000_3000, 0x1000, 1, RW, out _).Ok);
        ulong withL2 = t.TableBytes;
        var r = t.MapPages(0x10_0000, 0x5000_0000, 0x10_0000, 1, RW, out var mapped);
        Assert.True(r.Ok);
        Assert.Equal(0x10_0000UL, mapped);
        Assert.Equal(0x5000_3000UL, t.IovaToPhys(0x10_3000));
        Assert.Equal(withL2 - 1024, t.TableBytes);
    }

    [Fact]
    public void A_partial_unmap_of_a_large_page_is_refused_and_leaves_it_mapped()
    {
        var t = NewTable();
        Assert.True(t.MapPages(0, 0x4001_0000, 0x10000, 1, RW, out _).Ok);
        Assert.Equal(0UL, t.UnmapPages(0x1000, 0x1000, 1));
        Assert.Equal(0x4001_1234UL, t.IovaToPhys(0x1234));
        Assert.True(t.MapPages(0x100_0000, 0x4100_0000, 0x100_0000, 1, RW, out _).Ok);
        Assert.Equal(0UL, t.UnmapPages(0x110_0000, 0x10_0000, 1));
        Assert.Equal(0UL, t.UnmapPages(0x110_0000, 0x1000, 1));
        Assert.Equal(0x4110_0000UL, t.IovaToPhys(0x110_0000));
        Assert.True(t.Warnings >= 1);
    }

    [Fact]
    public void Mapping_over_an_existing_page_is_EEXIST_and_map_pages_keeps_what_it_mapped_before()
    {
        var t = NewTable();
        Assert.True(t.MapPages(0x2000, 0x4000_9000, 0x1000, 1, RW, out _).Ok);
        var r = t.MapPages(0, 0x4000_0000, 0x1000, 4, RW, out var mapped);
        Assert.Equal(Errno.EEXIST, r.Errno);
        Assert.Equal(0x2000UL, mapped);
        Assert.Equal(0x4000_0000UL, t.IovaToPhys(0));
        Assert.Equal(0x4000_1000UL, t.IovaToPhys(0x1000));
        Assert.Equal(0x4000_9000UL, t.IovaToPhys(0x2000));
        Assert.Equal(0UL, t.IovaToPhys(0x3000));
    }

    [Fact]
    public void A_small_page_under_a_section_is_EEXIST()
    {
        var t = NewTable();
        Assert.True(t.MapPages(0x10_0000, 0x4010_0000, 0x10_0000, 1, RW, out _).Ok);
        Assert.Equal(Errno.EEXIST, t.MapPages(0x10_1000, 0x4000_0000, 0x1000, 1, RW, out _).Errno);
    }

    [Fact]
    public void Out_of_range_iova_or_pa_is_ERANGE_and_no_access_is_EINVAL()
    {
        var t = NewTable();
        Assert.Equal(Errno.ERANGE, t.MapPages(0x1_0000_0000, 0x4000_0000, 0x1000, 1, RW, out _).Errno);
        Assert.Equal(Errno.ERANGE, t.MapPages(0, 0x1_0000_0000, 0x1000, 1, RW, out _).Errno);
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, 0x1000, 1, Prot.Cache, out _).Errno);
    }

    [Fact]
    public void An_emptied_l2_table_is_kept()
    {
        var t = NewTable();
        ulong l1Only = t.TableBytes;
        Assert.True(t.MapPages(0x1000, 0x4000_1000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x1000UL, t.UnmapPages(0x1000, 0x1000, 1));
        Assert.Equal(l1Only + 1024, t.TableBytes);
        Assert.Equal(1UL, t.Walk(0x1000)[0].Pte & 3);
    }

    [Fact]
    public void Unmapping_a_hole_returns_zero_and_warns()
    {
        var t = NewTable();
        Assert.Equal(0UL, t.UnmapPages(0x5000, 0x1000, 1));
        Assert.Equal(1, t.Warnings);
    }

    [Fact]
    public void The_mediatek_extension_carries_pa_bits_32_to_34_in_descriptor_bits_9_4_5()
    {
        var t = NewTable(PgtableQuirks.ArmNs | PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt, ias: 32, oas: 35);
        Assert.True(t.MapPages(0x1000, 0x5_4000_1000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x40001000u | (1u << 9) | (1u << 5) | 0xC40u | 0x2u, Leaf(t, 0x1000));
        Assert.Equal(0x5_4000_1234UL, t.IovaToPhys(0x1234));
        Assert.True(t.MapPages(0x20_0000, 0x2_0010_0000, 0x10_0000, 1, RW, out _).Ok);
        Assert.Equal(0x2_0010_0042UL, t.IovaToPhys(0x20_0042));
        Assert.NotEqual(0u, Leaf(t, 0x20_0000) & (1u << 4));
    }

    [Fact]
    public void The_mediatek_extension_grows_level_1_with_a_34_bit_ias()
    {
        var t = NewTable(PgtableQuirks.ArmNs | PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt, ias: 34, oas: 35);
        Assert.Equal(64UL * 1024, t.TableBytes);
        Assert.True(t.MapPages(0x2_4000_0000, 0x4000_0000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x4000_0000UL, t.IovaToPhys(0x2_4000_0000));
        Assert.Equal(0UL, t.IovaToPhys(0x4000_0000));
        Assert.Equal(0x2400UL, t.Walk(0x2_4000_0000)[0].Index);
    }

    [Fact]
    public void Allocation_refuses_what_arm_v7s_alloc_pgtable_refuses()
    {
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");
        ArmV7sPageTable? Alloc(int ias, int oas, PgtableQuirks q) =>
            ArmV7sPageTable.Alloc(new IoPgtableCfg(ias, oas, Sizes, q), new PhysicalMemory(), new PageAllocator(soc));
        Assert.Null(Alloc(34, 32, PgtableQuirks.None));
        Assert.Null(Alloc(32, 33, PgtableQuirks.None));
        Assert.Null(Alloc(32, 35, PgtableQuirks.ArmMtkExt));
        Assert.Null(Alloc(32, 35, PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkTtbrExt));
        Assert.Null(Alloc(35, 35, PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt));
        Assert.NotNull(Alloc(34, 35, PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt));
    }

    [Fact]
    public void Mediatek_ttbr_is_the_table_address_with_pa_bits_34_32_in_bits_2_0()
    {
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x1_4000_0000, 1UL << 30)], [], [], [], "");
        var t = ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 35, Sizes, PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt | PgtableQuirks.ArmMtkTtbrExt),
            new PhysicalMemory(), new PageAllocator(soc))!;
        Assert.True(t.L1Pa > 0xffff_ffff);
        Assert.Equal((t.L1Pa & 0xffff_ffff) | (t.L1Pa >> 32), t.Ttbr);
        Assert.True(t.MapPages(0x1000, 0x1_4000_1000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x1_4000_1000UL, t.IovaToPhys(0x1000));
        Assert.Null(ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 35, Sizes, PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt), new PhysicalMemory(), new PageAllocator(soc)));
    }
}
