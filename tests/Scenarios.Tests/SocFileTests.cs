using System.Text.RegularExpressions;

namespace ScenarioEngine.Tests;

/// <summary>
/// The shipped catalogue of real SoCs — the files docs/your-board.md lists under "Real SoC files
/// shipped", and only those — each name the DTS they came from, say what they leave out, and have a
/// boot scenario with an approved report: the catalogue's regression net. A SoC file of a user's own
/// (`scenario import dtb … -o scenarios/socs/board.yaml`, as docs/your-board.md shows) is not in that
/// table and is held to none of this.
/// </summary>
public class SocFileTests
{
    /// <summary>The SoC files the table of docs/your-board.md lists (`| `socs/NAME.yaml` | …`), in table order.</summary>
    internal static IReadOnlyList<string> Catalogue(string root)
    {
        var page = File.ReadAllText(Path.Combine(root, "docs", "your-board.md")).Replace("\r\n", "\n");
        var at = page.IndexOf("\n## Real SoC files shipped\n", StringComparison.Ordinal);
        Assert.True(at >= 0, "docs/your-board.md has no section 'Real SoC files shipped'");
        var section = page[at..];
        var next = section.IndexOf("\n## ", 1, StringComparison.Ordinal);
        if (next > 0) section = section[..next];
        return Regex.Matches(section, @"(?m)^\| `socs/([a-z0-9-]+)\.yaml` \|").Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>What a catalogue file lacks, one line per rule broken (empty: none).</summary>
    internal static IReadOnlyList<string> Violations(string root)
    {
        var broken = new List<string>();
        foreach (var name in Catalogue(root))
        {
            var file = Path.Combine(root, "scenarios", "socs", name + ".yaml");
            if (!File.Exists(file)) { broken.Add($"docs/your-board.md lists socs/{name}.yaml, which does not exist"); continue; }
            var text = File.ReadAllText(file);
            if (!text.Contains("compatible:", StringComparison.Ordinal)) broken.Add($"{name}.yaml names no IOMMU by compatible (the catalogue is what it tests)");
            if (!Regex.IsMatch(text, @"(?m)^# .*(arch/arm64/boot/dts/\S+\.dtsi?|\.dts)")) broken.Add($"{name}.yaml does not name the DTS it came from");
            if (!text.Contains("Linux 7.0", StringComparison.Ordinal)) broken.Add($"{name}.yaml does not say which kernel it was read from (Linux 7.0)");
            if (!text.Contains("Left out", StringComparison.Ordinal)) broken.Add($"{name}.yaml does not say what it leaves out ('Left out')");
            var boot = Path.Combine(root, "scenarios", "boot", name + ".yaml");
            if (!File.Exists(boot)) broken.Add($"{name}.yaml has no boot scenario scenarios/boot/{name}.yaml");
            else if (!File.ReadAllText(boot).Contains($"soc: ../socs/{name}.yaml", StringComparison.Ordinal)) broken.Add($"scenarios/boot/{name}.yaml does not boot socs/{name}.yaml");
            if (!File.Exists(Path.Combine(root, "snapshots", "boot", name + ".verified.md"))) broken.Add($"scenarios/boot/{name}.yaml has no approved report");
        }
        return broken;
    }

    [Fact]
    public void Every_real_SoC_of_the_shipped_catalogue_has_an_approved_boot_scenario_that_names_its_sources()
    {
        var listed = Catalogue(RepoRoot.Path);
        Assert.True(listed.Count >= 9, $"docs/your-board.md lists {listed.Count} real SoC files; the library promises at least nine");
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Empty(Violations(RepoRoot.Path));
    }

    [Fact]
    public void A_SoC_file_of_the_users_own_in_the_project_is_not_held_to_the_catalogues_rules_which_still_bite_a_listed_file()
    {
        using var tree = new TestTree();
        Directory.CreateDirectory(Path.Combine(tree.Root, "docs"));
        File.Copy(Path.Combine(RepoRoot.Path, "docs", "your-board.md"), Path.Combine(tree.Root, "docs", "your-board.md"));
        foreach (var folder in new[] { "scenarios/socs", "scenarios/boot", "snapshots/boot" })
        {
            Directory.CreateDirectory(Path.Combine(tree.Root, folder));
            foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot.Path, folder)))
                File.Copy(f, Path.Combine(tree.Root, folder, Path.GetFileName(f)), overwrite: true);
        }
        // what `scenario import dtb … -o scenarios/socs/board.yaml` writes: a compatible, no DTS line, no "Left out", no boot scenario
        tree.Write("scenarios/socs/board.yaml", "soc: board\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: m4u, compatible: \"mediatek,mt8365-m4u\" }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4u, larb: 0, port: 10 } ]\n");
        Assert.Empty(Violations(tree.Root));

        // a catalogue file that stops saying what it leaves out, or loses its boot scenario, is still caught
        var mt8365 = Path.Combine(tree.Root, "scenarios", "socs", "mt8365.yaml");
        File.WriteAllText(mt8365, File.ReadAllText(mt8365).Replace("Left out", "Not here", StringComparison.Ordinal));
        File.Delete(Path.Combine(tree.Root, "scenarios", "boot", "zynqmp.yaml"));
        Assert.Equal(["mt8365.yaml does not say what it leaves out ('Left out')", "zynqmp.yaml has no boot scenario scenarios/boot/zynqmp.yaml"], Violations(tree.Root));
    }

    /// <summary>
    /// Facts read from arch/arm64/boot/dts/mediatek/mt8188.dtsi, mt8192.dtsi and mt8195.dtsi in the
    /// 7.0-era tree (mainline at the 7.1 merge window): each IOMMU's node name and unit address, and for
    /// MT8192 the display nodes that have iommus (postmask@1400d000 has none).
    /// </summary>
    [Theory]
    [InlineData("mt8188", "vdo=iommu@1c028000 vpp=iommu@14018000 infra=iommu@10315000")]
    [InlineData("mt8192", "m4u=m4u@1401d000")]
    [InlineData("mt8195", "vdo=iommu@1c01f000 vpp=iommu@14018000 infra=infra-iommu@10315000")]
    public void Each_catalogue_iommu_is_commented_with_its_node_in_the_dtsi(string soc, string nodes)
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, "scenarios", "socs", soc + ".yaml"));
        var found = Regex.Matches(text, @"(?m)^  - \{ name: (\S+), compatible: [^}]*\}\s*# (\S+@[0-9a-f]+)$").Select(m => $"{m.Groups[1].Value}={m.Groups[2].Value}");
        Assert.Equal(nodes, string.Join(" ", found));
    }

    [Fact]
    public void Mt8192_lists_as_masters_only_the_nodes_with_iommus_in_its_dtsi()
    {
        var soc = Config.SocLoader.LoadFile(Path.Combine(RepoRoot.Path, "scenarios", "socs", "mt8192.yaml"), "mt8192.yaml");
        Assert.Equal(["ovl0", "ovl-2l0", "ovl-2l2", "rdma0", "rdma4", "vcodec-enc"], soc.Devices.Select(d => d.Name));
    }
}
