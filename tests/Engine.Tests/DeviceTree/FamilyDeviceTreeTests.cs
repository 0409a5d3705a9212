using System.Text.RegularExpressions;
using ScenarioEngine.Config;
using ScenarioEngine.Drivers;
using ScenarioEngine.Drivers.ArmSmmu;
using ScenarioEngine.Drivers.ArmSmmuV3;
using ScenarioEngine.Drivers.Mediatek;

namespace ScenarioEngine.Tests.DeviceTree;

/// <summary>
/// Each family's device-tree side (<see cref="IommuFamily.OfXlate"/>, <see cref="IommuFamily.FromTree"/>,
/// <see cref="IommuFamily.WriteId"/>) as its kernel driver reads a tree, and the importer that calls
/// them knowing no family.
/// </summary>
public class FamilyDeviceTreeTests
{
    private static FdtNode Node(params (string Name, uint[] Cells)[] props)
    {
        var w = new FdtWriter().Begin("").Begin("iommu@0");
        foreach (var (name, cells) in props) w.Cells(name, cells);
        return FdtReader.Read(w.End().End().Blob()).Children[0];
    }

    private static DtImporter.Result Import(FdtWriter w) => DtImporter.Import(FdtReader.Read(w.End().Blob()), "t.dtb");

    [Fact]
    public void Arm_SMMU_of_xlate_takes_16_bits_of_stream_and_mask_the_mask_from_the_second_cell_or_the_SMMUs_stream_match_mask()
    {
        var smmu = Families.Find("arm-smmu")!;
        var plain = Node();
        var masked = Node(("stream-match-mask", [0x1_7f80]));
        // arm_smmu_of_xlate: FIELD_PREP(ARM_SMMU_SMR_ID, args[0]) | FIELD_PREP(ARM_SMMU_SMR_MASK, args[1] or stream-match-mask)
        Assert.Equal(new SmmuStreamId("s", 0x2345, 0), smmu.OfXlate([0x1_2345], plain, "s"));
        Assert.Equal(new SmmuStreamId("s", 0x2345, 0x7f80), smmu.OfXlate([0x1_2345], masked, "s"));
        Assert.Equal(new SmmuStreamId("s", 0x10, 0xffff), smmu.OfXlate([0x10, 0x1_ffff], masked, "s")); // the cell wins over the node's mask
        Assert.Null(smmu.OfXlate([], plain, "s"));
        Assert.Null(smmu.OfXlate([1, 2, 3], plain, "s"));
        Assert.Equal("{ iommu: s, stream: 0x2345, mask: 0x7f80 }", smmu.WriteId(new SmmuStreamId("s", 0x2345, 0x7f80)));
        Assert.Equal("{ iommu: s, stream: 0x10 }", smmu.WriteId(new SmmuStreamId("s", 0x10, 0)));
    }

