using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>A MediaTek master's specifier: larb and port (ID = larb &lt;&lt; 5 | port, include/dt-bindings/memory/mtk-memory-port.h MTK_M4U_ID).</summary>
public sealed record MtkPortId(string Iommu, int Larb, int Port) : DeviceId(Iommu)
{
    public override string ToString() => $"{Iommu} larb{Larb} port{Port}";
}
