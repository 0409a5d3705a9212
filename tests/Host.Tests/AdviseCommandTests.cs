namespace ScenarioEngine.Tests;

/// <summary>`scenario advise`: the command's exit codes, formats, its -o that never overwrites, and its --kernel parser under hostile input.</summary>
public class AdviseCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    private static string Soc(string name) => Path.Combine(RepoRoot.Path, "scenarios", "socs", name + ".yaml");

    [Fact]
    public void Advise_exits_0_when_a_strategy_works_and_prints_each_strategy_and_the_best()
    {
        var (code, output, err) = Cli("advise", "--soc", Soc("mt8365"), "--device", "apu");
        Assert.True(code == 0, err);
        Assert.StartsWith("mt8365 (scenarios/socs/mt8365.yaml): apu, window code [0x60000000, 0x6fffffff]; Linux 7.0.0, iommu.strict=1 iommu.passthrough=0\n", output);
        Assert.Contains("  unmanaged-attach-device  fails               -EINVAL: group0 holds 6 devices", output);
        Assert.Contains("  own-bank                 not-applicable      m4u has one bank", output);
        Assert.EndsWith("  best: own-region (works-with-hazards: shared-page-table)\n", output);
    }

    [Fact]
    public void Advise_exits_1_when_no_strategy_works_on_a_soc()
    {
        // Above the M4U's 32-bit IOVA space: nothing can map it, no region can cover it, and it is not DRAM.
        var (code, output, _) = Cli("advise", "--soc", Soc("mt8365"), "--device", "apu", "--iova", "0x1_0000_0000", "--size", "16MiB");
        Assert.Equal(1, code);
        Assert.Contains("apu, window advised [0x100000000, 0x100ffffff]", output);
        Assert.EndsWith("  no strategy works\n", output);
    }

    [SkippableFact]
    public void After_import_dtb_a_remote_processor_whose_window_the_tree_gives_through_iommu_addresses_is_advised()
    {
        Dtc.Require();
        using var tree = new TestTree();
        var dtb = Path.Combine(tree.Root, "board.dtb");
        Dtc.CompileTo("zynqmp-board.dts", dtb);
        var soc = Path.Combine(tree.Root, "scenarios", "socs", "board.yaml");
        var import = Cli("import", "dtb", dtb, "-o", soc);
        Assert.True(import.Code == 0, import.Err);
        // the import writes the window once, where the tree has it: reserved-memory and the memory-region link
        var yaml = File.ReadAllText(soc);
        Assert.Contains("iommu-addresses: [{ device: remoteproc, iova: 0x3ed00000, size: 0x40000 }]", yaml);
        Assert.DoesNotContain("firmware:", yaml);

        var (code, output, err) = Cli("advise", "--soc", soc, "--device", "remoteproc");
        Assert.True(code == 0, err + output);
        Assert.Contains("remoteproc, window rproc [0x3ed00000, 0x3ed3ffff]", output);
        Assert.Contains("  unmanaged-attach-device  works", output);
    }

    [Theory]
    [InlineData("--device", "npu", "advise: scenarios/socs/mt8365.yaml: error SE1016: mt8365 has no device 'npu'")]
    [InlineData("--device", "display", "display names no firmware window")]
    [InlineData("--kernel", "iommu.strict=maybe", "advise: --kernel iommu.strict: 'maybe' is not 0, 1, true or false")]
    [InlineData("--kernel", "fixes=deadbeefdead", "advise: --kernel fixes: 'deadbeefdead' is not a fix the engine models; known: 6fc7e8a3b811")]
    [InlineData("--kernel", "iommu.lazy=1", "advise: --kernel: unknown key 'iommu.lazy'")]
    [InlineData("--iova", "sixty", "advise: --iova: 'sixty' is not a number")]
    public void Advise_is_misuse_exit_2_with_the_reason(string option, string value, string message)
    {
        var args = new List<string> { "advise", "--soc", Soc("mt8365") };
        if (option != "--device") args.AddRange(["--device", "apu"]);
        args.AddRange([option, value]);
        var (code, _, err) = Cli([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void Advise_over_several_socs_writes_one_markdown_document_with_the_matrix_once_and_never_over_a_file()
    {
        using var tree = new TestTree();
        var output = Path.Combine(tree.Root, "advice.md");
        var (code, stdout, err) = Cli("advise", "--soc", Soc("mt8365"), "--soc", Soc("smmu-v2-example"), "--device", "apu", "--format", "markdown", "-o", output);
        Assert.True(code == 0, err);
        Assert.Equal("wrote " + output + ": 2 SoC(s), 6 working strategy run(s)\n", stdout);
        var md = File.ReadAllText(output);
        Assert.StartsWith("# Advice: apu's firmware window on 2 SoCs\n", md);
        Assert.Contains("## Strategies × SoCs\n\n| strategy | mt8365 (apu, code) | smmu-v2-example (apu, code) |\n", md);
        Assert.Contains("| `unmanaged-attach-device` | fails (-EINVAL): window-missed | **works** |\n", md);
        Assert.Contains("| best | `own-region` | `unmanaged-attach-device` |\n", md);
        Assert.Contains("\n## smmu-v2-example\n", md);
        var again = Cli("advise", "--soc", Soc("mt8365"), "--device", "apu", "-o", output);
        Assert.Equal(2, again.Code);
        Assert.Contains("exists; not overwritten", again.Err);
        Assert.Equal(md, File.ReadAllText(output));
    }

    [Fact]
    public void Advise_over_several_socs_in_text_starts_with_the_matrix_of_verdicts()
    {
        var (code, output, err) = Cli("advise", "--soc", Soc("mt8365"), "--soc", Soc("smmu-v2-example"), "--device", "apu");
        Assert.True(code == 0, err);
        Assert.StartsWith("strategies × SoCs\n                           mt8365              smmu-v2-example\n  unmanaged-attach-device  fails               works\n", output);
        Assert.Contains("\n  own-stream               not-applicable      works\n  acs-isolation            not-applicable      not-applicable\n\nmt8365 (scenarios/socs/mt8365.yaml)", output);
    }

    [Fact]
    public void Advise_keeps_each_strategys_generated_lua_and_report_under_reports_and_writes_over_nothing()
    {
        using var tree = new TestTree();
        var dir = Path.Combine(tree.Root, "evidence");
        var (code, output, err) = Cli("advise", "--soc", Soc("mt8365"), "--device", "apu", "--reports", dir);
        Assert.True(code == 0, err);
        Assert.StartsWith($"wrote 14 file(s) under {dir}: each strategy's generated Lua and its run's report\n", output);
        // seven strategies ran (own-bank and own-stream are not applicable on MT8365)
        Assert.Equal(["claim-dma-owner", "dma-api", "identity", "iommu-addresses", "own-region", "unmanaged-attach-device", "unmanaged-attach-group"],
            Directory.GetFiles(Path.Combine(dir, "mt8365"), "*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal));
        var report = File.ReadAllText(Path.Combine(dir, "mt8365", "unmanaged-attach-device.md"));
        Assert.StartsWith("# advise unmanaged-attach-device: apu window code on mt8365\n", report);
        Assert.Contains("`iommu.attach_device(domain#2, apu)` | **-EINVAL**", report);
        Assert.StartsWith("-- Generated by `scenario advise`: strategy unmanaged-attach-device", File.ReadAllText(Path.Combine(dir, "mt8365", "unmanaged-attach-device.lua")));

        var again = Cli("advise", "--soc", Soc("mt8365"), "--device", "apu", "--reports", dir);
        Assert.Equal(2, again.Code);
        Assert.Contains("exists and is not an empty folder; nothing is written over", again.Err);
    }

    [Fact]
    public void Advise_in_json_is_one_document_for_one_soc()
    {
        var (code, output, err) = Cli("advise", "--soc", Soc("smmu-v2-example"), "--device", "apu", "--format", "json");
        Assert.True(code == 0, err);
        var doc = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal("smmu-v2-example", doc.GetProperty("soc").GetString());
        Assert.Equal("0x60000000", doc.GetProperty("window").GetProperty("iova").GetString());
        Assert.Equal("unmanaged-attach-device", doc.GetProperty("best").GetString());
        var fails = doc.GetProperty("strategies").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "claim-dma-owner");
        Assert.Equal(("fails", "EPERM"), (fails.GetProperty("verdict").GetString(), fails.GetProperty("errno").GetString()));
    }

    [Fact]
    public void Any_kernel_option_text_is_parsed_or_refused_never_thrown()
    {
        string[] words = ["iommu.strict", "iommu.passthrough", "iommu.forcedac", "fixes", "x", "", "=", "6fc7e8a3b811", "0", "1", "true", ",", " ", "\u0000", "\u001b[2J", "é", "6FC7E8A3B8115294"];
        var random = new Random(20261130);
        for (int i = 0; i < 3000; i++)
        {
            var pairs = Enumerable.Range(0, random.Next(1, 4)).Select(_ => string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => words[random.Next(words.Length)]))).ToList();
            var err = new StringWriter();
            var parsed = Host.AdviseCommand.ParseKernel(pairs, err);
            Assert.True(parsed is not null || err.ToString().StartsWith("advise: ", StringComparison.Ordinal), string.Join(" | ", pairs));
            Assert.DoesNotContain('\u001b', err.ToString());
            Assert.DoesNotContain('\u0000', err.ToString());
        }
        Assert.Equal(["6fc7e8a3b811"], Host.AdviseCommand.ParseKernel(["fixes=6FC7E8A3B811"], TextWriter.Null)!.Fixes);
        Assert.False(Host.AdviseCommand.ParseKernel(["iommu.strict=0"], TextWriter.Null)!.Strict);
    }
}
