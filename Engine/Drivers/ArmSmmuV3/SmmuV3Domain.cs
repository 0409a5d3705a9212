using ScenarioEngine.Kernel;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>struct arm_smmu_domain of a stage-1 paging domain: finalised at allocation on the allocating master's SMMU, with its ASID.</summary>
internal sealed class SmmuV3Domain(int id, ArmSmmuV3 driver, ulong pgsizeBitmap, SmmuV3Data smmu, ushort asid)
    : IommuDomain(id, DomainType.Unmanaged, driver, pgsizeBitmap)
{
    public SmmuV3Data Smmu { get; } = smmu;
    public ushort Asid { get; } = asid;
    /// <summary>The masters whose CD 0 points at this domain (smmu_domain->devices).</summary>
    public List<SmmuV3Master> Devices { get; } = new();
    /// <summary>smmu_domain->nr_ats_masters: attached masters with ATS on; 0 skips ATC invalidation.</summary>
    public int NrAtsMasters { get; set; }
}
