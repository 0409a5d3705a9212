using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// struct arm_smmu_master: the device's stream IDs (fwspec order), its CD table (allocated at the
/// first stage-1 attach: linear, one CD since ssid_bits is 0 without PASIDs, at <see cref="CdTableDma"/>),
/// and the paging domain its CD 0 points at.
/// </summary>
internal sealed class SmmuV3Master(IommuDevice dev, SmmuV3Data smmu, uint[] sids)
{
    public IommuDevice Dev { get; } = dev;
    public SmmuV3Data Smmu { get; } = smmu;
    public uint[] Sids { get; } = sids;
    /// <summary>cd_table.cdtab_dma; 0 until arm_smmu_alloc_cd_tables.</summary>
    public ulong CdTableDma { get; set; }
    /// <summary>CD 0 (IOMMU_NO_PASID), all zero (invalid) until written.</summary>
    public ulong[] Cd0 { get; } = new ulong[8];
    public bool CdTableAllocated => CdTableDma != 0;
    /// <summary>The paging domain CD 0 points at while the STE translates (the master's entry in smmu_domain->devices).</summary>
    public SmmuV3Domain? Domain { get; set; }

    /// <summary>arm_smmu_ats_supported: the SMMU has ATS, the master is PCI, its endpoint has ATS and the root complex says ats-supported.</summary>
    public bool AtsSupported { get; init; }
    /// <summary>master->ats_enabled: the PCI ATS capability is on and the STE's EATS is TRANS.</summary>
    public bool AtsEnabled { get; set; }
    /// <summary>The endpoint's ATC: what Translation Requests returned, kept until an ATC_INV reaches it (64 entries, 4-way); made for ATS masters only.</summary>
    public Iotlb Atc => _atc ??= new Iotlb(new Model.IotlbGeometry(64, 4));
    private Iotlb? _atc;
}
