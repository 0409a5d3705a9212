using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// What an SMMUv3 instance's YAML holds beyond the common keys, as arm_smmu_device_hw_probe reads it
/// from the ID registers (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): IDR1.SIDSIZE (<c>sid-bits</c>),
/// IDR0.ASID16 (<c>asid-bits</c>, 8 or 16), IDR0.ST_LVL (<c>stream-table</c>: a 2-level table is used
/// only when sid-bits exceeds STRTAB_SPLIT, 8), IDR3.RIL (<c>range-invalidation</c>: TLBI with
/// SCALE/NUM), IDR0.COHACC or the firmware's dma-coherent (<c>coherent</c>), IDR0.STALL_MODEL
/// (<c>stalls</c>: stalls supported, so STEs of non-stalling masters set S1STALLD), and IDR0.HYP with a
/// VHE kernel (<c>e2h</c>: ARM_SMMU_FEAT_E2H, EL2 stream world and TLBI_EL2_* commands), IDR0.ATS
/// (<c>ats</c>: ARM_SMMU_FEAT_ATS, PCIe Address Translation Services), and SMMU_GBPA.ABORT as the
/// kernel finds it (<c>gbpa-abort</c>: its reset value is IMPLEMENTATION DEFINED and firmware may set
/// it; arm_smmu_device_reset sets it itself when it finds the SMMU enabled): what the SMMU does with
/// traffic while SMMUEN is clear — after a failed registration (ArmSmmuV3.RegistrationFailed).
/// </summary>
public sealed record SmmuV3Config(int SidBits, int AsidBits, bool TwoLevel, bool RangeInv, bool Coherent, bool Stalls, bool E2h, bool Ats = false, bool GbpaAbort = false) : FamilyConfig
{
    /// <summary>STRTAB_SPLIT: 256 STEs per level-2 table.</summary>
    public const int StrtabSplit = 8;
    /// <summary>STRTAB_MAX_L1_ENTRIES (1 &lt;&lt; 17): a 2-level table covers at most 25 bits of stream ID.</summary>
    public const int MaxL1Entries = 1 << 17;

    public static SmmuV3Config Of(IommuInstance inst) => (SmmuV3Config)inst.Config;

    /// <summary>ARM_SMMU_FEAT_2_LVL_STRTAB after arm_smmu_device_hw_probe: cleared when sid_bits &lt;= STRTAB_SPLIT.</summary>
    public bool UsesTwoLevel => TwoLevel && SidBits > StrtabSplit;

    /// <summary>cfg->l2.num_l1_ents = min(last_sid_idx + 1, STRTAB_MAX_L1_ENTRIES) (arm_smmu_init_strtab_2lvl).</summary>
    public int L1Entries => (int)Math.Min((1L << SidBits) >> StrtabSplit, MaxL1Entries);

    /// <summary>The stream IDs the table covers: 2^sid_bits linear, num_l1_ents × 256 with two levels.</summary>
    public ulong Covered => UsesTwoLevel ? (ulong)L1Entries << StrtabSplit : 1UL << SidBits;
}
