namespace ScenarioEngine.Model;

/// <summary>
/// The bits of the ACS Capability and ACS Control registers (include/uapi/linux/pci_regs.h
/// PCI_ACS_SV … PCI_ACS_DT; PCIe r6.0 §7.7.8): Source Validation, Translation Blocking, P2P Request
/// Redirect, P2P Completion Redirect, Upstream Forwarding, P2P Egress Control, Direct Translated P2P.
/// </summary>
[Flags]
public enum AcsFlags : ushort
{
    None = 0,
    SV = 0x01,
    TB = 0x02,
    RR = 0x04,
    CR = 0x08,
    UF = 0x10,
    EC = 0x20,
    DT = 0x40,
}

public static class AcsFlagNames
{
    /// <summary>Every bit, in register order.</summary>
    public static readonly IReadOnlyList<AcsFlags> All = [AcsFlags.SV, AcsFlags.TB, AcsFlags.RR, AcsFlags.CR, AcsFlags.UF, AcsFlags.EC, AcsFlags.DT];

    /// <summary>REQ_ACS_FLAGS (drivers/iommu/iommu.c, Linux 7.0): SV | RR | CR | UF, what pci_device_group asks of every port above a device.</summary>
    public const AcsFlags Required = AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF;

    /// <summary>The YAML name of one bit: sv, tb, rr, cr, uf, ec, dt.</summary>
    public static string Name(AcsFlags bit) => bit.ToString().ToLowerInvariant();

    public static AcsFlags? Parse(string name) => All.Where(b => Name(b) == name).Select(b => (AcsFlags?)b).FirstOrDefault();

    /// <summary>"SV RR CR UF" (upper case, register order), or "none".</summary>
    public static string Text(AcsFlags f) => f == AcsFlags.None ? "none" : string.Join(" ", All.Where(b => (f & b) != 0).Select(b => b.ToString()));
}
