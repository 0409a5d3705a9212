using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>mtk_iommu_isr: FAULT_ST1, FAULT_VA, INT_ID, INVLD_PA and what the driver decodes from them.</summary>
public sealed record MtkFaultRegisters(
    uint IntState, uint FaultVa, uint IntId, ulong InvalidPa,
    ulong ReportedIova, ulong ReportedPa, int Larb, int Port, int Layer,
    int HandlerResult, string? Message, ulong ProtectPa) : FaultRegisters(HandlerResult, Message)
{
    public override IEnumerable<KeyValuePair<string, object?>> Fields =>
    [
        new("fault_va", (ulong)FaultVa), new("int_id", (ulong)IntId), new("int_state", (ulong)IntState), new("pa", ReportedPa),
        new("reported_iova", ReportedIova), new("larb", Larb), new("port", Port), new("layer", Layer), new("protect_pa", ProtectPa),
    ];

    public override string ReportLine =>
        $"FAULT_ST1 0x{IntState:x}, FAULT_VA 0x{FaultVa:x8}, INT_ID 0x{IntId:x}, INVLD_PA {Hex.Of(InvalidPa)} → " +
        $"larb {Larb} port {Port}, layer {Layer}, iova reported {Hex.Of(ReportedIova)}, pa {Hex.Of(ReportedPa)}; report_iommu_fault → {HandlerResult}";
}
