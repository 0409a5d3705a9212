using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>An SMMUv3 master's specifier: one stream ID (#iommu-cells = 1; arm_smmu_of_xlate adds args[0]).</summary>
public sealed record SmmuV3StreamId(string Iommu, uint Stream) : DeviceId(Iommu)
{
    public override string ToString() => $"{Iommu} stream 0x{Stream:x}";
}
