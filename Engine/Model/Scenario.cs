namespace ScenarioEngine.Model;

/// <summary>
/// A scenario file (CONTRACT §4): one script run against one SoC under given boot knobs.
/// </summary>
public sealed record Scenario(
    string Title,
    string? Description,
    string File,
    Soc Soc,
    KernelKnobs Kernel,
    LuaSource Script,
    IReadOnlyList<KeyValuePair<string, ScenarioParam>> Params);

/// <summary>
/// Boot-time command-line knobs (iommu.c iommu_subsys_init, dma-iommu.c iommu_dma_forcedac_setup,
/// Linux 7.0): iommu.strict, iommu.passthrough, iommu.forcedac (PCI devices skip the 32-bit-first try).
/// </summary>
public sealed record KernelKnobs(bool Strict, bool Passthrough, bool ForceDac = false)
{
    public static KernelKnobs Default => new(true, false);
}

/// <summary>Lua text, its chunk name (a root-relative path) and the file line its first line sits on.</summary>
public sealed record LuaSource(string Chunk, string Text, int FirstLine, string? ModuleRoot);

/// <summary>A value handed to the script as params.NAME: integer, string, boolean, or a list of them.</summary>
public sealed record ScenarioParam(object Value);
