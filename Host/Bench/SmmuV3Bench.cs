using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// The Arm SMMUv3 family's own costs (issue: a third family): a strict unmap whose TLB maintenance is a
/// TLBI_NH_VA and a CMD_SYNC issued at iotlb_sync, and a lazy (DMA_FQ) stream: a page mapped, read by
/// the device (a walk: a new IOVA each time), unmapped with a queued gather, the ASID flushed once per
/// 256 unmaps as a full flush queue does. dma-iommu's own cost is left out (it is every family's). No kernel figure: arm-smmu-v3.c cannot run in userspace; the rows are held to
/// the targets of their closest kernel-compared rows (docs/performance.md).
/// </summary>
internal static class SmmuV3Bench
{
    private const long Ops = 1_000_000;
    private const string Soc = "soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }\ndevices:\n  - { name: dev, ids: [ { iommu: smmu, stream: 0x400 } ] }\n";

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
    [
        ("smmu-v3 map + unmap of a page, TLBI_NH_VA + CMD_SYNC at iotlb_sync", StrictUnmap),
        ("smmu-v3 lazy stream, the driver's part (no dma-iommu): map, device read, queued unmap, ASID flush per 256", LazyStream),
    ];

    private static BenchCommand.Figure StrictUnmap()
    {
        var core = BenchSoc.Boot(Soc);
        var dev = core.Devices[0];
        var d = core.DomainAlloc(dev, DomainType.Unmanaged).Value!;
        if (!core.AttachDevice(d, dev).Ok) throw new InvalidOperationException("attach failed");
        var smmu = core.Soc.Iommus[0];
        var ns = BenchCommand.Measure(3, Ops, () => dev.Driver.TakeCommands(smmu), () =>
        {
            for (long i = 0; i < Ops; i++)
            {
                ulong iova = 0x1000_0000 + (ulong)(i & 511) * 0x1000;
                core.Map(d, iova, 0x4000_0000 + (ulong)(i & 511) * 0x1000, 0x1000, Prot.Read | Prot.Write);
                if (core.Unmap(d, iova, 0x1000) != 0x1000) throw new InvalidOperationException("unmap failed");
            }
        });
        return new("smmu-v3 map + unmap of a page, TLBI_NH_VA + CMD_SYNC at iotlb_sync", ns, Ops, "≤ 60 ns (a map and an unmap row of lpae-s1-4k, and two commands)", 60);
    }

    private static BenchCommand.Figure LazyStream()
    {
        // What dma-iommu's lazy path asks of the driver, without dma-iommu's own bookkeeping: map a page,
        // the device reads it, unmap with a queued gather (no tlb_add_page), and flush_iotlb_all once
        // per 256 unmaps as a full flush queue does (IOVA_FQ_SIZE).
        var core = BenchSoc.Boot(Soc, new KernelKnobs(Strict: false, Passthrough: false));
        var dev = core.Devices[0];
        var d = dev.Group!.DefaultDomain!;
        var smmu = core.Soc.Iommus[0];
        var ns = BenchCommand.Measure(3, Ops, () => dev.Driver.TakeCommands(smmu), () =>
        {
            for (long i = 0; i < Ops; i++)
            {
                ulong iova = 0x1000_0000 + (ulong)(i & 1023) * 0x1000;
                core.Map(d, iova, 0x4000_0000 + (ulong)(i & 1023) * 0x1000, 0x1000, Prot.Read);
                if (!DeviceAccess.Perform(core, dev, iova, 4, false).Ok) throw new InvalidOperationException("read faulted");
                core.UnmapQueued(d, iova, 0x1000);
                if ((i & 255) == 255) core.FlushIotlbAll(d);
            }
        });
        return new("smmu-v3 lazy stream, the driver's part (no dma-iommu): map, device read, queued unmap, ASID flush per 256", ns, Ops, "≤ 150 ns (a map and an unmap of lpae-s1-4k, a walk, a 1/256 ASID flush)", 150);
    }
}
