namespace ScenarioEngine.Hardware;

/// <summary>
/// One command a driver wrote to an IOMMU's command queue (SMMUv3's CMDQ): its opcode name, the fields
/// as text, and the two 64-bit words as the driver built them.
/// </summary>
public sealed record QueuedCommand(string Op, string Text, ulong Dw0, ulong Dw1);
