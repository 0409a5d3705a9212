using ScenarioEngine.Config;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.DeviceTree;

/// <summary>
/// `scenario import` on the crafted trees of issue 33 (<see cref="CraftedTrees"/>): repeated warnings
/// fold, names cost linear tries, every step's work is linear in the tree (asserted in the import's own
/// budget counts, never in time), and an import past its budget stops with where it was.
/// </summary>
public class CraftedTreeTests
{
    private static DtImporter.Result Import(byte[] blob, ImportBudget? budget = null) => DtImporter.Import(FdtReader.Read(blob), "crafted.dtb", budget);

    /// <summary>A generous safety net for a test of counts: a regression to quadratic work fails here instead of hanging the run.</summary>
    private static T Within<T>(int seconds, Func<T> work) => Task.Run(work).WaitAsync(TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();

    [Theory]
    [InlineData(false, "a specifier for /iommu@0, which is not an imported IOMMU: left out")]
    [InlineData(true, "a specifier of 0 cells for /iommu@0 that the arm-smmu-v3 driver does not take: left out")]
    public void A_master_naming_a_zero_cell_IOMMU_a_million_times_gets_ten_warnings_and_one_fold_not_a_million_lines(bool imported, string warning)
    {
        var r = Within(120, () => Import(CraftedTrees.ZeroCellFlood(1_000_000, imported)));
        Assert.Equal(Enumerable.Repeat("/gpu@0: " + warning, ImportWarnings.PerKind), r.Warnings.Where(w => w.StartsWith("/gpu@0", StringComparison.Ordinal)));
        Assert.Contains("# WARNING: … and 999,990 more like the one above\n", r.Yaml);
        Assert.Equal(1_000_002, r.WarningCount); // and the sid-bits guesses, or a guess and the IOMMU no driver matches
        Assert.True(r.Warnings.Count <= ImportWarnings.PerKind + 4, string.Join("\n", r.Warnings));
        Assert.True(r.Yaml.Length < 8 << 10, $"{r.Yaml.Length} characters");
        // the good specifier is still there
        Assert.Contains($"  - name: gpu  # /gpu@0\n    ids: [ {{ iommu: {(imported ? "iommu-2b400000" : "iommu")}, stream: 0x5 }} ]", r.Yaml);
        Assert.Single(DeviceTreeImportTests.LoadYaml(r.Yaml).Devices);
    }

    [Fact]
    public void A_million_memory_region_phandles_that_name_nothing_fold_the_same_way()
    {
        var r = Within(120, () => Import(CraftedTrees.MemoryRegionFlood(1_000_000)));
        Assert.Equal(ImportWarnings.PerKind, r.Warnings.Count(w => w == "/gpu@0: memory-region phandle 999 is not a reserved-memory child; left out"));
        Assert.Contains("… and 999,990 more like the one above", r.Warnings);
        Assert.True(r.Yaml.Length < 8 << 10, $"{r.Yaml.Length} characters");
    }

    [Fact]
    public void Warnings_fold_per_kind_after_ten_and_in_all_after_a_hundred_each_fold_after_its_kinds_last()
    {
        var w = new ImportWarnings();
        for (int i = 0; i < 25; i++) w.Add("a", $"a{i}");
        w.Add("b", "b0");
        for (int k = 0; k < 20; k++)
            for (int i = 0; i < 12; i++) w.Add($"k{k}", $"k{k}-{i}");
        w.Add("late", "not kept");
        var lines = w.Lines();
        Assert.Equal(25 + 1 + 240 + 1, w.Count);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"a{i}"), "… and 15 more like the one above", "b0"], lines.Take(12));
        Assert.Equal(ImportWarnings.MaxShown, lines.Count(l => !l.StartsWith('…')));
        Assert.Equal("… and 133 more of other kinds (only the first 100 warnings are listed)", lines[^1]);
        // 10 + 1 + 8 × 10 + 9 kept: the ninth other kind is cut at 9 and folds 3; the rest fold whole
        Assert.Contains("k8-8", lines);
        Assert.DoesNotContain("k9-0", lines);
        var folded = lines.Where(l => l.StartsWith("… and", StringComparison.Ordinal)).ToList();
        Assert.Equal(25 + 1 + 240 + 1, lines.Count(l => !l.StartsWith('…')) + folded.Sum(l => int.Parse(l.Split(' ')[2].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Twenty_thousand_siblings_that_share_their_first_48_characters_get_their_names_in_linear_tries()
    {
        const int n = 20_000;
        // their file is longer than a SoC file may be (5 MiB): the output budget is raised to see all the names
        var r = Within(90, () => Import(CraftedTrees.Siblings(n), new ImportBudget(output: 64 << 20)));
        string a48 = new('a', 48);
        // the first keeps the 48 characters; the rest are numbered in path order, as before
        Assert.Contains($"  - name: {a48}  # /soc/", r.Yaml);
        Assert.Contains($"  - name: {a48}-2  # /soc/", r.Yaml);
        Assert.Contains($"  - name: {a48}-{n}  # /soc/", r.Yaml);
        Assert.True(r.NamesTried <= 2 * n + 1, $"{r.NamesTried} names tried for {n} masters");
        Assert.True(r.Work <= 200L * n, $"{r.Work} steps for {n} masters");
    }

    [Fact]
    public void An_iommu_map_of_twenty_five_thousand_identical_entries_names_its_masters_in_linear_tries()
    {
        const int n = 25_000;
        var r = Within(90, () => Import(CraftedTrees.IdenticalIommuMap(n)));
        Assert.Contains("  - name: pcie-rid0  # /pcie@0 iommu-map: RIDs 0x0..0x0 (one master stands for the range)\n", r.Yaml);
        Assert.Contains($"  - name: pcie-rid0-{n}  # /pcie@0 iommu-map", r.Yaml);
        Assert.True(r.NamesTried <= 2 * n + 1, $"{r.NamesTried} names tried for {n} entries");
        Assert.True(r.Work <= 10L * n, $"{r.Work} steps for {n} entries");
    }

    public static TheoryData<string> Shapes() => ["flood", "imported-flood", "memory-region", "siblings", "iommu-map"];

    private static byte[] Shape(string shape, int n) => shape switch
    {
        "flood" => CraftedTrees.ZeroCellFlood(n * 20, false),
        "imported-flood" => CraftedTrees.ZeroCellFlood(n * 20, true),
        "memory-region" => CraftedTrees.MemoryRegionFlood(n * 20),
        "siblings" => CraftedTrees.Siblings(n),
        _ => CraftedTrees.IdenticalIommuMap(n),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Twice_the_tree_costs_at_most_twice_the_work(string shape)
    {
        var small = Import(Shape(shape, 2_000));
        var large = Import(Shape(shape, 4_000));
        Assert.True(large.Work <= 2.1 * small.Work, $"{shape}: {small.Work} steps, then {large.Work} for twice the tree");
        Assert.True(large.Yaml.Length <= 2.1 * small.Yaml.Length, $"{shape}: {small.Yaml.Length} characters, then {large.Yaml.Length}");
    }

    [Fact]
    public void A_tree_whose_file_would_outgrow_what_a_SoC_file_may_hold_stops_at_the_entry_it_reached()
    {
        var e = Assert.Throws<ImportBudgetException>(() => Within(60, () => Import(CraftedTrees.IdenticalIommuMap(100_000))));
        Assert.Matches("^/pcie@0, iommu-map entry [0-9]+$", e.Where);
        int entry = int.Parse(e.Where.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(entry, 20_000, 40_000); // about 150 characters a master: the 4 Mi characters run out there
        Assert.Contains($"longer than {YamlTree.MaxChars:N0} characters", e.Reason);
    }

    [Fact]
    public void A_tree_nested_deep_under_long_names_runs_out_of_work_while_its_paths_are_built_and_says_where()
    {
        var e = Assert.Throws<ImportBudgetException>(() => Within(60, () => Import(CraftedTrees.DeepLongNames(60, 20_000))));
        // a long path is shown by its end, where the import got to
        Assert.StartsWith("...", e.Where);
        Assert.EndsWith(new string((char)('a' + 59 % 26), 100), e.Where);
        Assert.Contains("work budget of 40,000,000 steps", e.Reason);
    }

    [Fact]
    public void A_smaller_work_budget_stops_an_ordinary_tree_at_the_node_and_property_it_reached()
    {
        var blob = CraftedTrees.ZeroCellFlood(500, false);
        var full = Import(blob);
        // the 501 specifiers come last but for the bus's dma-ranges walk and the IOMMUs' lines (about 130 steps)
        var e = Assert.Throws<ImportBudgetException>(() => Import(blob, new ImportBudget(work: full.Work - 300)));
        Assert.Matches("^/gpu@0, iommus entry [0-9]+$", e.Where);
        Assert.Equal(full.Work, Import(blob, new ImportBudget(work: full.Work)).Work); // exactly enough is enough
    }
}
