using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// The context fault as an SMMU v2 context bank raises it and arm_smmu_context_fault handles it
/// (drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux 7.0). Hardware: FSR gets TF
/// (bit 1) for a translation fault or PF (bit 3) for a permission fault, with FORMAT (bits 10:9) = 2
/// for an AArch64 context — so the familiar "fsr=0x402"; FAR the faulting input address; FSYNR0 WNR
/// (bit 4) for a write, PNU (bit 5) clear for the unprivileged accesses masters make here, and PLVL
/// (bits 1:0) the table level; the bank's CBFRSYNRA the stream ID (bits 15:0). Driver:
/// arm_smmu_read_context_fault_info, report_iommu_fault(domain, NULL, FAR, WNR ? WRITE : READ); when it
/// returns -ENOSYS, arm_smmu_print_context_fault_info's three lines ("Unhandled context fault", the
/// FSR decode with the SID, the FSYNR0 decode); FSR written back to clear it. The bank is not
/// configured to stall (SCTLR.CFCFG = 0), so the transaction is terminated — the master gets an
/// abort, never data — and the handler's return value changes nothing. The TLB is not flushed.
/// Not modelled: FSR.SS and RESUME (stall mode), multi-fault (FSR.MULTI), the other FSR causes
/// (access flag, external, TLB conflict, address size), FSYNR0.S1CBNDX (implementation-defined,
/// reported 0), and the rate limit itself (every fault prints its lines).
/// </summary>
public sealed partial class ArmSmmu
{
    private const uint FsrTf = 1u << 1, FsrPf = 1u << 3, FsrFormatAarch64 = 2u << 9, Fsynr0Wnr = 1u << 4;

    private Translation ContextFault(IommuDevice dev, SmmuData data, SmmuCb cb, uint sid, ulong iova, bool write, bool permission, int level, string cause)
    {
        uint fsr = FsrFormatAarch64 | (permission ? FsrPf : FsrTf);
        uint fsynr0 = (write ? Fsynr0Wnr : 0u) | (uint)(level & 3);
        uint cbfrsynra = sid & 0xffff;
        var dom = cb.Dom!;
        int ret = _core.ReportIommuFault(dom, null, iova, write);
        string? message = ret == -(int)Errno.ENOSYS
            ? $"Unhandled context fault: fsr=0x{fsr:x}, iova=0x{iova:x8}, fsynr=0x{fsynr0:x}, cbfrsynra=0x{cbfrsynra:x}, cb={cb.Index}\n"
              + $"FSR    = {fsr:x8} [Format={(fsr >> 9) & 3}{(permission ? " PF" : " TF")}], SID=0x{cbfrsynra:x}\n"
              + $"FSYNR0 = {fsynr0:x8} [S1CBNDX=0{(write ? " WNR" : "")} PLVL={fsynr0 & 3}]"
            : null;
        var regs = new SmmuFaultRegisters(fsr, iova, fsynr0, cbfrsynra, cb.Index, ret, message);
        var why = $"{data.Inst.Name} cb{cb.Index}: {cause}; arm_smmu_context_fault reports it against {dom.Name}"
                  + (ret == -(int)Errno.ENOSYS ? " (no fault handler: -ENOSYS)" : $" (handler returned {ret})")
                  + "; the transaction was terminated";
        return new Translation(false, 0, permission ? "permission" : "translation", why, dom?.Name) { Registers = regs };
    }
}
