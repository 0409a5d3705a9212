using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>An SMMUv3 master's specifier: one stream ID (#iommu-cells = 1; arm_smmu_of_xlate adds args[0]).</summary>
public sealed record SmmuV3StreamId(string Iommu, uint Stream) : DeviceId(Iommu)
{
    /// <summary>The PCI endpoint's ATS capability with its host bridge's ats-supported (IOMMU_FWSPEC_PCI_RC_ATS).</summary>
    public bool Ats { get; init; }

    public override string ToString() => $"{Iommu} stream 0x{Stream:x}";
}
