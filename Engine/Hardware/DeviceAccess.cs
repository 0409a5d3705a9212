using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// A bus master's read or write, translated the way the hardware translates it right now (the
/// driver's <see cref="IIommuDriver.Translate"/>: port bypass, the bank's table base register, the
/// walk). A translation failure is a fault event in the log, never an exception. Each 4 KiB page the
/// access touches is translated; the first failing page is the fault.
/// Not modelled yet: IOTLBs and stale entries, permission faults, the fault interrupt path
/// (report_iommu_fault, fault handlers) — see the device-traffic issue.
/// </summary>
public static class DeviceAccess
{
    public readonly record struct Access(bool Ok, ulong Pa, SimEvent? Fault);

    public static Access Perform(IommuCore core, IommuDevice dev, ulong iova, ulong size, bool write)
    {
        if (size == 0) size = 1;
        ulong first = 0;
        for (ulong page = iova & ~0xfffUL; ; page += 0x1000)
        {
            ulong at = Math.Max(page, iova);
            var t = dev.Driver.Translate(dev, at, write);
            if (!t.Ok)
            {
                core.Log.Fault(dev.Name, at, write, t.Kind, t.ReportedDomain?.Name, t.Why);
                return new Access(false, 0, core.Log.Events[^1]);
            }
            if (at == iova) first = t.Pa;
            if (page >= iova + size - 1 - ((iova + size - 1) & 0xfff)) break;
        }
        return new Access(true, first, null);
    }
}
