using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// A bus master's reads and writes, translated the way the hardware translates them right now (the
/// driver's <see cref="IIommuDriver.Translate"/>: port bypass, IOTLB, walk of the table the bank's
/// base register points at). A fault is an event in the log carrying the fault registers, never an
/// exception; a hit on a stale IOTLB entry reaches the old physical page and is logged as a
/// stale-translation event naming the line that changed the mapping without a flush.
/// Each 4 KiB page an access touches is translated; the first failing page is the fault.
/// </summary>
public static class DeviceAccess
{
    public readonly record struct Access(bool Ok, ulong Pa, SimEvent? Fault, int Stale)
    {
        /// <summary>A stale hit came from the device's own ATC (PCIe ATS), not the IOMMU's TLB.</summary>
        public bool StaleAtc { get; init; }
    }

    public static Access Perform(IommuCore core, IommuDevice dev, ulong iova, ulong size, bool write, ScriptSite site = default)
    {
        if (size == 0) size = 1;
        ulong first = 0;
        int stale = 0;
        bool staleAtc = false;
        ulong lastPage = (iova + size - 1) & ~0xfffUL;
        for (ulong page = iova & ~0xfffUL; ; page += 0x1000)
        {
            ulong at = Math.Max(page, iova);
            var t = dev.Driver.Translate(dev, at, write, site);
            if (!t.Ok)
            {
                core.Machine.Log.Fault(site, dev.Name, at, write, t.Kind, t.ReportedDomain, t.Why, t.Registers);
                return new Access(false, 0, core.Machine.Log.Events[^1], stale) { StaleAtc = staleAtc };
            }
            if (t.StaleLine != 0)
            {
                stale++;
                staleAtc |= t.FromAtc;
                LogStale(core, site, dev, at, write, t);
            }
            if (at == iova) first = t.Pa;
            if (page >= lastPage) break;
        }
        return new Access(true, first, null, stale) { StaleAtc = staleAtc };
    }

    /// <summary>Counters of <see cref="Stream"/>.</summary>
    public readonly record struct StreamResult(long Accesses, long Hits, long Misses, long Faults, long Stale);

    /// <summary>
    /// dev:stream: <paramref name="count"/> accesses at iova + (k·stride mod size). A hit is an access the
    /// IOTLB (or a bypassing port) answered, a miss one that needed a walk (and then faulted or filled); every fault still goes through the driver's interrupt path, but
    /// only the first few faults and stale hits of a stream are logged one by one (then a summary WARN).
    /// </summary>
    public static StreamResult Stream(IommuCore core, IommuDevice dev, ulong iova, ulong size, ulong stride, long count, bool write, ScriptSite site = default)
    {
        const int LogLimit = 8;
        long faults = 0, stale = 0, misses = 0;
        var fast = dev.Driver.Bind(dev, write);
        ulong offset = 0;
        for (long k = 0; k < count; k++)
        {
            ulong at = iova + offset;
            offset += stride;
            if (offset >= size) offset %= size;
            if (fast.TryFast(at, out var fpa, out var fstale))
            {
                if (fstale != 0 && ++stale <= LogLimit)
                    core.Machine.Log.Stale(site, dev.Name, at, write, fpa, fstale, null,
                        $"the IOTLB still held {Hex.Of(at & ~0xfffUL)} → {Hex.Of(fpa & ~0xfffUL)}; the mapping changed at line {fstale} and no IOTLB flush followed");
                continue;
            }
            misses++;
            var t = dev.Driver.Translate(dev, at, write, site);
            if (!t.Ok)
            {
                if (++faults <= LogLimit) core.Machine.Log.Fault(site, dev.Name, at, write, t.Kind, t.ReportedDomain, t.Why, t.Registers);
            }
            else if (t.StaleLine != 0 && ++stale <= LogLimit)
                LogStale(core, site, dev, at, write, t);
        }
        if (faults > LogLimit || stale > LogLimit)
            core.Machine.Log.Warn(site, $"{dev.Name}: stream logged the first {LogLimit} faults and stale hits; {faults} faults and {stale} stale hits in all");
        return new StreamResult(count, count - misses, misses, faults, stale);
    }

    /// <summary>A stale hit: on the IOMMU's TLB, or on the device's own ATC (a hazard of its own).</summary>
    private static void LogStale(IommuCore core, ScriptSite site, IommuDevice dev, ulong at, bool write, in Translation t)
    {
        if (t.FromAtc)
            core.Machine.Log.StaleAtc(site, dev.Name, at, write, t.Pa, t.StaleLine, t.ReportedDomain,
                $"{dev.Name}'s ATC (PCIe ATS) still held {Hex.Of(at & ~0xfffUL)} → {Hex.Of(t.Pa & ~0xfffUL)}; the mapping changed at line {t.StaleLine} and no ATC_INV reached the device");
        else
            core.Machine.Log.Stale(site, dev.Name, at, write, t.Pa, t.StaleLine, t.ReportedDomain,
                $"the IOTLB still held {Hex.Of(at & ~0xfffUL)} → {Hex.Of(t.Pa & ~0xfffUL)}; the mapping changed at line {t.StaleLine} and no IOTLB flush followed");
    }
}
