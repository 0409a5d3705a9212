namespace ScenarioEngine.Config;

/// <summary>
/// The dma-ranges a master's DMA sees, read from a device tree the way of_dma_get_range does
/// (drivers/of/address.c, Linux 7.0), for the importer. From the bus node (a platform master's parent;
/// for the masters of a PCI host bridge's iommu-map, the host bridge itself, as pci_dma_configure
/// passes it) upwards: the first node with a non-empty dma-ranges holds the windows; an empty one means
/// "no translation here, look further up"; once past the first node, a node without dma-ranges ends the
/// search with none (-ENODEV). Each entry is (child bus address: the node's #address-cells — on a PCI
/// bus the last two of three cells; parent address: the parent's #address-cells; size: the node's
/// #size-cells). The parent address is the CPU address when every node above holds no or an empty
/// dma-ranges (of_translate_dma_address translates 1:1 there).
/// Not read — a warning says so and the device gets no dma-ranges: a further translation through an
/// ancestor's non-empty dma-ranges, a DMA parent named by interconnects ("dma-mem"), a list whose
/// length is not a whole number of entries, an entry of size 0, more than 64 entries.
/// </summary>
internal static class DtDmaRanges
{
    public sealed record Window(ulong Cpu, ulong Bus, ulong Size);

    public const int MaxEntries = 64;

    /// <summary>The windows (empty when the bus has none), or a warning why they were not read.</summary>
    public static (IReadOnlyList<Window> Windows, string? Warning) For(FdtNode bus, Func<FdtNode, string> pathOf)
    {
        FdtNode? node = bus;
        byte[]? prop = null;
        bool found = false;
        int steps = 0;
        while (node is not null)
        {
            if (++steps > 256) return ([], $"{pathOf(bus)}: the walk up for dma-ranges is deeper than 256 nodes: not read");
            if (DmaMemParent(node)) return ([], $"{pathOf(node)}: its DMA parent is an interconnect (interconnect-names \"dma-mem\"), which the importer does not follow: dma-ranges not read");
            prop = node.Prop("dma-ranges");
            if (prop is { Length: > 0 }) break;
            if (found && prop is null) return ([], null);
            found = true;
            node = node.Parent;
        }
        if (node is null || prop is null) return ([], null);

        // counted before they are read: a list too long is refused without decoding it
        int? count = node.CellCount("dma-ranges");
        int naddr = AddrCells(node), nsize = SizeCells(node), pna = node.Parent is null ? AddrCells(node) : AddrCells(node.Parent);
        bool pci = DtStrings.OnlyOneOf(node.Prop("device_type"), "pci", "pciex");
        int entry = naddr + pna + nsize;
        if (count is null || naddr is < 1 or > 3 || pna is < 1 or > 2 || nsize is < 1 or > 2 || count % entry != 0)
            return ([], $"{pathOf(node)}: dma-ranges of {prop.Length} bytes is not a whole number of ({naddr} + {pna} + {nsize})-cell entries (of_dma_get_range refuses it): not read");
        if (count / entry > MaxEntries) return ([], $"{pathOf(node)}: more than {MaxEntries} dma-ranges entries: not read");
        for (var up = node.Parent; up?.Parent is not null; up = up.Parent)
            if (up.Prop("dma-ranges") is { Length: > 0 })
                return ([], $"{pathOf(node)}: its dma-ranges' parent addresses translate through {pathOf(up)}'s dma-ranges, which the importer does not follow: not read");
        var cells = node.Cells("dma-ranges")!;

        var windows = new List<Window>();
        for (int at = 0; at < cells.Length; at += entry)
        {
            // a PCI address is phys.hi (space and flags) then 64 bits: the bus address is the last two cells
            ulong busAddr = pci && naddr == 3 ? Read(cells, at + 1, 2) : Read(cells, at, naddr);
            ulong cpu = Read(cells, at + naddr, pna);
            ulong size = Read(cells, at + naddr + pna, nsize);
            if (size == 0) return ([], $"{pathOf(node)}: a dma-ranges entry of size 0: not read");
            if (busAddr + (size - 1) < busAddr || cpu + (size - 1) < cpu) return ([], $"{pathOf(node)}: a dma-ranges entry wraps past 2^64: not read");
            windows.Add(new Window(cpu, busAddr, size));
        }
        return (windows, null);
    }

    private static bool DmaMemParent(FdtNode n) => DtStrings.Contains(n.Prop("interconnect-names"), "dma-mem");

    /// <summary>of_bus_n_addr_cells: the node's own #address-cells, else its ancestors', else 1 (OF_ROOT_NODE_ADDR_CELLS_DEFAULT).</summary>
    private static int AddrCells(FdtNode n) => Inherited(n, "#address-cells");

    /// <summary>of_bus_n_size_cells: likewise #size-cells, default 1.</summary>
    private static int SizeCells(FdtNode n) => Inherited(n, "#size-cells");

    private static int Inherited(FdtNode n, string name)
    {
        for (FdtNode? p = n; p is not null; p = p.Parent)
            if (p.U32(name) is { } v) return v > 8 ? 9 : (int)v;
        return 1;
    }

    private static ulong Read(uint[] cells, int at, int count)
    {
        ulong v = 0;
        for (int i = 0; i < count; i++) v = (v << 32) | cells[at + i];
        return v;
    }
}
