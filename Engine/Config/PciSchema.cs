using System.Text.Json.Nodes;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using static ScenarioEngine.Yaml.SchemaNodes;

namespace ScenarioEngine.Config;

/// <summary>The JSON Schema of the SoC key <c>pci</c> and the scenario's kernel.pci (written into schema/*.schema.json by <see cref="SchemaWriter"/>).</summary>
internal static class PciSchema
{
    private const string BdfPattern = "^([0-9a-fA-F]{1,4}:)?[0-9a-fA-F]{1,2}:[0-1]?[0-9a-fA-F]\\.[0-7]$";
    private const string IdPattern = "^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$";

    public static JsonObject SocProperty() => Array(Ref("pci-host-bridge"));

    public static JsonObject KernelProperty() => new()
    {
        ["type"] = "string",
        ["description"] = "the pci= boot parameter (drivers/pci/pci.c pci_setup: options separated by ','); modelled: disable_acs_redir=LIST, config_acs=FLAGS@DEVICE;…, noats. "
            + "A device is [SSSS:]BB:DD.F[/DD.F…] or pci:VVVV:DDDD[:SVVV:SDDD]; entries separate with ';'",
    };

    public static void AddDefinitions(JsonObject defs)
    {
        defs["iommu-map-entry"] = Obj("One iommu-map entry of a host bridge (pci-iommu.txt binding): requester IDs [rid-base, rid-base + length) map to the IOMMU's IDs from iommu-base (of_map_id).", new()
        {
            ["rid-base"] = Num("first requester ID (bus << 8 | devfn), a 32-bit cell"),
            ["iommu"] = Str("an IOMMU of this SoC (its family must take PCI masters: arm-smmu, arm-smmu-v3, mediatek)"),
            ["iommu-base"] = Num("the ID rid-base maps to"),
            ["length"] = Num("how many IDs, not 0"),
        }, ["rid-base", "iommu", "iommu-base", "length"]);
        defs["msi-map-entry"] = Obj("One msi-map entry (pci-msi.txt binding): the MSI device IDs of_msi_map_id gives requester IDs (shown in the report; MSI is not modelled).", new()
        {
            ["rid-base"] = Num("first requester ID"), ["msi-controller"] = Str("the MSI controller's name (free text)"),
            ["msi-base"] = Num("the device ID rid-base maps to"), ["length"] = Num("how many IDs, not 0"),
        }, ["rid-base", "msi-controller", "msi-base", "length"]);
        defs["pci-acs"] = Obj("The ACS extended capability (PCIe r6.0 §7.7.8): the bits of ACS Capability and of ACS Control as firmware leaves it, before Linux's pci_enable_acs turns on the SV, RR, CR and UF the capability has (lspci's ACSCap and, after boot, ACSCtl).", new()
        {
            ["cap"] = AcsBits("ACS Capability: the controls the function implements"),
            ["ctrl"] = AcsBits("ACS Control before Linux writes it (default none); only bits the capability has"),
        }, []);
        defs["pci-pasid"] = Obj("The PASID extended capability (lspci's PASIDCap).", new()
        {
            ["width"] = Int(1, 20, "Max PASID Width: pci_max_pasids is 1 << width"),
            ["exec"] = Bool("Execute Permission Supported"), ["priv"] = Bool("Privileged Mode Supported"),
        }, ["width"]);
        defs["pci-function"] = Obj("A PCI function, placed by its bus number (a bridge's secondary and subordinate say which buses are behind it). Named by its BDF unless name is given; a function behind an IOMMU is also a device of the SoC (soc.device(name) in Lua).", new()
        {
            ["bdf"] = new JsonObject { ["type"] = "string", ["pattern"] = BdfPattern, ["description"] = "BB:DD.F or SSSS:BB:DD.F (hex, as lspci -D prints it); the segment is the host bridge's" },
            ["name"] = Str("a name of its own (default: its BDF, 0000:01:00.0)"),
            ["type"] = new JsonObject { ["enum"] = Strings(PciTypes.Names), ["description"] = "the PCI Express Device/Port Type, or pci / pci-bridge for a conventional function (default endpoint)" },
            ["id"] = new JsonObject { ["type"] = "string", ["pattern"] = IdPattern, ["description"] = "vendor:device (lspci -nn's [10de:2204]); the kernel's quirks match on it" },
            ["subsystem"] = new JsonObject { ["type"] = "string", ["pattern"] = IdPattern, ["description"] = "subsystem vendor:device (some quirks match on it)" },
            ["class"] = Num("class code, 24 bits (0x060400: PCI bridge); shown in the report"),
            ["description"] = Str("free text (lspci's device name)"),
            ["secondary"] = Num("bridges: the bus right behind it, 0 to 0xff"),
            ["subordinate"] = Num("bridges: the last bus behind it, 0 to 0xff"),
            ["multifunction"] = Bool("function 0's header says multi-function (default: true when its slot lists several functions)"),
            ["acs"] = Ref("pci-acs"),
            ["ats"] = Bool("the ATS extended capability (used where the host bridge says ats-supported)"),
            ["pri"] = Bool("the PRI extended capability"),
            ["pasid"] = Ref("pci-pasid"),
            ["dma-alias"] = new JsonObject
            {
                ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-1]?[0-9a-fA-F]\\.[0-7]$" },
                ["description"] = "DD.F devfns on the function's bus it also uses as requester ID (pci_add_dma_alias), beside the kernel's own quirks",
            },
            ["dev-flags"] = new JsonObject
            {
                ["type"] = "array", ["uniqueItems"] = true, ["items"] = new JsonObject { ["enum"] = Strings(PciDevFlagNames.All.Select(f => f.Name)) },
                ["description"] = "pci_dev_flags set by hand: " + string.Join("; ", PciDevFlagNames.All.Select(f => $"{f.Name} = {f.Kernel}")),
            },
            ["dma-mask"] = Int(1, 64, "bits (default 32)"),
            ["driver-bound"] = Bool("a DMA-API driver is bound (counts in owner_cnt); default true for functions that are not bridges"),
            ["firmware"] = Array(Ref("firmware")),
            ["memory-region"] = new JsonObject { ["type"] = "array", ["items"] = Str(), ["description"] = "reserved-memory node names, as a device's: the function's own DT node below its host bridge's (pci_set_of_node) holds them, and of_iommu_get_resv_regions reads dev->of_node" },
        }, ["bdf"]);
        defs["pci-host-bridge"] = Obj("A PCI host bridge (a pcie@… node) and the functions below it.", new()
        {
            ["name"] = Str("the host bridge's name"),
            ["segment"] = Num("PCI domain (linux,pci-domain), 0 to 0xffff; default 0"),
            ["bus-range"] = new JsonObject
            {
                ["type"] = "array", ["minItems"] = 2, ["maxItems"] = 2, ["items"] = Ref("number"),
                ["description"] = "[first, last] bus numbers, 0 to 0xff; the first is the root bus; default [0, 0xff]",
            },
            ["iommu-map"] = Array(Ref("iommu-map-entry")),
            ["iommu-map-mask"] = Num("iommu-map-mask: ANDed with the requester ID before the lookup"),
            ["msi-map"] = Array(Ref("msi-map-entry")),
            ["msi-map-mask"] = Num("msi-map-mask"),
            ["ats-supported"] = Bool("the root complex supports ATS (IOMMU_FWSPEC_PCI_RC_ATS)"),
            ["dma-ranges"] = Array(Ref("dma-range")),
            ["functions"] = Array(Ref("pci-function")),
        }, ["name"]);
    }

    private static JsonObject AcsBits(string description) => new()
    {
        ["type"] = "array", ["uniqueItems"] = true,
        ["items"] = new JsonObject { ["enum"] = Strings(AcsFlagNames.All.Select(AcsFlagNames.Name)) },
        ["description"] = description + ": sv (SrcValid), tb (TransBlk), rr (ReqRedir), cr (CmpltRedir), uf (UpstreamFwd), ec (EgressCtrl), dt (DirectTrans)",
    };
}
