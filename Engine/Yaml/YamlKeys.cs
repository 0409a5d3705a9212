using ScenarioEngine.Yaml;
namespace ScenarioEngine.Yaml;

/// <summary>
/// The keys each YAML object accepts, in one place: the loaders read with these lists (the IOMMU and
/// device-id keys together with each family's own, Config.SchemaWriter) and
/// tests/Scenarios.Tests/SchemaTests.cs checks that schema/*.schema.json names exactly the same keys
/// for the definition of the same name, so the schema cannot drift from the loader.
/// </summary>
public static class YamlKeys
{
    public static readonly string[] Scenario = ["scenario", "description", "soc", "kernel", "script", "lua", "params", "pictures", "advise"];
    public static readonly string[] Advise = ["device", "window", "iova", "size"];
    public static readonly string[] Kernel = ["iommu.strict", "iommu.passthrough", "iommu.forcedac", "pci", "fixes"];
    public static readonly string[] Soc = ["soc", "description", "memory", "reserved-memory", "iommus", "devices", "pci"];
    public static readonly string[] Memory = ["name", "base", "size"];
    public static readonly string[] ReservedMemory = ["name", "base", "size", "iommu-addresses"];
    public static readonly string[] IommuAddress = ["device", "iova", "size"];
    /// <summary>The IOMMU keys every family takes; each family adds its own (IommuFamily.IommuKeys).</summary>
    public static readonly string[] IommuCommon = ["name", "compatible", "driver", "type", "pgtable", "ias", "oas", "banks", "iotlb"];
    public static readonly string[] Iotlb = ["entries", "ways"];
    public static readonly string[] Device = ["name", "ids", "bus", "dma-mask", "driver-bound", "firmware", "memory-region", "dma-ranges"];
    public static readonly string[] DmaRange = ["bus", "cpu", "size"];
    public static readonly string[] Firmware = ["name", "iova", "size", "boot"];
    public static readonly string[] BootAccess = ["iova", "size", "write"];
    /// <summary>A PCI host bridge (the SoC key <c>pci</c>) and its functions (Config.PciLoader).</summary>
    public static readonly string[] PciHostBridge = ["name", "segment", "bus-range", "iommu-map", "iommu-map-mask", "msi-map", "msi-map-mask", "ats-supported", "dma-ranges", "functions"];
    public static readonly string[] IommuMapEntry = ["rid-base", "iommu", "iommu-base", "length"];
    public static readonly string[] MsiMapEntry = ["rid-base", "msi-controller", "msi-base", "length"];
    public static readonly string[] PciFunction =
    [
        "bdf", "name", "type", "id", "subsystem", "class", "description", "secondary", "subordinate", "multifunction",
        "acs", "ats", "pri", "pasid", "dma-alias", "dev-flags", "dma-mask", "driver-bound", "firmware", "memory-region",
    ];
    public static readonly string[] PciAcs = ["cap", "ctrl"];
    public static readonly string[] PciPasid = ["width", "exec", "priv"];

    /// <summary>Schema definition name → keys (the scenario and SoC documents are their schemas' roots).</summary>
    public static IReadOnlyDictionary<string, string[]> ByDefinition { get; } = new Dictionary<string, string[]>
    {
        ["scenario"] = Scenario, ["kernel"] = Kernel, ["soc"] = Soc, ["memory"] = Memory,
        ["reserved-memory"] = ReservedMemory, ["iommu-address"] = IommuAddress,
        ["iotlb"] = Iotlb, ["device"] = Device,
        ["firmware"] = Firmware, ["boot-access"] = BootAccess,
        ["pci-host-bridge"] = PciHostBridge, ["iommu-map-entry"] = IommuMapEntry, ["msi-map-entry"] = MsiMapEntry,
        ["pci-function"] = PciFunction, ["pci-acs"] = PciAcs, ["pci-pasid"] = PciPasid,
    };
}
