using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// The translation fault as the M4U raises it and mtk_iommu_isr handles it (drivers/iommu/mtk_iommu.c,
/// mainline ≈v6.8 / Linux 7.0 copy: mtk_iommu_isr). Hardware side: the access is redirected to the
/// protect buffer (TF_PROT_TO_PROGRAM_ADDR: the master is not stalled), REG_MMU_FAULT_ST1 gets the
/// translation-fault bit of sub-MMU0, REG_MMU0_FAULT_VA packs VA[31:12], VA[34:32] (bits 11:9),
/// PA[34:32] (bits 8:6), write (bit 1) and layer (bit 0), REG_MMU0_INT_ID the master's id in the
/// SoC's layout. Driver side, in the kernel's order: decode (VA[34:32] only with IOVA_34_EN — without
/// it the reported iova keeps the register's low bits; with it PA[34:32] is read after the mask and so
/// is lost, both as the code does), INT_ID per flag variant through larbid_remap (MM type only; infra
/// and APU report larb 32 port 0), report_iommu_fault against the bank's first domain with the IOMMU
/// device, the rate-limited message when there is no domain or the handler returns non-zero, the INT
/// clear, and a full TLB flush of the instance.
/// Not modelled: sub-MMU1, other fault types (multi-hit, invalid PA, FIFO errors), the 4GB-mode and
/// legacy IVRP register encodings of the protect address.
/// </summary>
public sealed partial class MediatekIommu
{
    private const uint FaultTranslation = 1u << 0;  // INT_MAIN_CONTROL / FAULT_ST1: translation fault, MMU0
    private const int InvalidLarb = 32;             // MTK_INVALID_LARBID

    private Translation Fault(IommuDevice dev, MtkData data, MtkBank bank, ulong busIova, bool write, WalkStep last, ScriptSite site)
    {
        var inst = data.Inst;
        int layer = last.Level == 2 ? 1 : 0;
        const ulong faultPa = 0; // no leaf: the walk produced no output address
        // --- hardware: the registers
        uint faultVa = (uint)(busIova & 0xffff_f000UL)
                       | (inst.HasFlag("iova-34-en") ? (uint)((busIova >> 32) & 7) << 9 : 0u)
                       | (uint)((faultPa >> 32) & 7) << 6
                       | (write ? 1u << 1 : 0u)
                       | (uint)layer;
        var id = ((MtkPortId)dev.Spec.Ids[0]);
        uint intId = EncodeIntId(inst, id.Larb, id.Port);
        // --- driver: mtk_iommu_isr
        ulong reportedIova = faultVa;
        ulong reportedPa = faultPa & 0xffff_ffffUL;
        if (inst.HasFlag("iova-34-en"))
        {
            ulong va3432 = (reportedIova >> 9) & 7;
            reportedIova = (reportedIova & 0xffff_f000UL) | (va3432 << 32);
        }
        reportedPa |= ((reportedIova >> 6) & 7) << 32;
        var (larb, port) = DecodeIntId(inst, intId);
        var dom = bank.Dom;
        // report_iommu_fault(&dom->domain, ...) with dom = bank->m4u_dom: freed by iommu_domain_free, still read.
        if (dom is { Freed: true }) _core.Machine.Log.UseAfterFreeRead(site, dom, $"mtk_iommu_isr (bank{bank.Id}->m4u_dom)", dev.Name);
        int ret = dom is null ? -(int)Errno.ENOSYS : _core.ReportIommuFault(dom, inst, reportedIova, write);
        string? message = null;
        if (dom is null || ret != 0)
            message = $"fault type=0x{FaultTranslation:x} iova=0x{reportedIova:x} pa=0x{reportedPa:x} master=0x{intId:x}(larb={larb} port={port}) layer={layer} {(write ? "write" : "read")}";
        FlushAll(data); // after the INT clear: a full TLB flush of the instance
        var regs = new MtkFaultRegisters(FaultTranslation, faultVa, intId, faultPa, reportedIova, reportedPa, larb, port, layer, ret, message, data.ProtectPa);
        var why = $"{inst.Name} bank{bank.Id}: no valid L{last.Level} descriptor for {Hex.Of(busIova)}; mtk_iommu_isr reports it against {dom?.Name ?? "no domain"}"
                  + (ret == -(int)Errno.ENOSYS ? " (no fault handler: -ENOSYS)" : $" (handler returned {ret})")
                  + $"; the access went to the protect buffer at {Hex.Of(data.ProtectPa)}";
        return new Translation(false, data.ProtectPa, "translation", why, dom?.Name) { Registers = regs };
    }

    /// <summary>The INT_ID value the hardware latches for a master (inverse of the driver's decoding).</summary>
    internal static uint EncodeIntId(IommuInstance inst, int larb, int port)
    {
        if (inst.Type != "mm") return 0;
        var (common, sub) = CommonOf(inst, larb);
        if (inst.HasFlag("has-sub-comm-2bits")) return (uint)(common << 9 | sub << 7 | (port & 0x1f) << 2);
        if (inst.HasFlag("has-sub-comm-3bits")) return (uint)(common << 10 | sub << 7 | (port & 0x1f) << 2);
        if (inst.HasFlag("int-id-port-width-6")) return (uint)(common << 8 | (port & 0x3f) << 2);
        return (uint)(common << 7 | (port & 0x1f) << 2);
    }

    /// <summary>mtk_iommu_isr's decoding of INT_ID: the four flag variants, then larbid_remap.</summary>
    internal static (int Larb, int Port) DecodeIntId(IommuInstance inst, uint regval)
    {
        if (inst.Type != "mm") return (InvalidLarb, 0);
        int common, sub = 0, port;
        if (inst.HasFlag("has-sub-comm-2bits")) { common = (int)(regval >> 9) & 7; sub = (int)(regval >> 7) & 3; port = (int)(regval >> 2) & 0x1f; }
        else if (inst.HasFlag("has-sub-comm-3bits")) { common = (int)(regval >> 10) & 7; sub = (int)(regval >> 7) & 7; port = (int)(regval >> 2) & 0x1f; }
        else if (inst.HasFlag("int-id-port-width-6")) { common = (int)(regval >> 8) & 7; port = (int)(regval >> 2) & 0x3f; }
        else { common = (int)(regval >> 7) & 7; port = (int)(regval >> 2) & 0x1f; }
        var remap = MtkConfig.Of(inst).LarbIdRemap;
        int larb = remap is null ? common : common < remap.Count && sub < remap[common].Count ? remap[common][sub] : 0;
        return (larb, port);
    }

    /// <summary>Which (common, sub-common) id wires to a larb: the inverse of larbid_remap (linear by default).</summary>
    private static (int Common, int Sub) CommonOf(IommuInstance inst, int larb)
    {
        var remap = MtkConfig.Of(inst).LarbIdRemap;
        if (remap is null) return (larb & 7, 0);
        for (int c = 0; c < remap.Count; c++)
            for (int s = 0; s < remap[c].Count; s++)
                if (remap[c][s] == larb) return (c, s);
        return (0, 0);
    }
}
