using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>EVT_ID_* (arm-smmu-v3.h) of the events this model raises.</summary>
internal enum EvtId : byte { BadStreamId = 0x02, BadSte = 0x04, BadCd = 0x0a, Translation = 0x10, Permission = 0x13 }

/// <summary>
/// One event-queue record as arm_smmu_decode_event reads it (four qwords: EVTQ_0_ID/SSV/SSID/SID,
/// EVTQ_1_STAG/STALL/PnU/InD/RnW/S2/CLASS/TT_READ, EVTQ_2_ADDR, EVTQ_3_IPA), the event's name
/// (event_str), what arm_smmu_handle_event returned, and the lines arm_smmu_dump_event printed.
/// </summary>
public sealed record SmmuV3Event(string Event, int Id, uint Sid, uint Ssid, ulong Iova, bool Read, int Class, ulong[] Raw,
    int HandlerResult, string? Message) : FaultRegisters(HandlerResult, Message)
{
    public override IEnumerable<KeyValuePair<string, object?>> Fields =>
    [
        new("event", Event), new("id", Id), new("sid", (ulong)Sid), new("ssid", (ulong)Ssid), new("iova", Iova), new("read", Read),
        new("class", Class), new("raw", Raw.Select(r => (object?)r).ToList()),
    ];

    public override string ReportLine =>
        $"{Event} (0x{Id:x2}) sid 0x{Sid:x}{(Id >= 0x10 ? $", iova {Hex.Of(Iova)}, {(Read ? "read" : "write")}" : "")}; arm_smmu_handle_event → {HandlerResult} (no stall, no vSMMU), so arm_smmu_dump_event printed it; report_iommu_fault is not called; transaction terminated";
}
