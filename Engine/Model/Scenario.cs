namespace ScenarioEngine.Model;

/// <summary>
/// A scenario file (docs/yaml-reference.md, scenario files): one script run against one SoC under given boot knobs.
/// </summary>
public sealed record Scenario(
    string Title,
    string? Description,
    string File,
    Soc Soc,
    KernelKnobs Kernel,
    LuaSource Script,
    IReadOnlyList<KeyValuePair<string, ScenarioParam>> Params)
{
    /// <summary>The pictures the report carries (the key <c>pictures</c>; all by default).</summary>
    public PictureSet Pictures { get; init; } = PictureSet.All;

    /// <summary>The key <c>advise</c>: the report is the advice for this device's firmware window, not a script's (docs/advise.md); null for a scripted scenario.</summary>
    public AdviceRequest? Advice { get; init; }
}

/// <summary>Which pictures a report carries (the scenario key <c>pictures</c>: topology, iova-maps).</summary>
[Flags]
public enum PictureSet { None = 0, Topology = 1, IovaMaps = 2, All = Topology | IovaMaps }

/// <summary>
/// Boot-time command-line knobs (iommu.c iommu_subsys_init, dma-iommu.c iommu_dma_forcedac_setup,
/// Linux 7.0): iommu.strict, iommu.passthrough, iommu.forcedac (PCI devices skip the 32-bit-first try),
/// and the upstream fixes applied on top of 7.0.0 as released (KernelFixes; ids sorted).
/// </summary>
public sealed record KernelKnobs(bool Strict, bool Passthrough, bool ForceDac = false)
{
    public static KernelKnobs Default => new(true, false);

    /// <summary>Upstream fixes applied on top of Linux 7.0.0 (12-digit ids, sorted); empty: 7.0.0 exactly as released.</summary>
    public IReadOnlyList<string> Fixes { get; init; } = [];

    public bool HasFix(string id) => Fixes.Contains(id);

    /// <summary>The <c>pci=</c> boot parameter as written (drivers/pci/pci.c pci_setup; Pci.PciKernelParams reads it), null when not given.</summary>
    public string? Pci { get; init; }

    /// <summary>"Linux 7.0.0", or "Linux 7.0.0 + id, id" (the report's Kernel line).</summary>
    public string Release => Fixes.Count == 0 ? "Linux 7.0.0" : "Linux 7.0.0 + " + string.Join(", ", Fixes);
}

/// <summary>Lua text, its chunk name (a root-relative path) and the file line its first line sits on.</summary>
public sealed record LuaSource(string Chunk, string Text, int FirstLine, string? ModuleRoot);

/// <summary>A value handed to the script as params.NAME: integer, string, boolean, or a list of them.</summary>
public sealed record ScenarioParam(object Value);
