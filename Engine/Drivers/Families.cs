using ScenarioEngine.Drivers.ArmSmmu;
using ScenarioEngine.Drivers.Mediatek;

namespace ScenarioEngine.Drivers;

/// <summary>
/// The IOMMU driver families the engine models: the only list of them. A new family is one folder
/// under Engine/Drivers/ and one entry here (docs/architecture.md, "Adding a family").
/// </summary>
public static class Families
{
    public static IReadOnlyList<IommuFamily> All { get; } = [new MediatekFamily(), new ArmSmmuFamily()];

    /// <summary>Families planned but not modelled yet: loading one is SE1013.</summary>
    public static IReadOnlyList<string> Planned { get; } = ["arm-smmu-v3", "apple-dart"];

    public static IommuFamily? Find(string name) => All.FirstOrDefault(f => f.Name == name);
}
