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

    /// <summary>The .NET heap the crafted imports run under: 512 MiB (DOTNET_GCHeapHardLimit).</summary>
    private static readonly Dictionary<string, string> SmallHeap = new() { ["DOTNET_GCHeapHardLimit"] = "0x20000000" };

    [Fact]
    public void A_30_MB_tree_of_zero_cell_specifiers_imports_under_a_512_MiB_heap_with_its_warnings_folded()
    {
        using var tree = new TestTree();
        // 7.8 million specifiers naming a #iommu-cells = <0> node: once a warning each, 88 MB of output and an out-of-memory
        File.WriteAllBytes(Path.Combine(tree.Root, "flood.dtb"), CraftedTrees.ZeroCellFlood(7_800_000, false));
        Assert.True(new FileInfo(Path.Combine(tree.Root, "flood.dtb")).Length > 30_000_000);
        var (code, output, err) = NewFileTests.Scenario(tree.Root, SmallHeap, "import", "dtb", "flood.dtb", "-o", "board.yaml");
        Assert.True(code == 0, err);
        Assert.Equal("wrote board.yaml: 1 IOMMU(s), 1 master(s), 7,800,002 warning(s), 12 listed\n", output);
        Assert.Contains("import: warning: … and 7,799,990 more like the one above\n", err);
        Assert.True(err.Length < 4 << 10, $"{err.Length} characters on standard error");
        Assert.True(new FileInfo(Path.Combine(tree.Root, "board.yaml")).Length < 8 << 10);
    }

    [Fact]
    public void A_30_MB_iommu_map_of_identical_entries_under_a_512_MiB_heap_is_SE1015_at_the_entry_where_the_file_outgrew_a_SoC_file()
    {
        using var tree = new TestTree();
        File.WriteAllBytes(Path.Combine(tree.Root, "map.dtb"), CraftedTrees.IdenticalIommuMap(1_900_000));
        Assert.True(new FileInfo(Path.Combine(tree.Root, "map.dtb")).Length > 30_000_000);
        var (code, output, err) = NewFileTests.Scenario(tree.Root, SmallHeap, "import", "dtb", "map.dtb", "-o", "board.yaml");
        Assert.Equal(1, code);
        Assert.Matches("^import: map.dtb: /pcie@0, iommu-map entry [0-9]+: the file written would be longer than 4,194,304 characters, more than a SoC file may hold: not imported \\(SE1015\\)\n$", err);
        Assert.Equal("", output);
        Assert.False(File.Exists(Path.Combine(tree.Root, "board.yaml")));
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
