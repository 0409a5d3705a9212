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
        Cbs = Enumerable.Range(0, inst.Banks).Select(i => new SmmuCb(i, new Iotlb(inst.Iotlb))).ToArray();
    }

    public IommuInstance Inst { get; }
    /// <summary>smmu->cbs with smmu->context_map: a bank is in use while a domain holds it.</summary>
    public SmmuCb[] Cbs { get; }
    /// <summary>smmu->smrs / s2crs by stream ID (one SMR per ID, mask 0).</summary>
    public SortedDictionary<uint, Sme> Smes { get; } = new();
}

/// <summary>One context bank: the domain whose TTBR it holds (null when free) and its TLB (tagged by ASID = bank index).</summary>
internal sealed class SmmuCb(int index, Iotlb tlb)
{
    public int Index { get; } = index;
    public IommuDomain? Dom { get; set; }
    public Iotlb Tlb { get; } = tlb;
}

/// <summary>enum arm_smmu_s2cr_type.</summary>
internal enum S2crType { Trans, Bypass, Fault }

/// <summary>A stream-map entry: its S2CR (type, context bank) and the group the driver remembered for it.</summary>
internal sealed class Sme
{
    // s2cr_init_val: FAULT, since CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT is default y
    public S2crType Type { get; set; } = S2crType.Fault;
    public int Cbndx { get; set; }
    public object? Group { get; set; }
}

/// <summary>struct arm_smmu_domain: the SMMU and context bank it was finalised on (first attach), null before.</summary>
internal sealed class SmmuDomain
{
    public SmmuData? Smmu { get; set; }
    public int Cbndx { get; set; } = -1;
}
