using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// The event queue as arm-smmu-v3.c handles it (arm_smmu_evtq_thread → arm_smmu_decode_event,
/// arm_smmu_handle_event, arm_smmu_dump_event). The SMMU writes a record and terminates the
/// transaction (no stall: the STE's S1STALLD, or an SMMU without stalls). arm_smmu_handle_event takes
/// only stalled events (IOPF) and a vSMMU's; every other event returns -EOPNOTSUPP ("Unhandled events
/// should be pinned"), so the driver prints it: "event 0xNN received:" with the four raw qwords, then
/// for a translation, address-size, access or permission fault "event: NAME client: DEV sid: … ssid: …
/// iova: … ipa: …" and "unpriv data read|write s1 "CLASS" stag: 0", for other events "event: NAME
/// client: DEV sid: … ssid: …" — the client is the master that inserted the stream ID, else
/// "(unassigned sid)", and the numbers are C's %#x (0 prints as "0"). The domain's fault handler
/// (iommu_set_fault_handler) is never called: the driver does not call report_iommu_fault.
/// Faults here are unprivileged data accesses without a substream. The record's fields are the
/// architecture's (Arm IHI 0070, §7.3): a stage-1 F_TRANSLATION or F_PERMISSION has S2 == 0 and
/// CLASS == IN, and its IPA is UNKNOWN (written as 0 here); C_BAD_STREAMID (§7.3.3) is recorded because
/// arm_smmu_device_reset sets CR2.RECINVSID, for a StreamID at or above 2^LOG2SIZE or one whose level-1
/// descriptor has Span 0. Not modelled: the
/// rate limit, queue overflow ("EVTQ overflow detected -- events lost"), F_ADDR_SIZE, F_ACCESS and
/// the fetch faults.
/// </summary>
public sealed partial class ArmSmmuV3
{
    private const int ClassIn = 2;
    /// <summary>IOMMU_NO_PASID: the SSID printed for an event without SSV.</summary>
    private const uint Ssid = 0;

    private static string EventName(EvtId id) => id switch
    {
        EvtId.BadStreamId => "C_BAD_STREAMID",
        EvtId.BadSte => "C_BAD_STE",
        EvtId.BadCd => "C_BAD_CD",
        EvtId.Translation => "F_TRANSLATION",
        EvtId.Permission => "F_PERMISSION",
        _ => "UNKNOWN",
    };

    /// <summary>printk's %#x / %#llx: "0" for zero, else 0x and lower-case hex.</summary>
    private static string CHex(ulong v) => v == 0 ? "0" : $"0x{v:x}";

    private Translation Event(IommuDevice dev, SmmuV3Data smmu, EvtId id, uint sid, ulong iova, bool write, SmmuV3Domain? dom, string cause)
    {
        bool fault = id is EvtId.Translation or EvtId.Permission;
        var raw = new ulong[4];
        raw[0] = (ulong)id | ((ulong)sid << 32);
        if (fault)
        {
            raw[1] = (write ? 0 : 1UL << 35) | ((ulong)ClassIn << 40);
            raw[2] = iova;
        }
        // arm_smmu_find_master: the client is whoever inserted the SID, not necessarily this device
        string client = smmu.Streams.TryGetValue(sid, out var owner) ? owner.Dev.Name : "(unassigned sid)";
        var lines = new List<string> { $"event 0x{(int)id:x2} received:" };
        lines.AddRange(raw.Select(r => $"\t0x{r:x16}"));
        if (fault)
        {
            lines.Add($"event: {EventName(id)} client: {client} sid: {CHex(sid)} ssid: {CHex(Ssid)} iova: {CHex(iova)} ipa: {CHex(raw[3])}");
            lines.Add($"unpriv data {(write ? "write" : "read")} s1 \"Input address caused fault\" stag: {CHex(raw[1] & 0xffff)}");
        }
        else lines.Add($"event: {EventName(id)} client: {client} sid: {CHex(sid)} ssid: {CHex(Ssid)}");
        const int EOpNotSupp = -(int)Errno.EOPNOTSUPP;
        var regs = new SmmuV3Event(EventName(id), (int)id, sid, 0, fault ? iova : 0, !write, fault ? ClassIn : 0, raw, EOpNotSupp, string.Join("\n", lines));
        var why = $"{smmu.Inst.Name}: {cause}; the SMMU records {EventName(id)} in its event queue and terminates the transaction";
        // the fault table's kind is "translation" or "permission" (docs/lua-api.md); `event` names the record
        string kind = id == EvtId.Permission ? "permission" : "translation";
        return new Translation(false, 0, kind, why, dom?.Name) { Registers = regs };
    }
}
