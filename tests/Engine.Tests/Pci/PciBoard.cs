using ScenarioEngine.Config;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;

namespace ScenarioEngine.Tests.Pci;

/// <summary>Small PCI boards for the tests: one host bridge (identity iommu-map) in front of an IOMMU, functions as YAML lines, booted as a scenario boots.</summary>
internal static class PciBoard
{
    public const string V3 = "{ name: smmu, driver: arm-smmu-v3, sid-bits: 16 }";
    public const string V2 = "{ name: smmu, driver: arm-smmu, banks: 64 }";
    public const string Acs = "acs: { cap: [sv, rr, cr, uf] }";

    public static string RootPort(string bdf, int secondary, int subordinate, string extra = "") =>
        F(bdf, $"type: root-port, secondary: {secondary}, subordinate: {subordinate}" + (extra.Length > 0 ? ", " + extra : ""));
    public static string Upstream(string bdf, int secondary, int subordinate, string extra = "") =>
        F(bdf, $"type: upstream-port, secondary: {secondary}, subordinate: {subordinate}" + (extra.Length > 0 ? ", " + extra : ""));
    public static string Downstream(string bdf, int secondary, int subordinate, string extra = "") =>
        F(bdf, $"type: downstream-port, secondary: {secondary}, subordinate: {subordinate}" + (extra.Length > 0 ? ", " + extra : ""));
    public static string Endpoint(string bdf, string extra = "") => F(bdf, extra.Length > 0 ? extra : "type: endpoint");
    public static string F(string bdf, string keys) => $"      - {{ bdf: \"{bdf}\", {keys} }}\n";

    public static string Soc(string functions, string iommu = V3, string host = "", string more = "") => $$"""
        soc: s
        memory:
          - { name: dram, base: 0x8000_0000, size: 1GiB }
        iommus:
          - {{iommu}}
        {{more}}
        pci:
          - name: pcie
            iommu-map: [ { rid-base: 0x0, iommu: smmu, iommu-base: 0x0, length: 0x10000 } ]
        {{host}}
            functions:

        """ + functions;

    public static Soc Load(string yaml)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", yaml);
        return SocLoader.LoadFile(path, "s.yaml");
    }

    public static IommuCore Boot(string yaml, KernelKnobs? knobs = null)
    {
        var core = new IommuCore(Load(yaml), knobs ?? KernelKnobs.Default, Running.ScenarioRunner.DriverFactory(), Dma.CoreDma.For);
        core.Boot();
        return core;
    }

    /// <summary>The groups as "bus:dev.fn,…" lists in group order, separated by " | " (the segment left out).</summary>
    public static string Groups(IommuCore core) =>
        string.Join(" | ", core.Groups.OrderBy(g => g.Id).Select(g => string.Join(",", g.Devices.Select(d => d.Pci is { } p ? p.Address.ToString()[5..] : d.Name))));

    public static IommuDevice Dev(IommuCore core, string bdf) => core.Devices.First(d => d.Pci?.Address.ToString()[5..] == bdf);

    public static PciGroupDecision? Decision(IommuCore core, string bdf) => core.PciDecisionOf(Dev(core, bdf));

    public static PciHost Host(string yaml) => new(Load(yaml).Pci);

    public static PciDev Pdev(PciHost host, string bdf) => host.Devices.First(d => d.Address.ToString()[5..] == bdf);
}
