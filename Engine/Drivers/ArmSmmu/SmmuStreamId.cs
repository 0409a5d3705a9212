using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>An Arm SMMU master's specifier: stream ID and the SMR mask of the second cell (#iommu-cells = 2; 0 = exact match).</summary>
public sealed record SmmuStreamId(string Iommu, uint Stream, uint Mask) : DeviceId(Iommu)
{
    public override string ToString() => $"{Iommu} stream 0x{Stream:x}" + (Mask != 0 ? $"/0x{Mask:x}" : "");
}
