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
        // LPAE unmap_pages: kernel 0.96 ns over a 0.81 ns C loop; the engine 1.03 ns over a 0.89 ns C# loop
        var row = new BenchCommand.Figure("lpae-s1-4k unmap_pages of 1 GiB, per page", BenchCommand.Rounds.Of(1.03), 1, "", null);
        var n = BenchCommand.Normalised(row, 0.89)!.Value;
        Assert.Equal(1.03 / 0.89 / (0.96 / 0.81), n, 6);
        Assert.True(n < 1.0); // faster than the kernel once the floors are taken out
        Assert.True(BenchCommand.Normalised(row with { Time = BenchCommand.Rounds.Of(1.20) }, 0.89) > 1.0);
        Assert.Null(BenchCommand.Normalised(row, null)); // no floor row in the run
        Assert.Null(BenchCommand.Normalised(row with { Name = "lua host-call floor per call (no-op host function)" }, 0.89)); // no kernel figure
    }
}