    [Fact]
    public void An_Arm_SMMU_master_with_a_two_cell_specifier_imports_with_its_SMR_mask_and_loads()
    {
        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2);
        w.Begin("smmu@fd800000").Str("compatible", "arm,mmu-500").Cells("#iommu-cells", 2).Cells("phandle", 1).Cells("stream-match-mask", 0x7c00).End();
        w.Begin("dma@0").Cells("iommus", 1, 0x14e8, 0x3).End();
        w.Begin("usb@0").Cells("#iommu-cells", 0).Cells("iommus", 1, 0x860, 0).End();
        var r = Import(w);
        Assert.Contains("  - name: dma  # /dma@0\n    ids: [ { iommu: smmu, stream: 0x14e8, mask: 0x3 } ]", r.Yaml);
        Assert.Contains("  - name: usb  # /usb@0\n    ids: [ { iommu: smmu, stream: 0x860 } ]", r.Yaml); // a second cell of 0 is no mask
        var mask = ((SmmuStreamId)DeviceTreeImportTests.LoadYaml(r.Yaml).Devices.Single(d => d.Name == "dma").Ids[0]).Mask;
        Assert.Equal(3u, mask);
    }

    [Fact]
    public void Arm_SMMU_banks_are_the_context_interrupts_counted_in_the_interrupt_parents_cells_else_8_and_smrs_128_each_with_why()
    {
        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2);
        w.Begin("gic").Cells("phandle", 9).Cells("#interrupt-cells", 3).End();
        w.Begin("soc").Cells("interrupt-parent", 9);
        w.Begin("smmu@0").Str("compatible", "arm,smmu-v2").Cells("#iommu-cells", 1).Cells("#global-interrupts", 2).Cells("interrupts", new uint[3 * 12]).End();
        w.Begin("smmu@1").Str("compatible", "arm,smmu-v2").Cells("#iommu-cells", 1).End();
        w.End();
        var r = Import(w);
        Assert.Contains("  - { name: smmu, compatible: \"arm,smmu-v2\", banks: 10, smrs: 128 }  # /soc/smmu@0", r.Yaml);
        Assert.Contains("  - { name: smmu-1, compatible: \"arm,smmu-v2\", banks: 8, smrs: 128 }  # /soc/smmu@1", r.Yaml);
        Assert.Contains("/soc/smmu@0: 'banks' is SMMU_IDR1.NUMCB on the hardware: 10 context interrupts (12 interrupts, #global-interrupts 2) taken as the context-bank count; check the ID register", r.Warnings);
        Assert.Contains("/soc/smmu@1: 'banks' is SMMU_IDR1.NUMCB on the hardware and the tree does not tell it: 8 assumed; check the ID register", r.Warnings);
        Assert.Equal(2, r.Warnings.Count(x => x.EndsWith("'smrs' is SMMU_IDR0.NUMSMRG on the hardware and the tree does not tell it: 128 (ARM_SMMU_MAX_SMRS) assumed; check the ID register", StringComparison.Ordinal)));
    }

    [Fact]
    public void SMMUv3_of_xlate_takes_one_32_bit_cell_and_sid_bits_covers_the_largest_stream_ID_the_tree_gives_up_to_32()
    {
        var v3 = Families.Find("arm-smmu-v3")!;
        var node = Node();
        Assert.Equal(new SmmuV3StreamId("s", 0xffff_ffff), v3.OfXlate([0xffff_ffff], node, "s"));
        Assert.Null(v3.OfXlate([1, 2], node, "s"));
        Assert.Null(v3.OfXlate([], node, "s"));
        Assert.Equal("{ iommu: s, stream: 0x400 }", v3.WriteId(new SmmuV3StreamId("s", 0x400)));
        var entry = v3.Compatibles.Single();

        var read = v3.FromTree(node, entry, null!);
        var waiting = Assert.Single(read.Keys);
        Assert.Equal(new DtKey("sid-bits", null), waiting);
        Assert.Equal("16", read.Settle(waiting).Value); // no master: at least 16
        read.Saw(new SmmuV3StreamId("s", 0x1_0000), 1);
        Assert.Equal("17", read.Settle(waiting).Value);
        read.Saw(new SmmuV3StreamId("s", 0xffff_ff00), 0x1000); // an iommu-map range past 2^32: capped at 32
        Assert.Equal("32", read.Settle(waiting).Value);

        // arm_smmu_device_dt_probe: dma-coherent is ARM_SMMU_FEAT_COHERENCY
        Assert.Equal(new DtKey("coherent", "true"), v3.FromTree(Node(("dma-coherent", [])), entry, null!).Keys[1]);
    }

    [Fact]
    public void MediaTek_of_xlate_splits_one_cell_into_larb_and_port_and_its_larbs_are_noted_by_larb_id_or_index()
    {
        var mtk = Families.Find("mediatek")!;
        Assert.Equal(new MtkPortId("m", 3, 7), mtk.OfXlate([(3 << 5) | 7 | (1 << 16)], Node(), "m")); // MTK_M4U_TO_LARB/PORT: bits above the larb are not the master's
        Assert.Null(mtk.OfXlate([1, 2], Node(), "m"));
        Assert.Equal("{ iommu: m, larb: 3, port: 7 }", mtk.WriteId(new MtkPortId("m", 3, 7)));

        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2);
        w.Begin("iommu@10205000").Str("compatible", "mediatek,mt8365-m4u").Cells("#iommu-cells", 1).Cells("phandle", 1).Cells("mediatek,larbs", 2, 3, 77).End();
        w.Begin("larb@0").Cells("phandle", 2).Cells("mediatek,larb-id", 5).End();
        w.Begin("larb@1").Cells("phandle", 3).End();
        w.Begin("disp@0").Cells("iommus", 1, (5 << 5) | 2).End();
        var r = Import(w);
        Assert.Contains("  - { name: iommu, compatible: \"mediatek,mt8365-m4u\" }  # /iommu@10205000\n"
            + "    # larb5: /larb@0 (mediatek,larb-id)\n    # larb1: /larb@1 (index in mediatek,larbs)\n    # larb2: phandle 77 resolves to no node (index in mediatek,larbs)\n", r.Yaml);
        Assert.Contains("/iommu@10205000: mediatek,larbs entry 2 is phandle 77, which no node has", r.Warnings);
        Assert.Contains("ids: [ { iommu: iommu, larb: 5, port: 2 } ]", r.Yaml);
    }

    [Fact]
    public void Only_the_family_reads_its_properties_a_mediatek_larbs_list_on_an_SMMU_is_not_noted()
    {
        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2);
        w.Begin("iommu@0").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("mediatek,larbs", 77).End();
        var r = Import(w);
        Assert.DoesNotContain("larb", r.Yaml);
    }

    [Fact]
    public void A_tree_where_no_IOMMU_matches_still_gives_a_SoC_file_that_loads()
    {
        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2);
        w.Begin("memory@0").Str("device_type", "memory").Cells("reg", 0, 0, 0, 0x4000_0000).End();
        w.Begin("iommu@0").Str("compatible", "vendor,unknown-iommu").Cells("#iommu-cells", 1).Cells("phandle", 1).End();
        w.Begin("gpu@0").Cells("iommus", 1, 3).End();
        var r = Import(w);
        Assert.Contains("\niommus: []\n", r.Yaml);
        Assert.Contains("no IOMMU node matched the catalogue: the SoC file has no IOMMU", r.Warnings);
        var soc = DeviceTreeImportTests.LoadYaml(r.Yaml);
        Assert.Empty(soc.Iommus);
        Assert.Single(soc.Memory);
    }

    /// <summary>Engine/Config's code (comments removed): the importer, the loader, the schema and catalogue writers.</summary>
    private static IEnumerable<(string File, string Code)> ConfigCode() =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "Engine", "Config"), "*.cs", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(RepoRoot.Path, f), Regex.Replace(File.ReadAllText(f), @"//.*", "")));

    [Fact]
    public void Engine_Config_names_no_family_no_compatible_and_no_property_only_a_family_reads()
    {
        // what only a family knows: its name, its compatibles, and the properties its device-tree side reads
        var known = new List<string>();
        foreach (var f in Families.All)
        {
            known.Add(f.Name);
            known.AddRange(f.Compatibles.Select(e => e.Compatible));
            var folder = Path.Combine(RepoRoot.Path, "Engine", "Drivers", f.GetType().Namespace![(f.GetType().Namespace!.LastIndexOf('.') + 1)..]);
            foreach (var file in Directory.EnumerateFiles(folder, "*.DeviceTree.cs"))
                known.AddRange(Regex.Matches(File.ReadAllText(file), @"\.(?:Has|U32|Cells|CellCount)\(""([^""]+)""\)").Select(m => m.Groups[1].Value));
        }
        Assert.Contains("stream-match-mask", known);
        Assert.Contains("mediatek,larbs", known);
        var leaks = ConfigCode().SelectMany(c => known.Where(k => c.Code.Contains($"\"{k}\"", StringComparison.Ordinal)).Select(k => $"{c.File}: \"{k}\"")).ToList();
        Assert.True(leaks.Count == 0, "family knowledge in Engine/Config: " + string.Join("; ", leaks));
    }
}
