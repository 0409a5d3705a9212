using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>struct mtk_iommu_data: one instance, its banks, its hw_list, 4GB mode, and the larb port state.</summary>
internal sealed class MtkData
{
    public MtkData(IommuInstance inst, HwList hw, bool enable4Gb)
    {
        Inst = inst;
        Hw = hw;
        Enable4Gb = enable4Gb;
        Banks = Enumerable.Range(0, inst.Banks).Select(i => new MtkBank(i, this)).ToArray();
        foreach (var b in Banks) b.Tlb = new Hardware.Iotlb(inst.Iotlb);
    }

    public IommuInstance Inst { get; }
    public HwList Hw { get; }
    /// <summary>enable_4GB: HAS_4GB_MODE and DRAM reaching above 4 GiB (the infracfg bit is set by such boards).</summary>
    public bool Enable4Gb { get; }
    public MtkBank[] Banks { get; }
    /// <summary>SMI larb state per (larb, port): MMU enabled, and the larb's IOVA[33:32] "bank" field.</summary>
    public Dictionary<(int Larb, int Port), PortState> Ports { get; } = new();
    /// <summary>iommu_device_register failed: mtk_iommu_probe returned the error (<see cref="MediatekIommu.RegistrationFailed"/>).</summary>
    public bool Failed { get; set; }
    /// <summary>IVRP_PADDR: the buffer faulting accesses are redirected to (allocated at probe).</summary>
    public ulong ProtectPa { get; set; }
}

/// <summary>A hw_list (m4ulist, or an instance's own list): the first member holds share_dom.</summary>
internal sealed class HwList(string name)
{
    public string Name { get; } = name;
    public List<MtkData> Members { get; } = new();
    public IommuDomain? ShareDom { get; set; }
}

/// <summary>struct mtk_iommu_bank_data: the bank's first domain (m4u_dom) and the TTBR written then.</summary>
internal sealed class MtkBank(int id, MtkData parent)
{
    public int Id { get; } = id;
    public MtkData Parent { get; } = parent;
    public IommuDomain? Dom { get; set; }
    public ulong Ttbr { get; set; }
    public Hardware.Iotlb Tlb { get; set; } = null!;
}

/// <summary>struct mtk_iommu_domain: the core's domain and the bank it was first bound to.</summary>
internal sealed class MtkDomain(int id, MediatekIommu driver, ulong pgsizeBitmap) : IommuDomain(id, DomainType.Unmanaged, driver, pgsizeBitmap)
{
    public MtkBank? Bank { get; set; }
}

internal readonly record struct PortState(bool MmuEnabled, ulong IovaHigh);
