using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// arm_smmu_context_fault: the context bank's FSR, FAR and FSYNR0, the GR1 CBFRSYNRA of the bank (the
/// faulting stream ID), the bank index, and whether the transaction was terminated (no stall model).
/// </summary>
public sealed record SmmuFaultRegisters(
    uint Fsr, ulong Far, uint Fsynr0, uint Cbfrsynra, int Cb,
    int HandlerResult, string? Message) : FaultRegisters(HandlerResult, Message)
{
    public override IEnumerable<KeyValuePair<string, object?>> Fields =>
    [
        new("fsr", (ulong)Fsr), new("far", Far), new("fsynr0", (ulong)Fsynr0), new("cbfrsynra", (ulong)Cbfrsynra), new("cb", Cb),
        new("reported_iova", Far),
    ];

    public override string ReportLine =>
        $"cb{Cb}: FSR 0x{Fsr:x}, FAR {Hex.Of(Far)}, FSYNR0 0x{Fsynr0:x}, CBFRSYNRA 0x{Cbfrsynra:x}; report_iommu_fault → {HandlerResult}; transaction terminated";
}
