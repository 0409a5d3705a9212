using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests;

/// <summary>io-pgtable-arm.c (v6.16/7.0) behaviour; worked values from the descriptor layout (ARM_LPAE_PTE_*) and the arm_lpae_run_tests self-tests.</summary>
public class ArmLpaePageTableTests
{
    private const ulong G4K = 0x1000 | 0x20_0000 | 0x4000_0000, G16K = 0x4000 | 0x200_0000, G64K = 0x10000 | 0x2000_0000;
    private const Prot RW = Prot.Read | Prot.Write;
    private static readonly Prot Rwxc = Prot.Read | Prot.Write | Prot.NoExec | Prot.Cache;

    internal static ArmLpaePageTable New(LpaeStage stage, ulong bitmap = G4K, int ias = 48, int oas = 48, PgtableQuirks q = PgtableQuirks.None)
    {
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");
        return ArmLpaePageTable.Alloc(stage, new IoPgtableCfg(ias, oas, bitmap, q), new PhysicalMemory(), new PageAllocator(soc))!;
    }

    [Theory]
    [InlineData(G4K, 48)]
    [InlineData(G16K, 47)]
    [InlineData(G64K, 42)]
    public void The_last_step_without_the_list_is_the_walks_last_step(ulong bitmap, int ias)
    {
        var t = New(LpaeStage.S1, bitmap, ias);
        ulong page = bitmap & (ulong)-(long)bitmap, block = (bitmap & ~page) & (ulong)-(long)(bitmap & ~page);
        Assert.True(t.MapPages(0x1000_0000, 0x4000_0000, page, 3, RW, out _).Ok);
        Assert.True(t.MapPages(block * 8, 0x4000_0000 + block, block, 1, RW, out _).Ok);
        foreach (var iova in new ulong[] { 0UL, 0x1000_0000, 0x1000_0000 + page, 0x1000_0000 + 5 * page, block * 8, block * 8 + page, block * 9, (1UL << ias) - page })
            Assert.Equal(t.Walk(iova)[^1], t.LastStep(iova));
    }

    [Theory]
    [InlineData(LpaeStage.S1, 0x1000UL, 0x4000_1000UL, Prot.Read | Prot.Write, 0x0000000040001E43UL)]
    [InlineData(LpaeStage.S1, 0x1000UL, 0x4000_2000UL, Prot.Read | Prot.NoExec | Prot.Cache, 0x0060000040002FC7UL)]
    [InlineData(LpaeStage.S1, 0x1000UL, 0x4000_3000UL, Prot.Read | Prot.Write | Prot.Mmio | Prot.Priv, 0x0000000040003E0BUL)]
    [InlineData(LpaeStage.S1, 0x20_0000UL, 0x8000_0000UL, Prot.Read | Prot.Write, 0x0000000080000E41UL)]
    [InlineData(LpaeStage.S1, 0x4000_0000UL, 0x8000_0000UL, Prot.Read | Prot.Write, 0x0000000080000E41UL)]
    [InlineData(LpaeStage.S2, 0x1000UL, 0x4000_1000UL, Prot.Read | Prot.Write, 0x00000000400016D7UL)]
    [InlineData(LpaeStage.S2, 0x1000UL, 0x4000_2000UL, Prot.Read | Prot.NoExec | Prot.Cache, 0x006000004000277FUL)]
    [InlineData(LpaeStage.S2, 0x1000UL, 0x4000_3000UL, Prot.Read | Prot.Write | Prot.Mmio | Prot.Priv, 0x00000000400036C7UL)]
    [InlineData(LpaeStage.S2, 0x20_0000UL, 0x8000_0000UL, Prot.Read | Prot.Write, 0x00000000800006D5UL)]
    public void Worked_descriptor_values_match_the_kernel(LpaeStage stage, ulong size, ulong pa, Prot prot, ulong expected)
    {
        var t = New(stage);
        ulong iova = 0x80_0000_0000;
        Assert.True(t.MapPages(iova, pa, size, 1, prot, out var mapped).Ok);
        Assert.Equal(size, mapped);
        Assert.Equal(expected, t.Walk(iova)[^1].Pte);
        int expectedLevel = size == 0x1000 ? 3 : size == 0x20_0000 ? 2 : 1;
        Assert.Equal(expectedLevel, t.Walk(iova)[^1].Level);
    }

    public static TheoryData<int, int, int, int> SelfTestConfigs()
    {
        var d = new TheoryData<int, int, int, int>();
        int[] widths = [32, 36, 40, 42, 44, 48];
        for (int g = 0; g < 3; g++)
            foreach (var ias in widths)
                foreach (var oas in widths)
                    if (ias <= oas)
                        foreach (var stage in new[] { 1, 2 })
                            d.Add(g, ias, oas, stage);
        return d;
    }

