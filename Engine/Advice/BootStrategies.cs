using ScenarioEngine.Model;

namespace ScenarioEngine.Advice;

/// <summary>
/// The strategies that set the window up before any driver runs: a device-tree reserved-memory node
/// with iommu-addresses, or an identity default domain (iommu.passthrough=1) with the firmware at
/// PA = IOVA. The device stays on the default domain the boot gave it; the body only finds the pages.
/// </summary>
internal static class BootStrategies
{
    /// <summary>The firmware's pages are the reserved-memory node the change adds (params.pages_node, given only when the node has a reg).</summary>
    private const string PagesFromNode = """
        if params.pages_node ~= nil then
          local node = mem.carveout(params.pages_node)
          if node ~= nil then pages = node.base end
        end
        """;


    /// <summary>Whether [iova, iova + size) is DRAM of the SoC (so the firmware's pages can sit at PA = IOVA).</summary>
    private static bool InDram(Soc soc, FirmwareWindow w) => soc.Memory.Any(m => m.Contains(w.Iova, w.Size));

    /// <summary>A reserved-memory name not yet taken.</summary>
    private static string FreeName(Soc soc, string wanted)
    {
        var name = wanted;
        for (int i = 2; soc.ReservedMemory.Any(n => n.Name == name); i++) name = $"{wanted}-{i}";
        return name;
    }

    /// <summary>A DRAM range of the window's size, 2 MiB-aligned, as high as it goes and clear of reserved memory; null when none.</summary>
    private static ulong? SparePages(Soc soc, ulong size)
    {
        const ulong align = 2 << 20;
        foreach (var m in soc.Memory.OrderByDescending(m => m.End))
        {
            if (m.Size < size) continue;
            for (ulong pa = (m.End - size) & ~(align - 1); pa >= m.Base; pa -= align)
            {
                if (!soc.ReservedMemory.Any(n => n.Base is { } b && pa < b + n.Size && b < pa + size)) return pa;
                if (pa < m.Base + align) break;
            }
        }
        return null;
    }

    private static IEnumerable<string> NodeYaml(ReservedMemory n) =>
        new[] { $"  - name: {n.Name}" }
        .Concat(n.Base is { } b ? [$"    base: {Hex.Of(b)}"] : [])
        .Append($"    size: {Hex.Of(n.Size)}")
        .Concat(n.IommuAddresses.Count > 0 ? [$"    iommu-addresses: [{string.Join(", ", n.IommuAddresses.Select(a => $"{{ device: {a.Device}, iova: {Hex.Of(a.Iova)}, size: {Hex.Of(a.Size)} }}"))}]"] : []);

    public sealed class IommuAddresses : Strategy
    {
        public override string Id => "iommu-addresses";
        public override string Title => "a reserved-memory node with iommu-addresses for the device (and its memory-region link); the device stays on its DMA domain";
        public override string Source => "drivers/iommu/of_iommu.c of_iommu_get_resv_regions; drivers/iommu/iommu.c iommu_create_device_direct_mappings (Linux 7.0)";

        public override StrategyPlan Plan(StrategyContext ctx)
        {
            var soc = ctx.Soc;
            var w = ctx.Window;
            var dev = ctx.Device;
            ulong? reg = InDram(soc, w) ? w.Iova : SparePages(soc, w.Size);
            var existing = soc.ReservedMemory.FirstOrDefault(n => n.IommuAddresses.Any(a => a.Device == dev.Name && a.Iova == w.Iova && a.Size == w.Size));
            var diff = new List<string> { " reserved-memory:" };
            List<ReservedMemory> nodes;
            ReservedMemory node;
            if (existing is not null)
            {
                node = existing with { Base = reg, Size = w.Size };
                nodes = soc.ReservedMemory.Select(n => ReferenceEquals(n, existing) ? node : n).ToList();
                if (existing.Base != reg || existing.Size != w.Size)
                {
                    diff.AddRange(NodeYaml(existing).Select(l => "-" + l));
                    diff.AddRange(NodeYaml(node).Select(l => "+" + l));
                }
            }
            else
            {
                node = new ReservedMemory(FreeName(soc, $"{dev.Name}-{w.Name}"), reg, w.Size, [new IommuAddress(dev.Name, w.Iova, w.Size)], dev.Span);
                nodes = [.. soc.ReservedMemory, node];
                diff.AddRange(NodeYaml(node).Select(l => "+" + l));
            }
            var linked = dev.MemoryRegion.Contains(node.Name);
            var changedDev = linked ? dev : dev with { MemoryRegion = [.. dev.MemoryRegion, node.Name], MemoryRegionSpans = [.. dev.MemoryRegionSpans, dev.Span] };
            if (!linked && dev.Pci is { } f)
            {
                // a PCI function keeps its memory-region in its entry under pci
                diff.Add(" pci:");
                diff.Add($"   - name: {f.HostBridge}");
                diff.Add("     functions:");
                diff.Add($"       - bdf: \"{f.Bdf}\"");
                if (dev.MemoryRegion.Count > 0) diff.Add($"-        memory-region: [{string.Join(", ", dev.MemoryRegion)}]");
                diff.Add($"+        memory-region: [{string.Join(", ", changedDev.MemoryRegion)}]");
            }
            else if (!linked)
            {
                diff.Add(" devices:");
                diff.Add($"   - name: {dev.Name}");
                if (dev.MemoryRegion.Count > 0) diff.Add($"-    memory-region: [{string.Join(", ", dev.MemoryRegion)}]");
                diff.Add($"+    memory-region: [{string.Join(", ", changedDev.MemoryRegion)}]");
            }
            var changed = soc with { ReservedMemory = nodes, Devices = soc.Devices.Select(d => ReferenceEquals(d, dev) ? changedDev : d).ToList() };
            string summary = reg == w.Iova
                ? $"a reserved-memory node '{node.Name}' whose reg equals its iommu-addresses for {dev.Name}, [{Hex.Of(w.Iova)}, +{Hex.Of(w.Size)}) (an identity mapping), linked by {dev.Name}'s memory-region"
                : reg is { } pa
                    ? $"a reserved-memory node '{node.Name}' with the firmware's pages at {Hex.Of(pa)} (the window is not DRAM, so reg cannot equal it) and iommu-addresses [{Hex.Of(w.Iova)}, +{Hex.Of(w.Size)}) for {dev.Name}, linked by its memory-region"
                    : $"an IOVA-only reserved-memory node '{node.Name}' (no DRAM of the window's size is free) with iommu-addresses for {dev.Name}, linked by its memory-region";
            var change = diff.Count > 1 ? new SocChange(ChangeKind.DeviceTree, summary, diff) : SocChange.Runtime($"reserved-memory '{node.Name}' already gives it ({summary})");
            return new StrategyPlan(changed, ctx.Kernel, PagesFromNode, change, reg is null ? null : node.Name);
        }

