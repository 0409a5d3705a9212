using System.Buffers.Binary;
using ScenarioEngine.Config;
using ScenarioEngine.Dma;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.DeviceTree;

/// <summary>
/// scenario import: test trees written after upstream boards, compiled with dtc, read by the engine's
/// own FDT reader, turned into SoC files that load and boot; hostile blobs are located refusals.
/// </summary>
public class DeviceTreeImportTests
{
    internal static Soc LoadYaml(string yaml) => SocLoader.Load(YamlTree.Parse(yaml, "imported.yaml"), "imported.yaml");

    private static IommuCore Boot(Soc soc)
    {
        var drivers = new Dictionary<string, IIommuDriver>();
        var core = new IommuCore(soc, KernelKnobs.Default, (c, inst) =>
        {
            if (!drivers.TryGetValue(inst.Driver, out var d)) drivers[inst.Driver] = d = Drivers.Families.Find(inst.Driver)!.CreateDriver(c);
            return d;
        }, Dma.CoreDma.For);
        core.Boot();
        return core;
    }

    /// <summary>The groups as sets of device names, in a canonical order.</summary>
    private static List<string> Groups(IommuCore core) =>
        core.Groups.Select(g => string.Join(",", g.Devices.Select(d => d.Name).Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList();

    [SkippableFact]
    public void An_MT8365_like_tree_imports_to_a_SoC_file_with_the_groups_of_the_shipped_mt8365()
    {
        Dtc.Require();
        var r = DtImporter.Import(FdtReader.Read(Dtc.Compile("mt8365-evk.dts")), "mt8365-evk.dtb");
        Assert.Empty(r.Warnings);
        var imported = LoadYaml(r.Yaml);
        Assert.Equal("mediatek,mt8365-m4u", imported.Iommus.Single().Compatible!.Compatible);
        var shipped = SocLoader.LoadFile(Path.Combine(RepoRoot.Path, "scenarios", "socs", "mt8365.yaml"), "mt8365.yaml");
        Assert.Equal(shipped.Devices.Select(d => d.Name).Order(StringComparer.Ordinal), imported.Devices.Select(d => d.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Groups(Boot(shipped)), Groups(Boot(imported)));
        Assert.Contains("  - name: apu  # /soc/apu@19020000\n    ids: [ { iommu: iommu, larb: 0, port: 10 }, { iommu: iommu, larb: 0, port: 11 } ]", r.Yaml);
    }

    [SkippableFact]
    public void A_ZynqMP_like_tree_gives_streams_a_PCI_range_a_reserved_window_and_says_what_it_left_out()
    {
        Dtc.Require();
        var r = DtImporter.Import(FdtReader.Read(Dtc.Compile("zynqmp-board.dts")), "zynqmp.dtb");
        var soc = LoadYaml(r.Yaml);
        var smmu = soc.Iommus.Single();
        Assert.Equal(("arm,mmu-500", 16), (smmu.Compatible!.Compatible, smmu.Banks)); // 17 interrupts, #global-interrupts 1
        Assert.Contains("  - name: usb-fe300000  # /axi/usb@fe300000", r.Yaml); // two usb nodes: the second keeps its unit address
        Assert.Contains("ids: [ { iommu: iommu, stream: 0x4c0 }, { iommu: iommu, stream: 0x4c1 }, { iommu: iommu, stream: 0x4c2 }, { iommu: iommu, stream: 0x4c3 } ]", r.Yaml);
        var pcie = soc.Devices.Single(d => d.Name == "pcie-rid0");
        Assert.Equal(Bus.Pci, pcie.Bus);
        var rproc = soc.ReservedMemory.Single();
        Assert.Equal(("remoteproc", 0x3ed0_0000UL, 0x4_0000UL), (rproc.IommuAddresses.Single().Device, rproc.IommuAddresses.Single().Iova, rproc.IommuAddresses.Single().Size));
        Assert.Equal(["rproc"], soc.Devices.Single(d => d.Name == "remoteproc").MemoryRegion);
        Assert.Contains(r.Warnings, w => w.Contains("vendor,unknown-iommu", StringComparison.Ordinal));
        Assert.Contains(r.Warnings, w => w.StartsWith("/axi/gpu@fd4b0000:", StringComparison.Ordinal));
        Assert.Contains(r.Warnings, w => w.Contains("'smrs'", StringComparison.Ordinal));
        Assert.All(r.Warnings, w => Assert.Contains("# WARNING: " + w, r.Yaml));
        Assert.DoesNotContain(soc.Devices, d => d.Name == "gpu");
        var core = Boot(soc);
        Assert.Equal(7, core.Devices.Count);
        Assert.All(core.Devices, d => Assert.NotNull(d.Group));
    }

    [SkippableFact]
    public void An_smmu_v3_is_imported_with_one_cell_stream_ids_and_sid_bits_wide_enough_for_the_tree()
    {
        Dtc.Require();
        var r = DtImporter.Import(FdtReader.Read(Dtc.Compile("smmu-v3-board.dts")), "board.dtb");
        // 17 bits: the iommu-map's streams reach 0x1ffff; dma-coherent is ARM_SMMU_FEAT_COHERENCY
        Assert.Contains("  - { name: iommu, compatible: \"arm,smmu-v3\", sid-bits: 17, coherent: true }", r.Yaml);
        Assert.Contains(r.Warnings, w => w == "/iommu@2b400000: 'sid-bits' is SMMU_IDR1.SIDSIZE on the hardware and the tree does not tell it: 17 assumed (16, or enough for the largest stream ID the tree gives it, 0x1ffff); check the ID register");
        var soc = LoadYaml(r.Yaml);
        Assert.Equal("stream 0x400", ((ScenarioEngine.Drivers.ArmSmmuV3.SmmuV3StreamId)soc.Devices.Single(d => d.Name == "gpu").Ids[0]).ToString()[^12..]);
        var pci = soc.Devices.Single(d => d.Name.StartsWith("pcie", StringComparison.Ordinal));
        Assert.Equal(Bus.Pci, pci.Bus);
        var core = Boot(soc);
        Assert.Empty(core.FailedInstances);
        Assert.NotNull(core.Device(pci.Name)!.Group);
        Assert.NotSame(core.Device("gpu")!.Group, core.Device(pci.Name)!.Group);
    }

    [SkippableFact]
    public void Each_master_gets_the_dma_ranges_of_its_bus_as_of_dma_get_range_finds_them()
    {
        Dtc.Require();
        var r = DtImporter.Import(FdtReader.Read(Dtc.Compile("dma-ranges-board.dts")), "board.dtb");
        var soc = LoadYaml(r.Yaml);
        var window = new DmaRange(0x8000_0000, 0x0, 0x8000_0000);
        // the bus's own window; under an empty dma-ranges, the window above it
        Assert.Equal([window], soc.Devices.Single(d => d.Name == "nic").DmaRanges);
        Assert.Equal([window], soc.Devices.Single(d => d.Name == "dsp").DmaRanges);
        // the bus node itself may lack dma-ranges (the search starts one level up); past it, a node
        // without them ends the search: none (of_dma_get_range gives -ENODEV)
        Assert.Equal([window], soc.Devices.Single(d => d.Name == "cam").DmaRanges);
        Assert.Empty(soc.Devices.Single(d => d.Name == "isp").DmaRanges);
        Assert.Empty(soc.Devices.Single(d => d.Name == "gpu").DmaRanges);
        // a window whose parent addresses would translate through /soc's: said, not guessed
        Assert.Empty(soc.Devices.Single(d => d.Name == "vpu").DmaRanges);
        Assert.Contains(r.Warnings, w => w == "/soc/xlate: its dma-ranges' parent addresses translate through /soc's dma-ranges, which the importer does not follow: not read");
        // a PCI host bridge's own dma-ranges, with 3-cell PCI bus addresses, for the masters of its iommu-map
        var pci = soc.Devices.Single(d => d.Name == "pcie-rid0");
        Assert.Equal([new DmaRange(0x8000_0000, 0x0, 0x4000_0000)], pci.DmaRanges);
        Assert.Contains("    dma-ranges: [ { bus: 0x0, cpu: 0x80000000, size: 0x40000000 } ]", r.Yaml);
        // iommu-map-mask: every RID of the second bridge is masked to 0, so the first entry serves them all;
        // the second entry's id-base has bits outside the mask: of_map_id's -EFAULT, left out with a warning
        Assert.Contains("  - name: pcie-rid0-2  # /pcie@fd0f0000 iommu-map: RIDs 0x0..0x0 (one master stands for the range, RIDs masked with iommu-map-mask 0x0 first: RIDs that differ only outside it share a stream)", r.Yaml);
        Assert.DoesNotContain(soc.Devices, d => d.Name.StartsWith("pcie-rid100", StringComparison.Ordinal));
        Assert.Contains(r.Warnings, w => w == "/pcie@fd0f0000: iommu-map entry 2's id-base 0x100 has bits outside iommu-map-mask 0x0: of_map_id fails (-EFAULT) for every RID that reaches this entry, so it and the entries after it are left out");
        // and the limit reaches the DMA API
        var core = Boot(soc);
        Assert.Equal(0x7fff_f000UL, core.Dma.MapSingle(core.Device("nic")!, 0x8000_0000, 0x1000, DmaDirection.ToDevice).Value);
    }

    [SkippableFact]
    public void A_copy_of_proc_device_tree_imports_to_the_same_file_as_its_blob()
    {
        Dtc.Require();
        var root = FdtReader.Read(Dtc.Compile("zynqmp-board.dts"));
        using var tree = new TestTree();
        var dir = Path.Combine(tree.Root, "device-tree");
        Dtc.WriteFolder(root, dir);
        File.WriteAllText(Path.Combine(dir, "name"), ""); // the kernel's own 'name' files are not properties
        var fromBlob = DtImporter.Import(root, "board");
        var fromDir = DtImporter.Import(FdtDirReader.Read(dir), "board");
        Assert.Equal(fromBlob.Yaml, fromDir.Yaml);
    }

    [Fact]
    public void A_symbolic_link_inside_a_tree_folder_is_refused()
    {
        using var tree = new TestTree();
        var dir = Path.Combine(tree.Root, "dt");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "compatible"), "x\0"u8.ToArray());
        File.CreateSymbolicLink(Path.Combine(dir, "model"), "/etc/passwd");
        var e = Assert.Throws<DeviceTreeException>(() => FdtDirReader.Read(dir));
        Assert.Equal("model", e.Where);
    }

    private static byte[] Valid() => Dtc.Compile("mt8365-evk.dts");

    private static void Put(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);

    public static TheoryData<string, string> Hostile() => new()
    {
        { "truncated", "offset 0x4" },
        { "bad-magic", "offset 0x0" },
        { "absurd-totalsize", "offset 0x4" },
        { "property-overruns", "offset 0x" },
        { "strings-offset-outside", "offset 0x" },
        { "deep-nesting", "offset 0x" },
        { "no-end", "offset 0x" },
    };

    [SkippableTheory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_blob_is_refused_with_the_offset_that_is_wrong(string kind, string where)
    {
        Dtc.Require();
        var b = Valid();
        int offStruct = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(8));
        switch (kind)
        {
            case "truncated": b = b[..(b.Length / 2)]; break;
            case "bad-magic": Put(b, 0, 0xfeedd00d); break;
            case "absurd-totalsize": Put(b, 4, 0x7fff_ffff); break;
            case "property-overruns":
            {
                // the first FDT_PROP after the root's FDT_BEGIN_NODE "" (8 bytes: token + empty name padded)
                Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(offStruct + 8)));
                Put(b, offStruct + 12, 0x00ff_ffff);
                break;
            }
            case "strings-offset-outside": Put(b, offStruct + 16, 0x00ff_ffff); break;
            case "deep-nesting":
            {
                // a structure block of 100 nested nodes
                var s = new List<byte>();
                for (int i = 0; i < 100; i++) s.AddRange([0, 0, 0, 1, (byte)'n', 0, 0, 0]);
                var blob = new byte[40 + s.Count + 8];
                Put(blob, 0, 0xd00dfeed); Put(blob, 4, (uint)blob.Length); Put(blob, 8, 40); Put(blob, 12, (uint)blob.Length); Put(blob, 16, 40);
                Put(blob, 20, 17); Put(blob, 24, 16); Put(blob, 32, 0); Put(blob, 36, (uint)s.Count);
                s.CopyTo(blob, 40);
                b = blob;
                break;
            }
            case "no-end": Put(b, 36, 8); break; // the structure block holds only the root's FDT_BEGIN_NODE
        }
        var e = Assert.Throws<DeviceTreeException>(() => FdtReader.Read(b));
        Assert.StartsWith(where, e.Where, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [SkippableFact]
    public void Two_thousand_mutated_blobs_never_crash_the_reader_or_the_importer_and_what_imports_loads_or_is_a_located_error()
    {
        Dtc.Require();
        // three seeds: the MT8365 tree, a tree of dma-ranges (cells, nesting, a PCI bridge) for DtDmaRanges,
        // and an SMMUv3 tree (one-cell stream IDs, a 17-bit iommu-map, dma-coherent); and, small, the shapes
        // that once flooded or went quadratic (issue 33): zero-cell specifiers naming an unmatched and a
        // refusing IOMMU, memory-region phandles naming nothing, siblings sharing 48 characters, an
        // iommu-map of identical entries, nodes nested under long names
        byte[][] seeds = [Valid(), Dtc.Compile("dma-ranges-board.dts"), Dtc.Compile("smmu-v3-board.dts"),
            CraftedTrees.ZeroCellFlood(200, false), CraftedTrees.ZeroCellFlood(200, true), CraftedTrees.MemoryRegionFlood(200),
            CraftedTrees.Siblings(30), CraftedTrees.IdenticalIommuMap(60), CraftedTrees.DeepLongNames(8, 20)];
        var rng = new Random(1234);
        int read = 0, refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            var b = (byte[])seeds[i % seeds.Length].Clone();
            int flips = 1 + rng.Next(8);
            for (int f = 0; f < flips; f++)
            {
                int at = rng.Next(b.Length);
                b[at] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => (byte)(b[at] ^ (1 << rng.Next(8))), _ => 0xff };
            }
            if (rng.Next(10) == 0) b = b[..rng.Next(b.Length)];
            FdtNode root;
            try { root = FdtReader.Read(b); }
            catch (DeviceTreeException e)
            {
                Assert.StartsWith("offset 0x", e.Where, StringComparison.Ordinal);
                refused++;
                continue;
            }
            read++;
            var r = DtImporter.Import(root, "fuzz.dtb");
            Assert.All(r.Yaml.Split('\n'), line => Assert.DoesNotContain(line, c => c < ' ' && c != '\t'));
            Assert.True(r.Warnings.Count <= 2 * ImportWarnings.MaxShown + 1, $"{r.Warnings.Count} warning lines"); // kept, a fold per kind, and one for the rest
            try { LoadYaml(r.Yaml); }
            catch (ScenarioLoadException e) { Assert.True(e.Error.Where.Line > 0, e.Error.ToString()); }
        }
        Assert.True(read > 100 && refused > 100, $"read {read}, refused {refused}: the mutations should exercise both");
    }
}
