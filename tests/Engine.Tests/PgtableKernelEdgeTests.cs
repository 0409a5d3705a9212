using ScenarioEngine.Hardware;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests;

/// <summary>
/// Edges a differential run against the kernel's own io-pgtable code found (drivers/iommu/io-pgtable-arm.c
/// and io-pgtable-arm-v7s.c, Linux 7.0, compiled in userspace; every expected value below is what that
/// code returned for the same calls): output addresses crossing 2^48 in one call, runs past a PGD
/// smaller than a table, v7s sizes below 4 KiB, the configurations the kernel accepts at the bottom of
/// the ias range, and which WARNs NO_WARN silences.
/// </summary>
public class PgtableKernelEdgeTests
{
    private const ulong K4 = 0x1000, K16 = 0x4000, M2 = 0x20_0000, M32 = 0x200_0000, G1 = 0x4000_0000;
    private const Prot RW = Prot.Read | Prot.Write;
    private static readonly Soc Dram = new("t", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], [], [], [], "");

    private static ArmLpaePageTable? Lpae(int ias, int oas, ulong bitmap, PgtableQuirks q = PgtableQuirks.None, PhysicalMemory? mem = null) =>
        ArmLpaePageTable.Alloc(LpaeStage.S1, new IoPgtableCfg(ias, oas, bitmap, q), mem ?? new PhysicalMemory(), new PageAllocator(Dram));

    private static ArmV7sPageTable? V7s(int ias) =>
        ArmV7sPageTable.Alloc(new IoPgtableCfg(ias, 32, ArmV7sPageTable.SupportedSizes, PgtableQuirks.None), new PhysicalMemory(), new PageAllocator(Dram));

    // ------------------------------------------------------------- paddr_to_iopte across 2^48

    [Fact]
    public void Pages_whose_output_addresses_cross_2_48_in_one_call_fold_PA_51_48_into_bits_15_12_as_paddr_to_iopte_does()
    {
        // __arm_lpae_init_pte writes pte | paddr_to_iopte(paddr + i * sz) for each entry: PA[51:48] is ORed
        // onto bits 15:12, so PA 2^48 is 0x1000 (the kernel's 0x1e43, not a carry into bit 48), and
        // 2^48 + 0x1000 is 0x1000 too, 2^48 + 0x2000 is 0x3000
        var t = Lpae(48, 48, K4 | M2 | G1)!;
        Assert.True(t.MapPages(0, 0xffff_ffff_f000, K4, 4, RW, out var mapped).Ok);
        Assert.Equal(0x4000UL, mapped);
        Assert.Equal(0xffff_ffff_fe43UL, t.Walk(0)[^1].Pte);
        Assert.Equal(0x1e43UL, t.Walk(0x1000)[^1].Pte);
        Assert.Equal(0x1e43UL, t.Walk(0x2000)[^1].Pte);
        Assert.Equal(0x3e43UL, t.Walk(0x3000)[^1].Pte);
        Assert.Equal(0x1000UL, t.IovaToPhys(0x1000)); // iopte_to_paddr with a 4K granule: bits 47:12 as they are
    }

    [Fact]
    public void Blocks_whose_output_addresses_cross_2_48_fold_the_same_way()
    {
        var t = Lpae(48, 48, K4 | M2 | G1)!;
        Assert.True(t.MapPages(0, 0xffff_ffe0_0000, M2, 2, RW, out var mapped).Ok);
        Assert.Equal(2 * M2, mapped);
        Assert.Equal(0x1e41UL, t.Walk(M2)[^1].Pte);
        Assert.Equal(0x1000UL, t.IovaToPhys(M2));
    }

    // ------------------------------------------------------------- arm_lpae_max_entries at a small PGD

    [Fact]
    public void Blocks_of_the_start_levels_size_run_past_a_PGD_smaller_than_a_table_as_arm_lpae_max_entries_lets_them()
    {
        // ias 36 with 4K pages: start level 1 and a PGD of 64 entries; arm_lpae_max_entries caps a run by a
        // whole table (512), so four 1G blocks from entry 63 write entries 64-66 too: the kernel maps 4 GiB
        var mem = new PhysicalMemory();
        var t = Lpae(36, 36, K4 | M2 | G1, mem: mem)!;
        Assert.Equal(1, t.StartLevel);
        Assert.Equal(64UL * 8, t.PgdBytes);
        var r = t.MapPages(0xf_c000_0000, 0x4000_0000, G1, 4, RW, out var mapped);
        Assert.True(r.Ok);
        Assert.Equal(4 * G1, mapped);
        Assert.Contains("3 of its entries are written past the PGD, where no walk reaches them", r.Why);
        Assert.Equal(0x4000_0000UL, t.IovaToPhys(0xf_c000_0000));
        Assert.Equal(0x4000_0e41UL, Assert.Single(t.Walk(0xf_c000_0000)).Pte);
        Assert.Single(t.Leaves()); // the walk, and so the leaves, stop at the PGD's 64 entries
        // the entries past the PGD lie in the PGD's own page (iommu_alloc_pages_node_sz hands out a page)
        Assert.Equal(0x8000_0e41UL, mem.Read64(t.Ttbr + 64 * 8));
        Assert.Equal(0x1_0000_0e41UL, mem.Read64(t.Ttbr + 66 * 8));
        Assert.Equal(0UL, mem.Read64(t.Ttbr + 67 * 8));
    }

    [Fact]
    public void The_entries_written_past_the_PGD_meet_later_calls_as_they_meet_the_kernels()
    {
        var t = Lpae(36, 36, K4 | M2 | G1)!;
        Assert.True(t.MapPages(0xf_c000_0000, 0x4000_0000, G1, 4, RW, out _).Ok);
        Assert.Equal(G1, t.UnmapPages(0xf_c000_0000, G1, 1));
        // entry 63 is empty again, but 64 still holds a block: arm_lpae_init_pte finds a leaf, -EEXIST
        var again = t.MapPages(0xf_c000_0000, 0x4000_0000, G1, 4, RW, out var mapped);
        Assert.Equal(Errno.EEXIST, again.Errno);
        Assert.Equal(0UL, mapped);
        Assert.Equal(1, t.Warnings);
        Assert.Equal(0UL, t.IovaToPhys(0xf_c000_0000));
        Assert.True(t.MapPages(0xf_c000_0000, 0x4000_0000, G1, 1, RW, out _).Ok);
        // and an unmap of four from entry 63 clears the three past the PGD too: 4 GiB
        Assert.Equal(4 * G1, t.UnmapPages(0xf_c000_0000, G1, 4));
        Assert.Equal(1, t.Warnings);
    }

    [Fact]
    public void A_run_past_the_PGDs_page_is_kept_with_the_PGD_and_the_note_says_the_kernel_writes_over_what_follows_the_page()
    {
        // 16K granule, ias 30: start level 2, a PGD of 32 entries in a page of its own (512 entries);
        // a table is 2048 entries, so 600 blocks from entry 1 run 89 entries past the page
        var t = Lpae(30, 48, K16 | M32)!;
        Assert.Equal(2, t.StartLevel);
        var r = t.MapPages(M32, 0x4000_0000, M32, 600, RW, out var mapped);
        Assert.True(r.Ok);
        Assert.Equal(600 * M32, mapped);
        Assert.Contains("569 of its entries are written past the PGD", r.Why);
        Assert.Contains("89 of them past the PGD's 4 KiB page, over whatever memory follows it in the kernel", r.Why);
        Assert.Equal(600 * M32, t.UnmapPages(M32, M32, 600));
        // a run inside the PGD says nothing
        Assert.Null(t.MapPages(M32, 0x4000_0000, M32, 31, RW, out _).Why);
    }

    // ------------------------------------------------------------- v7s below 4 KiB

    [Fact]
    public void A_v7s_size_below_4K_installs_an_empty_L2_table_before_its_EINVAL()
    {
        // __arm_v7s_map: no whole entry at level 1, so a table goes in first; at level 2 WARN_ON(lvl == 2), -EINVAL
        var t = V7s(32)!;
        ulong before = t.TableBytes;
        var r = t.MapPages(0x10_0000, 0x4000_0000, 0x800, 1, RW, out var mapped);
        Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.Equal(0UL, mapped);
        Assert.Equal(1, t.Warnings);
        var walk = t.Walk(0x10_0000);
        Assert.Equal(2, walk.Count);
        Assert.Equal(1UL, walk[0].Pte & 3); // a table descriptor
        Assert.Equal(0UL, walk[1].Pte);
        Assert.Equal(before + 1024, t.TableBytes);
    }

    [Fact]
    public void A_v7s_size_below_4K_under_a_section_is_EEXIST_before_EINVAL()
    {
        var t = V7s(32)!;
        Assert.True(t.MapPages(0x20_0000, 0x4000_0000, 0x10_0000, 1, RW, out _).Ok);
        Assert.Equal(Errno.EEXIST, t.MapPages(0x20_0000, 0x4000_0000, 0x800, 1, RW, out _).Errno);
        Assert.Equal(1, t.Warnings);
    }

    // ------------------------------------------------------------- the bottom of the ias range

    [Fact]
    public void A_v7s_table_of_ias_20_has_a_one_entry_level_1_table_as_the_kernels_does()
    {
        var t = V7s(20)!;
        Assert.True(t.MapPages(0, 0x4000_0000, K4, 1, RW, out _).Ok);
        Assert.Equal(0x4000_0c72UL, t.Walk(0)[^1].Pte);
        Assert.Equal(0x4000_0010UL, t.IovaToPhys(0x10));
        Assert.Equal(Errno.ERANGE, t.MapPages(0x10_0000, 0x4000_0000, K4, 1, RW, out _).Errno);
        // below 20 _ARM_V7S_LVL_BITS(1) is negative and the kernel shifts by it (undefined): refused
        Assert.Null(V7s(19));
    }

    [Theory]
    [InlineData(12, 0x4020_1000UL, K4)]
    [InlineData(3, 0x4020_1000UL, K4)]
    [InlineData(14, 0x200_4000UL, K16)]
    public void An_LPAE_ias_at_or_below_the_granules_shift_is_accepted_with_no_level_and_every_call_WARNs_and_fails(int ias, ulong bitmap, ulong page)
    {
        // arm_lpae_alloc_pgtable: va_bits <= 0 gives DIV_ROUND_UP(...) = 0 levels, start level 4
        var t = Lpae(ias, 48, bitmap)!;
        Assert.Equal(4, t.StartLevel);
        Assert.Equal(0UL, t.IovaToPhys(0));      // __arm_lpae_iopte_walk: WARN_ON(lvl == ARM_LPAE_MAX_LEVELS)
        Assert.Equal(1, t.Warnings);
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, page, 1, RW, out _).Errno); // __arm_lpae_map: WARN_ON(lvl >= 3)
        Assert.Equal(2, t.Warnings);
        Assert.Equal(0UL, t.UnmapPages(0, page, 1)); // __arm_lpae_unmap: WARN_ON(lvl == ARM_LPAE_MAX_LEVELS)
        Assert.Equal(3, t.Warnings);
        Assert.Empty(t.Walk(0));
        Assert.Empty(t.Leaves());
    }

    [Fact]
    public void An_LPAE_ias_one_bit_above_the_granules_shift_is_a_last_level_PGD()
    {
        var t = Lpae(15, 48, K16 | M32)!;
        Assert.Equal(3, t.StartLevel);
        Assert.True(t.MapPages(K16, 0x4000_0000, K16, 1, RW, out _).Ok);
        Assert.Equal(0x4000_0e43UL, Assert.Single(t.Walk(K16)).Pte);
        Assert.Equal(0x4000_0010UL, t.IovaToPhys(K16 + 0x10));
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, M32, 1, RW, out _).Errno); // no level for a 32M block
        Assert.Equal(K16, t.UnmapPages(K16, K16, 1));
    }

    [Fact]
    public void An_LPAE_ias_below_3_makes_pgd_bits_negative_and_is_refused()
    {
        Assert.Null(Lpae(2, 48, K4 | M2 | G1));
        Assert.NotNull(Lpae(3, 48, K4 | M2 | G1));
    }

    // ------------------------------------------------------------- NO_WARN

    [Fact]
    public void NO_WARN_silences_only_the_existing_mapping_and_empty_entry_WARNs()
    {
        var t = Lpae(48, 48, K4 | M2 | G1, PgtableQuirks.NoWarn)!;
        Assert.Equal(Errno.EINVAL, t.MapPages(0, 0x4000_0000, 0x2000, 1, RW, out _).Errno); // WARN_ON(bad pgsize): always
        Assert.Equal(1, t.Warnings);
        Assert.Equal(Errno.ERANGE, t.MapPages(1UL << 48, 0x4000_0000, K4, 1, RW, out _).Errno); // WARN_ON(iaext): always
        Assert.Equal(2, t.Warnings);
        Assert.True(t.MapPages(0, 0x4000_0000, K4, 1, RW, out _).Ok);
        Assert.Equal(Errno.EEXIST, t.MapPages(0, 0x4000_0000, K4, 1, RW, out _).Errno); // silenced
        Assert.Equal(0UL, t.UnmapPages(0x5000, K4, 1)); // silenced
        Assert.Equal(2, t.Warnings);
        Assert.Equal(0UL, t.UnmapPages(0, K4, 0)); // WARN_ON(!pgcount): always
        Assert.Equal(3, t.Warnings);
    }
}
