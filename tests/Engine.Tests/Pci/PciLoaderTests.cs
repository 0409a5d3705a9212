using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.Pci;

/// <summary>The SoC key pci (Config.PciLoader): every key read, every mistake a located error with its stable code.</summary>
public class PciLoaderTests
{
    private const string Head = "soc: s\nmemory:\n  - { name: dram, base: 0x8000_0000, size: 1GiB }\niommus:\n  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }\n  - { name: m4u, driver: mediatek }\n";
    private const string Map = "    iommu-map: [ { rid-base: 0x0, iommu: smmu, iommu-base: 0x0, length: 0x10000 } ]\n";
    private const string Rp = "      - { bdf: \"00:01.0\", type: root-port, secondary: 1, subordinate: 1 }\n";

    private static ScenarioError Error(string pci)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", Head + "pci:\n" + pci);
        var ex = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(path, "s.yaml"));
        return ex.Error;
    }

    private static Soc Load(string pci)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", Head + "pci:\n" + pci);
        return SocLoader.LoadFile(path, "s.yaml");
    }

    [Theory]
    // host bridge keys
    [InlineData("  - { name: a, bogus: 1 }\n", ErrorCode.UnknownKey, 8, "bogus")]
    [InlineData("  - { segment: 0 }\n", ErrorCode.MissingKey, 8, "name")]
    [InlineData("  - { name: a, segment: 0x10000 }\n", ErrorCode.OutOfRange, 8, "segment")]
    [InlineData("  - { name: a, bus-range: [1] }\n", ErrorCode.BadValue, 8, "bus-range is [first, last]")]
    [InlineData("  - { name: a, bus-range: [5, 4] }\n", ErrorCode.OutOfRange, 8, "ends before it starts")]
    [InlineData("  - { name: a, iommu-map: [ { rid-base: 0, iommu: smu, iommu-base: 0, length: 1 } ] }\n", ErrorCode.UnknownReference, 8, "did you mean 'smmu'")]
    [InlineData("  - { name: a, iommu-map: [ { rid-base: 0, iommu: smmu, iommu-base: 0, length: 0 } ] }\n", ErrorCode.OutOfRange, 8, "length must not be 0")]
    [InlineData("  - { name: a, iommu-map: [ { rid-base: 0x1_0000_0000, iommu: smmu, iommu-base: 0, length: 1 } ] }\n", ErrorCode.OutOfRange, 8, "wider than 32 bits")]
    [InlineData("  - { name: a, iommu-map: [ { rid-base: 0, iommu: smmu, length: 1 } ] }\n", ErrorCode.MissingKey, 8, "iommu-base")]
    [InlineData("  - { name: a, iommu-map: [ { rid-base: 0, iommu: smmu, iommu-base: 0, length: 1 }, { rid-base: 1, iommu: m4u, iommu-base: 0, length: 1 } ] }\n", ErrorCode.BadValue, 8, "several drivers")]
    [InlineData("  - { name: a, msi-map: [ { rid-base: 0, msi-controller: its, length: 1 } ] }\n", ErrorCode.MissingKey, 8, "msi-base")]
    [InlineData("  - { name: a }\n  - { name: a, segment: 1 }\n", ErrorCode.DuplicateName, 9, "two PCI host bridges are named 'a'")]
    [InlineData("  - { name: a, bus-range: [0, 0x7f] }\n  - { name: b, bus-range: [0x70, 0xff] }\n", ErrorCode.OverlappingRanges, 9, "overlaps 'a'")]
    // function keys
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", bogus: 1 }\n", ErrorCode.UnknownKey, 10, "bogus")]
    [InlineData("  - name: a\n    functions:\n      - { type: endpoint }\n", ErrorCode.MissingKey, 10, "bdf")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:20.0\" }\n", ErrorCode.BadValue, 10, "device '20'")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.8\" }\n", ErrorCode.BadValue, 10, "function '8'")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"0001:00:01.0\" }\n", ErrorCode.BadValue, 10, "is in segment 0001")]
    [InlineData("  - name: a\n    bus-range: [0, 0x1f]\n    functions:\n      - { bdf: \"20:00.0\" }\n", ErrorCode.OutOfRange, 11, "outside host bridge 'a''s bus-range")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", type: root-complex }\n", ErrorCode.BadValue, 10, "not a PCI function type")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", id: \"10de-2204\" }\n", ErrorCode.BadValue, 10, "vendor:device")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", class: 0x1000000 }\n", ErrorCode.OutOfRange, 10, "24 bits")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", type: root-port, subordinate: 1 }\n", ErrorCode.MissingKey, 10, "secondary")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"01:01.0\", type: root-port, secondary: 1, subordinate: 1 }\n", ErrorCode.OutOfRange, 10, "must be above its own bus")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", type: root-port, secondary: 2, subordinate: 1 }\n", ErrorCode.OutOfRange, 10, "below secondary bus")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", secondary: 1 }\n", ErrorCode.BadValue, 10, "is a bridge's key")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", acs: { cap: [sv, rx] } }\n", ErrorCode.BadValue, 10, "not an ACS bit")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", acs: { cap: [sv, sv] } }\n", ErrorCode.DuplicateName, 10, "listed twice")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", acs: { cap: [sv], ctrl: [rr] } }\n", ErrorCode.BadValue, 10, "hard-wired 0")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", pasid: { width: 21 } }\n", ErrorCode.OutOfRange, 10, "width")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", dma-alias: [\"20.0\"] }\n", ErrorCode.BadValue, 10, "not a devfn")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", dma-alias: [\"00.1\", \"00.1\"] }\n", ErrorCode.DuplicateName, 10, "listed twice")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", dev-flags: [no-alias] }\n", ErrorCode.BadValue, 10, "is not modelled; flags: pcie-bridge-alias, bridge-xlate-root, pci-bridge-no-alias")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", dma-mask: 65 }\n", ErrorCode.OutOfRange, 10, "dma-mask")]
    // topology
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\" }\n      - { bdf: \"00:01.0\" }\n", ErrorCode.DuplicateName, 11, "two functions at 0000:00:01.0")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"05:00.0\" }\n", ErrorCode.BadPciTopology, 10, "no bridge leads to bus 05")]
    [InlineData("  - name: a\n    functions:\n" + Rp + "      - { bdf: \"01:01.0\" }\n", ErrorCode.BadPciTopology, 11, "scans only device 00")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.1\" }\n", ErrorCode.BadPciTopology, 10, "no function 0 in its slot")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", multifunction: false }\n      - { bdf: \"00:01.1\" }\n", ErrorCode.BadPciTopology, 10, "never looks for more functions")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", type: root-port, secondary: 1, subordinate: 3 }\n      - { bdf: \"00:02.0\", type: root-port, secondary: 3, subordinate: 4 }\n", ErrorCode.OverlappingRanges, 11, "overlap")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", type: root-port, secondary: 1, subordinate: 1 }\n      - { bdf: \"00:02.0\", type: root-port, secondary: 1, subordinate: 1 }\n", ErrorCode.OverlappingRanges, 11, "both lead to bus 01")]
    [InlineData("  - name: a\n    functions:\n" + Rp + "      - { bdf: \"01:00.0\", type: upstream-port, secondary: 2, subordinate: 5 }\n", ErrorCode.OutOfRange, 11, "run past its parent's last bus 01")]
    [InlineData("  - name: a\n    functions:\n      - { bdf: \"00:01.0\", name: x }\n      - { bdf: \"00:02.0\", name: x }\n", ErrorCode.DuplicateName, 11, "two devices are named 'x'")]
    public void A_mistake_in_the_pci_key_is_a_located_error_with_its_code(string pci, ErrorCode code, int line, string message)
    {
        var e = Error(pci);
        Assert.Equal(code, e.Code);
        Assert.Equal(line, e.Where.Line);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Functions_are_named_by_BDF_unless_named_and_masters_join_the_devices_after_the_platform_ones()
    {
        var soc = Load("  - name: a\n" + Map + "    functions:\n      - { bdf: \"01:00.0\", name: gpu, dma-mask: 64 }\n" + Rp + "      - { bdf: \"01:00.1\" }\n");
        Assert.Equal(["0000:00:01.0", "gpu", "0000:01:00.1"], soc.Devices.Select(d => d.Name));
        var gpu = soc.FindDevice("gpu")!;
        Assert.Equal((Bus.Pci, 64, true), (gpu.Bus, gpu.DmaMask, gpu.DriverBound));
        Assert.False(soc.FindDevice("0000:00:01.0")!.DriverBound); // bridges: no DMA-API driver by default (pcieport sets driver_managed_dma)
        Assert.True(soc.Pci.Functions.First(f => f.Name == "gpu").Multifunction); // its slot lists two functions
    }

    [Fact]
    public void A_name_used_by_a_platform_device_and_a_function_is_a_duplicate()
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", Head + "devices:\n  - { name: gpu, ids: [ { iommu: smmu, stream: 5 } ] }\npci:\n  - name: a\n    functions:\n      - { bdf: \"00:01.0\", name: gpu }\n");
        var e = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(path, "s.yaml")).Error;
        Assert.Equal(ErrorCode.DuplicateName, e.Code);
    }

    [Fact]
    public void A_bad_pci_kernel_parameter_is_a_located_error()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", Head);
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/s.yaml\nkernel:\n  pci: \"nomsi\"\nlua: 'x = 1'\n");
        var e = Assert.Throws<ScenarioLoadException>(() => ScenarioLoader.Load(path, ProjectLayout.For(path))).Error;
        Assert.Equal((ErrorCode.BadValue, 4), (e.Code, e.Where.Line));
        Assert.Contains("'nomsi' is not modelled", e.Message);
    }
}
