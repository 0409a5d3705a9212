namespace ScenarioEngine.Tests;

/// <summary>`scenario import dtb` / `import fdt-dir`: a board's tree to a SoC file that runs, written once and never over a file; a bad blob is a located refusal.</summary>
public class ImportCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    private static string Compile(TestTree tree, string dts)
    {
        var output = Path.Combine(tree.Root, Path.ChangeExtension(dts, ".dtb"));
        Dtc.CompileTo(dts, output);
        return output;
    }

    [SkippableFact]
    public void Import_writes_a_SoC_file_a_scenario_then_runs_on_and_never_overwrites_it()
    {
        Dtc.Require();
        using var tree = new TestTree();
        var dtb = Compile(tree, "zynqmp-board.dts");
        var soc = Path.Combine(tree.Root, "scenarios", "socs", "zcu102.yaml");
        var (code, output, err) = Cli("import", "dtb", dtb, "-o", soc);
        Assert.True(code == 0, err);
        Assert.Contains("wrote ", output);
        Assert.Contains("1 IOMMU(s), 7 master(s), 4 warning(s)", output);
        Assert.Contains("import: warning: /axi/iommu@ff000000:", err);
        Assert.Contains("compatible: \"arm,mmu-500\", banks: 16, smrs: 128", File.ReadAllText(soc));
        var before = File.ReadAllText(soc);
        var again = Cli("import", "dtb", dtb, "-o", soc);
        Assert.Equal(2, again.Code);
        Assert.Contains("exists; not overwritten", again.Err);
        Assert.Equal(before, File.ReadAllText(soc));

        var scenario = tree.Write("scenarios/boot-zcu102.yaml", "scenario: boot the imported ZCU102\nsoc: socs/zcu102.yaml\nlua: |\n  expect.eq(#soc.groups(), 7, \"one group per stream\")\n");
        var run = Cli("run", scenario, "--jobs", "1");
        Assert.Contains("passed  1 expectation(s)", run.Out);
    }

    [SkippableFact]
    public void Import_of_a_tree_folder_prints_the_file_on_standard_output()
    {
        Dtc.Require();
        using var tree = new TestTree();
        var dtb = Compile(tree, "mt8365-evk.dts");
        var fromBlob = Cli("import", "dtb", dtb);
        Assert.Equal(0, fromBlob.Code);
        Assert.Contains("compatible: \"mediatek,mt8365-m4u\"", fromBlob.Out);
        var dir = Path.Combine(tree.Root, "proc-dt");
        Dtc.WriteFolder(ScenarioEngine.Config.FdtReader.Read(File.ReadAllBytes(dtb)), dir);
        var fromDir = Cli("import", "fdt-dir", dir);
        Assert.Equal(0, fromDir.Code);
        Assert.Equal(fromBlob.Out.Split('\n').Skip(1), fromDir.Out.Split('\n').Skip(1)); // only the source line differs
    }

    [Fact]
    public void A_file_that_is_not_a_device_tree_is_exit_1_with_SE1015_and_the_offset()
    {
        using var tree = new TestTree();
        var bad = tree.Write("kernel.img", "MZ this is not a device tree, but long enough to have a header");
        var (code, _, err) = Cli("import", "dtb", bad);
        Assert.Equal(1, code);
        Assert.Contains("offset 0x0: magic 0x", err);
        Assert.Contains("(SE1015)", err);
        Assert.Equal(2, Cli("import", "dtb", Path.Combine(tree.Root, "missing.dtb")).Code);
    }

    [SkippableFact]
    public async Task A_FIFO_given_as_the_blob_or_found_in_a_tree_folder_is_refused_instead_of_blocking_the_import()
    {
        Requires.Linux("a FIFO (mkfifo)");
        using var tree = new TestTree();
        var fifo = Path.Combine(tree.Root, "board.dtb");
        HardeningCliTests.MakeFifo(fifo);
        // Opening a FIFO waits for a writer for good: bounded here, so a regression fails instead of hanging.
        var blob = await Task.Run(() => Cli("import", "dtb", fifo)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, blob.Code);
        Assert.Contains("board.dtb is not a regular file", blob.Err);

        var dir = Path.Combine(tree.Root, "proc-dt");
        tree.Write("proc-dt/compatible", "acme,board\0");
        HardeningCliTests.MakeFifo(Path.Combine(dir, "model"));
        var folder = await Task.Run(() => Cli("import", "fdt-dir", dir)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, folder.Code);
        Assert.Contains("model: is neither a folder nor a regular file (SE1015)", folder.Err);
    }
}