        public override string? Rule(Observations o) => o.Group is null && o.Domain is "none" or null ? NoIommu("its reserved regions are never set up") : o.Resv switch
        {
            "direct" when o.Reached => "of_iommu_get_resv_regions gives an IOMMU_RESV_DIRECT region (reg equals iommu-addresses); iommu_create_device_direct_mappings maps it one-to-one into the default domain",
            "direct" => "of_iommu_get_resv_regions gives an IOMMU_RESV_DIRECT region (reg equals iommu-addresses), yet the default domain does not map it when the boot is over (iommu_create_device_direct_mappings, iommu_setup_default_domain)",
            "reserved" => "of_iommu_get_resv_regions gives only an IOMMU_RESV_RESERVED region (no reg, or reg differs from iommu-addresses): the window is kept out of the IOVA allocator, never mapped",
            null => "no reserved region of the device covers the window: its IOMMU driver's get_resv_regions does not report the device tree's iommu-addresses (iommu_dma_get_resv_regions is not called)",
            var t => $"the window is in a reserved region of type {t}",
        };
    }

    /// <summary>The rule when the device's IOMMU refused it at probe: no group, no default domain.</summary>
    private static string NoIommu(string consequence) =>
        $"the device has no IOMMU group: its IOMMU refused it at probe, so {consequence}; its DMA goes wherever the IOMMU sends its stream";

    public sealed class Identity : Strategy
    {
        public override string Id => "identity";
        public override string Title => "the device on an identity domain (iommu.passthrough=1), the firmware at PA = IOVA";
        public override string Source => "drivers/iommu/iommu.c iommu_setup_default_domain, iommu_group_alloc_default_domain (Linux 7.0)";

        public override StrategyPlan Plan(StrategyContext ctx)
        {
            var soc = ctx.Soc;
            var w = ctx.Window;
            var kernel = ctx.Kernel with { Passthrough = true };
            if (!InDram(soc, w))
                return new StrategyPlan(soc, kernel, "", new SocChange(ChangeKind.KernelCommandLine,
                    $"iommu.passthrough=1 on the kernel command line; the window [{Hex.Of(w.Iova)}, +{Hex.Of(w.Size)}) is not DRAM, so no firmware page can sit at PA = IOVA", []));
            var existing = soc.ReservedMemory.FirstOrDefault(n => n.Base == w.Iova && n.Size >= w.Size);
            if (existing is not null)
                return new StrategyPlan(soc, kernel, PagesFromNode, new SocChange(ChangeKind.KernelCommandLine,
                    $"iommu.passthrough=1 on the kernel command line; reserved-memory '{existing.Name}' already holds the firmware at PA = IOVA", []), existing.Name);
            var node = new ReservedMemory(FreeName(soc, $"{ctx.Device.Name}-{w.Name}"), w.Iova, w.Size, [], ctx.Device.Span);
            var diff = new List<string> { " kernel:", "+  iommu.passthrough: true", " reserved-memory:" };
            diff.AddRange(NodeYaml(node).Select(l => "+" + l));
            return new StrategyPlan(soc with { ReservedMemory = [.. soc.ReservedMemory, node] }, kernel, PagesFromNode, new SocChange(ChangeKind.KernelCommandLine,
                $"iommu.passthrough=1 on the kernel command line, and a reserved-memory node '{node.Name}' holding the firmware at PA = IOVA [{Hex.Of(w.Iova)}, +{Hex.Of(w.Size)})", diff), node.Name);
        }

        public override string? Rule(Observations o) => o.Group is null && o.Domain is "none" or null ? NoIommu("iommu.passthrough does not reach it") : o.Domain switch
        {
            "identity" when o.NoPages => "iommu.passthrough=1 gives the group an identity domain (iommu_setup_default_domain), but the window is not DRAM: no firmware page can sit at PA = IOVA",
            "identity" => "iommu.passthrough=1: iommu_setup_default_domain gives the group an identity domain; the device's addresses are physical addresses",
            { } t => $"the device's domain is {t}, not identity: its IOMMU driver has no identity domain, so iommu_group_alloc_default_domain fell back to a DMA domain",
            null => null,
        };
    }
}
