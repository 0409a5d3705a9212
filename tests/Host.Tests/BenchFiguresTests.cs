using ScenarioEngine.Host.Bench;

namespace ScenarioEngine.Tests;

/// <summary>How `scenario bench` turns rounds into figures and compares a row with the kernel (no timing here: figures are given).</summary>
public class BenchFiguresTests
{
    [Fact]
    public void A_figure_is_the_median_round_with_the_fastest_and_slowest_as_its_spread()
    {
        Assert.Equal(new BenchCommand.Rounds(3.0, 1.0, 9.0), BenchCommand.FromTimes([9.0, 1.0, 3.0]));
        Assert.Equal(new BenchCommand.Rounds(2.5, 1.0, 9.0), BenchCommand.FromTimes([9.0, 1.0, 2.0, 3.0]));
    }

    [Fact]
    public void A_row_is_compared_with_the_kernel_after_both_are_divided_by_their_own_plain_loop_floor()
    {
        // LPAE unmap_pages: the kernel's figure over its C loop's; the engine's over the C# loop of its run
        const string name = "lpae-s1-4k unmap_pages of 1 GiB, per page";
        var k = KernelReference.Rows[name];
        double engine = k.Ns * 0.9, floor = k.FloorNs * 1.1;
        var row = new BenchCommand.Figure(name, BenchCommand.Rounds.Of(engine), 1, "", null);
        var n = BenchCommand.Normalised(row, floor)!.Value;
        Assert.Equal(engine / floor / (k.Ns / k.FloorNs), n, 6);
        Assert.True(n < 1.0); // faster than the kernel once the floors are taken out
        Assert.True(BenchCommand.Normalised(row with { Time = BenchCommand.Rounds.Of(k.Ns * 1.2) }, floor) > 1.0);
        Assert.Null(BenchCommand.Normalised(row, null)); // no floor in the run
        Assert.Null(BenchCommand.Normalised(row with { Name = "lua host-call floor per call (no-op host function)" }, 0.89)); // no kernel figure
    }

    [Fact]
    public void Every_page_table_and_IOVA_row_has_a_kernel_figure_and_the_kernel_figures_name_no_missing_row()
    {
        var rows = IovaBench.All.Concat(PgtableBench.All).Select(r => r.Item1).Where(r => !r.Contains("managed bytes", StringComparison.Ordinal)).ToList();
        Assert.Contains("v7s random order: unmap, one call per page", rows);
        Assert.Contains("iova alloc_fast+free_fast, random order, 4096 live, scattered sizes", rows);
        foreach (var r in rows) Assert.True(KernelReference.Rows.ContainsKey(r), r);
        foreach (var k in KernelReference.Rows.Keys.Where(k => k != BenchCommand.FloorRow)) Assert.Contains(k, rows);
    }

    [Fact]
    public void No_row_name_contains_another_so_each_rows_process_runs_that_row_alone()
    {
        // a row's process is started with --only NAME, which selects every row whose name contains NAME
        var rows = IovaBench.All.Concat(PgtableBench.All).Concat(SmmuV3Bench.All).Concat(LuaBench.All).Concat(TrafficBench.All).Select(r => r.Item1).ToList();
        foreach (var a in rows)
            Assert.Single(rows, b => b.Contains(a, StringComparison.Ordinal));
    }

    [Fact]
    public void The_random_page_order_is_the_documented_Fisher_Yates_shuffle()
    {
        // the first pages of the order as the kernel-side C program computed them (xorshift32 from 12345)
        Assert.Equal([15030u, 76039u, 87168u, 10248u, 125179u], PgtableBench.Order.Take(5));
        Assert.Equal(262_144, PgtableBench.Order.Length);
        Assert.Equal(262_144, PgtableBench.Order.Distinct().Count());
        Assert.Equal([0u, 1u, 2u], PgtableBench.Shuffle(3, 12345).Order()); // a permutation at any size
    }

    [Fact]
    public void Scattered_sizes_cover_1_to_511_pages_by_order()
    {
        Assert.Equal(1UL, IovaBench.ScatterSize(0));        // order 0
        Assert.Equal(256UL + 0x12, IovaBench.ScatterSize((0x12u << 8) | 8)); // order 8, offset 0x12
        Assert.All(Enumerable.Range(0, 10_000).Select(i => IovaBench.ScatterSize((uint)i * 2654435761u)), s => Assert.InRange(s, 1UL, 511UL));
    }
}
