using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>struct arm_smmu_device: the context-bank bitmap, the banks, and the stream-map entries.</summary>
internal sealed class SmmuData
{
    public SmmuData(IommuInstance inst)
    {
        Inst = inst;
        Tlb = new Iotlb(inst.Iotlb);
        Smes = Enumerable.Range(0, SmmuConfig.Of(inst).Smrs).Select(_ => new Sme()).ToArray();
        Cbs = Enumerable.Range(0, inst.Banks).Select(i => new SmmuCb(i, new AsidTlb(Tlb, i))).ToArray();
    }

    public IommuInstance Inst { get; }
    /// <summary>The SMMU's TLB, shared by every context bank; entries are tagged by ASID (YAML <c>iotlb</c>).</summary>
    public Iotlb Tlb { get; }
    /// <summary>smmu->cbs with smmu->context_map: a bank is in use while a domain holds it.</summary>
    public SmmuCb[] Cbs { get; }
    /// <summary>smmu->smrs with smmu->s2crs: one stream-map entry per SMR (NUMSMRG of them).</summary>
    public Sme[] Smes { get; }
    /// <summary>cfg->smendx: the stream-map entry each of a master's IDs uses, in specifier order.</summary>
    public Dictionary<IommuDevice, int[]> SmEndx { get; } = new();
}

/// <summary>One context bank: the domain whose TTBR it holds (null when free) and its ASID's view of the shared TLB.</summary>
internal sealed class SmmuCb(int index, AsidTlb tlb)
{
    public int Index { get; } = index;
    public IommuDomain? Dom { get; set; }
    public AsidTlb Tlb { get; } = tlb;
}

/// <summary>enum arm_smmu_s2cr_type.</summary>
internal enum S2crType { Trans, Bypass, Fault }

/// <summary>A stream-map entry: its SMR (id, mask, valid), its S2CR (type, context bank, users) and the group the driver remembered for it.</summary>
internal sealed class Sme
{
    public uint Id { get; set; }
    public uint Mask { get; set; }
    public bool Valid { get; set; }
    public int Count { get; set; }
    // s2cr_init_val: FAULT, since CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT is default y
    public S2crType Type { get; set; } = S2crType.Fault;
    public int Cbndx { get; set; }
    public GroupKey? Group { get; set; }
}

/// <summary>struct arm_smmu_domain: the core's domain, and the SMMU and context bank it was finalised on (first attach), null before.</summary>
internal sealed class SmmuDomain(int id, ArmSmmu driver, ulong pgsizeBitmap) : IommuDomain(id, DomainType.Unmanaged, driver, pgsizeBitmap)
{
    public SmmuData? Smmu { get; set; }
    public int Cbndx { get; set; } = -1;
}