    [Fact]
    public void The_sweep_has_63_configurations_per_stage() => Assert.Equal(126, SelfTestConfigs().Count);

    [Theory]
    [MemberData(nameof(SelfTestConfigs))]
    public void The_lpae_self_test_passes_step_by_step(int granuleSet, int ias, int oas, int stage)
    {
        ulong bitmap = granuleSet switch { 0 => G4K, 1 => G16K, _ => G64K };
        var t = New((LpaeStage)stage, bitmap, ias, oas, PgtableQuirks.NoWarn);
        const ulong G = 0x4000_0000;
        Assert.Equal(0UL, t.IovaToPhys(42));
        Assert.Equal(0UL, t.IovaToPhys(G + 42));
        Assert.Equal(0UL, t.IovaToPhys(2 * G + 42));
        var sizes = Enumerable.Range(0, 64).Select(b => 1UL << b).Where(s => (bitmap & s) != 0).ToList();
        ulong iova = 0;
        foreach (var s in sizes)
        {
            Assert.True(t.MapPages(iova, iova, s, 1, Rwxc, out _).Ok);
            Assert.False(t.MapPages(iova, iova + s, s, 1, Prot.Read | Prot.NoExec, out _).Ok);
            Assert.Equal(iova + 42, t.IovaToPhys(iova + 42));
            iova += G;
        }
        iova = 0;
        foreach (var s in sizes)
        {
            Assert.Equal(s, t.UnmapPages(iova, s, 1));
            Assert.Equal(0UL, t.IovaToPhys(iova + 42));
            Assert.True(t.MapPages(iova, iova, s, 1, Prot.Write, out _).Ok);
            Assert.Equal(iova + 42, t.IovaToPhys(iova + 42));
            iova += G;
        }
        ulong big = sizes[^1];
        ulong top = (1UL << ias) - big;
        Assert.True(t.MapPages(top, top, big, 1, Rwxc, out var mapped).Ok);
        Assert.Equal(big, mapped);
        Assert.Equal(big, t.UnmapPages(top, big, 1));
        Assert.Equal(0, t.Warnings);
    }

    [Theory]
    [InlineData(G4K, 48, 48, 0, 512)]
    [InlineData(G4K, 39, 48, 1, 512)]
    [InlineData(G4K, 40, 48, 0, 2)]
    [InlineData(G4K, 32, 48, 1, 4)]
    [InlineData(G16K, 48, 48, 0, 2)]
    [InlineData(G64K, 48, 48, 1, 64)]
    [InlineData(G64K, 42, 48, 2, 8192)]
    public void Start_level_and_top_table_size_follow_from_ias(ulong bitmap, int ias, int oas, int start, int entries)
    {
        var t = New(LpaeStage.S1, bitmap, ias, oas);
        Assert.Equal(start, t.StartLevel);
        Assert.Equal((ulong)entries * 8, t.PgdBytes);
    }

