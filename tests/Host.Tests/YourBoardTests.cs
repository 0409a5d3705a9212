using System.Diagnostics;

namespace ScenarioEngine.Tests;

/// <summary>docs/your-board.md's three commands, as the page writes them, on a test tree: import, new scenario, run.</summary>
public class YourBoardTests
{
    private static (int Code, string Out, string Err) Scenario(string cwd, params string[] args)
    {
        var cmd = ScenarioEngine.Host.WorkerLauncher.Command();
        var psi = new ProcessStartInfo(cmd.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd, UseShellExecute = false };
        foreach (var a in cmd.Arguments.Take(cmd.Arguments.Count - 1)) psi.ArgumentList.Add(a); // without "worker"
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("scenario did not finish in 120 s"); }
        return (p.ExitCode, output, err.Result);
    }

    [SkippableFact]
    public void The_three_commands_of_your_board_md_take_a_device_tree_to_a_first_report()
    {
        Dtc.Require();
        var page = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "your-board.md"));
        Assert.Contains("scenario import dtb arch/arm64/boot/dts/mediatek/BOARD.dtb -o scenarios/socs/board.yaml\n", page);
        Assert.Contains("scenario new scenario first --soc scenarios/socs/board.yaml\n", page);
        Assert.Contains("scenario run scenarios/first.yaml\n", page);

        using var tree = new TestTree();
        var dtb = Path.Combine(tree.Root, "BOARD.dtb");
        Dtc.CompileTo("mt8365-evk.dts", dtb);

        // the commands run as the page writes them: a `scenario` process in the board's folder
        var import = Scenario(tree.Root, "import", "dtb", "BOARD.dtb", "-o", "scenarios/socs/board.yaml");
        Assert.True(import.Code == 0, import.Err);
        var scaffold = Scenario(tree.Root, "new", "scenario", "first", "--soc", "scenarios/socs/board.yaml");
        Assert.True(scaffold.Code == 0, scaffold.Err);
        var run = Scenario(tree.Root, "run", "scenarios/first.yaml", "--jobs", "1");
        Assert.Contains("NEW", run.Out);
        Assert.Contains("passed", run.Out);
        var report = File.ReadAllText(Path.Combine(tree.Root, "snapshots", "first.received.md"));
        Assert.Contains("compatible mediatek,mt8365-m4u (drivers/iommu/mtk_iommu.c, Linux 7.0: mt8365_data)", report);
    }
}
