using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// What an Arm SMMU instance's YAML holds beyond the common keys, as the ID registers would give it
/// (drivers/iommu/arm/arm-smmu/arm-smmu.c arm_smmu_device_cfg_probe, Linux 7.0): the number of
/// stream-match registers (SMMU_IDR0.NUMSMRG, YAML <c>smrs</c>) and of stage-2-only context banks
/// (SMMU_IDR1.NUMS2CB, YAML <c>s2-banks</c>); stage-1 contexts start after those.
/// </summary>
public sealed record SmmuConfig(int Smrs, int S2Banks) : FamilyConfig
{
    /// <summary>The SMMU part of an instance this family loaded.</summary>
    public static SmmuConfig Of(IommuInstance inst) => (SmmuConfig)inst.Config;
}
