namespace ScenarioEngine.Model;

/// <summary>
/// An IOMMU instance filled from the catalogue by its device-tree compatible: which entry (and the
/// kernel source it came from) and which of the entry's keys the SoC file overrode.
/// </summary>
public sealed record CompatibleUse(string Compatible, string Source, IReadOnlyList<string> Overridden);