    [Fact]
    public void Stage_2_concatenates_the_top_level_only_when_mandatory()
    {
        var concat = New(LpaeStage.S2, G4K, 40, 40);
        Assert.Equal(1, concat.StartLevel);
        Assert.Equal(1024UL * 8, concat.PgdBytes);
        var plain = New(LpaeStage.S2, G4K, 40, 44);
        Assert.Equal(0, plain.StartLevel);
        Assert.Equal(16UL, plain.PgdBytes);
        Assert.True(concat.MapPages(0xff_ffff_f000, 0x4000_0000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x4000_0000UL, concat.IovaToPhys(0xff_ffff_f000));
    }

    [Fact]
    public void Map_pages_stops_at_the_end_of_the_current_table()
    {
        var t = New(LpaeStage.S1);
        Assert.True(t.MapPages(0x1ff000, 0x4000_0000, 0x1000, 3, RW, out var mapped).Ok);
        Assert.Equal(0x1000UL, mapped);
        Assert.Equal(0UL, t.IovaToPhys(0x200000));
    }

    [Fact]
    public void Map_pages_refuses_a_leaf_with_EEXIST_before_writing_and_replaces_a_table_silently()
    {
        var t = New(LpaeStage.S1);
        Assert.True(t.MapPages(0x3000, 0x4000_3000, 0x1000, 1, RW, out _).Ok);
        var r = t.MapPages(0x1000, 0x5000_1000, 0x1000, 4, RW, out var mapped);
        Assert.Equal(Errno.EEXIST, r.Errno);
        Assert.Equal(0UL, mapped);
        Assert.Equal(0UL, t.IovaToPhys(0x1000));
        ulong before = t.TableBytes;
        Assert.True(t.MapPages(0, 0x8000_0000, 0x20_0000, 1, RW, out _).Ok);
        Assert.Equal(0x8000_3000UL, t.IovaToPhys(0x3000));
        Assert.Equal(before - 0x1000, t.TableBytes);
        Assert.Equal(Errno.EEXIST, t.MapPages(0x1000, 0x4000_0000, 0x1000, 1, RW, out _).Errno);
    }

    [Fact]
    public void Unmap_stops_at_the_first_empty_entry_and_refuses_a_partial_block()
    {
        var t = New(LpaeStage.S1);
        Assert.True(t.MapPages(0x1000, 0x4000_1000, 0x1000, 2, RW, out _).Ok);
        Assert.Equal(0x2000UL, t.UnmapPages(0x1000, 0x1000, 4));
        Assert.True(t.MapPages(0x4000_0000, 0x8000_0000, 0x20_0000, 1, RW, out _).Ok);
        Assert.Equal(0UL, t.UnmapPages(0x4000_1000, 0x1000, 1));
        Assert.Equal(0x8000_1000UL, t.IovaToPhys(0x4000_1000));
        Assert.True(t.MapPages(0x8000_0000, 0x9000_0000, 0x1000, 1, RW, out _).Ok);
        Assert.Equal(0x20_0000UL, t.UnmapPages(0x8000_0000, 0x20_0000, 1));
        Assert.Equal(0UL, t.IovaToPhys(0x8000_0000));
    }

    [Fact]
    public void Out_of_range_and_bad_arguments_give_the_kernels_errors()
    {
        var t = New(LpaeStage.S1, G4K, 40, 40);
        Assert.Equal(Errno.ERANGE, t.MapPages(1UL << 40, 0x4000_0000, 0x1000, 1, RW, out _).Errno);
        Assert.Equal(Errno.ERANGE, t.MapPages(0, 1UL << 40, 0x1000, 1, RW, out _).Errno);
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, 0x4000, 1, RW, out _).Errno);
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, 0x1000, 1, Prot.Cache, out _).Errno);
        Assert.Equal(0UL, t.UnmapPages(0, 0x1000, 0));
    }

    [Fact]
    public void Emptied_tables_are_kept_and_descriptors_are_readable_at_their_physical_addresses()
    {
        var t = New(LpaeStage.S1);
        var mem = new PhysicalMemory();
        var soc = new Soc("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");
        var t2 = ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(48, 48, G4K, PgtableQuirks.None), mem, new PageAllocator(soc))!;
        Assert.True(t2.MapPages(0x1234_5000, 0x4000_1000, 0x1000, 1, RW, out _).Ok);
        ulong bytes = t2.TableBytes;
        var walk = t2.Walk(0x1234_5000);
        Assert.Equal(4, walk.Count);
        foreach (var st in walk) Assert.Equal(st.Pte, mem.Read64(st.TablePa + st.Index * 8));
        Assert.Equal(walk[1].TablePa, walk[0].Pte & 0x0000_ffff_ffff_f000UL);
        Assert.Equal(0x1000UL, t2.UnmapPages(0x1234_5000, 0x1000, 1));
        Assert.Equal(bytes, t2.TableBytes);
        Assert.Equal(0UL, t.TableBytes % 64);
    }

    [Fact]
    public void Granules_follow_arm_lpae_restrict_pgsizes()
    {
        Assert.Equal(G4K, ArmLpaePageTable.RestrictPgsizes(G4K | 0x10000));
        Assert.Equal(G16K, ArmLpaePageTable.RestrictPgsizes(0x4000 | 0x200_0000 | 0x10000));
        Assert.Equal(G64K, ArmLpaePageTable.RestrictPgsizes(G64K));
        Assert.Equal(0UL, ArmLpaePageTable.RestrictPgsizes(0x2000));
    }

    [Fact]
    public void Unmap_pages_over_a_hole_at_the_last_level_stops_at_it_with_one_WARN_and_clears_only_what_came_before()
    {
        // __arm_lpae_unmap: WARN_ON(!pte) breaks the loop; the entries before the hole are cleared
        var t = New(LpaeStage.S1);
        for (ulong i = 0; i < 10; i++) Assert.True(t.MapPages(0x10_0000 + (i << 12), 0x4000_0000 + (i << 12), 0x1000, 1, Prot.Read, out _).Ok);
        Assert.Equal(0x1000UL, t.UnmapPages(0x10_0000 + (5 << 12), 0x1000, 1)); // the one-page path
        Assert.Equal(0, t.Warnings);
        Assert.Equal(5UL << 12, t.UnmapPages(0x10_0000, 0x1000, 10));
        Assert.Equal(1, t.Warnings);
        Assert.Equal(0UL, t.IovaToPhys(0x10_0000 + (4 << 12)));
        Assert.Equal(0x4000_0000UL + (6 << 12), t.IovaToPhys(0x10_0000 + (6 << 12))); // after the hole: untouched
        Assert.Equal(4UL << 12, t.UnmapPages(0x10_0000 + (6 << 12), 0x1000, 4));
        Assert.Equal(1, t.Warnings);
        Assert.Empty(t.Leaves());
    }
}
