using System.Text;

namespace ScenarioEngine.Config;

/// <summary>
/// The masters of a device tree: every node with `iommus` (its specifiers, `memory-region` and the
/// dma-ranges of its bus) and every PCI host bridge's `iommu-map` (one master per entry). Each
/// specifier is read with the #iommu-cells of the node its phandle names (of_parse_phandle_with_args)
/// and decoded by that IOMMU's family (<see cref="Drivers.IommuFamily.OfXlate"/>); the loop is linear in
/// the property and each problem is one folded warning (<see cref="ImportWarnings"/>).
/// </summary>
internal sealed partial class DtImport
{
    private readonly Dictionary<FdtNode, string> _dmaLines = new(ReferenceEqualityComparer.Instance);

    private void Masters()
    {
        foreach (var n in _tree.Nodes)
        {
            _tree.Visit(n);
            if (n.Cells("iommus") is { } spec)
            {
                var ids = Specifiers(n, spec);
                // a master none of whose specifiers was taken is not written (nor its iommu-map read)
                if (ids is null) continue;
                var line = new StringBuilder($"  - name: {_masterNames[n]}  # {_tree.Show(n)}\n    ids: [ ").Append(ids).Append(" ]");
                var regions = MemoryRegions(n);
                if (regions.Length > 0) line.Append("\n    memory-region: [ ").Append(regions).Append(" ]");
                line.Append(DmaRangesLine(n.Parent!));
                Line(_deviceLines, line.ToString());
            }
            if (n.Cells("iommu-map") is { } map) IommuMap(n, map);
        }
    }

    /// <summary>The node's `iommus` as the `ids` entries its IOMMUs' families write (joined), or null when none was taken.</summary>
    private StringBuilder? Specifiers(FdtNode n, uint[] spec)
    {
        var path = _tree.PathOf(n);
        StringBuilder? ids = null;
        _tree.Property = "iommus";
        int at = 0;
        // a list names one IOMMU over and over: its #iommu-cells is read once for the run of it
        FdtNode? last = null;
        int? lastCells = null;
        while (at < spec.Length)
        {
            _tree.Entry++;
            var target = _tree.Node(spec[at]);
            if (target is null) { Warnings.Add("iommus-phandle", $"{path}: iommus names phandle {spec[at]}, which no node has; the rest of its iommus is not read"); break; }
            if (!ReferenceEquals(target, last)) (last, lastCells) = (target, IommuCells(target));
            if (lastCells is not int cells) { Warnings.Add("iommus-cells", $"{path}: {_tree.PathOf(target)} has no usable #iommu-cells; the rest of its iommus is not read"); break; }
            if (at + 1 + cells > spec.Length) { Warnings.Add("iommus-short", $"{path}: iommus ends inside a specifier of {_tree.PathOf(target)} (#iommu-cells {cells})"); break; }
            var args = spec.AsSpan(at + 1, cells);
            at += 1 + cells;
            if (!_byNode.TryGetValue(target, out var iommu)) { Warnings.Add("iommus-not-imported", $"{path}: a specifier for {_tree.PathOf(target)}, which is not an imported IOMMU: left out"); continue; }
            if (iommu.Family.OfXlate(args, target, iommu.Name) is not { } id) { Warnings.Add("iommus-refused", $"{path}: a specifier of {cells} cells for {_tree.PathOf(target)} that the {iommu.Family.Name} driver does not take: left out"); continue; }
            iommu.Read.Saw(id, 1);
            var text = iommu.Family.WriteId(id);
            _budget.Write(text.Length + 2);
            if (ids is null) ids = new StringBuilder();
            else ids.Append(", ");
            ids.Append(text);
        }
        _tree.Property = null;
        _tree.Entry = 0;
        return ids;
    }

    /// <summary>The reserved-memory names of the node's `memory-region` (joined); each phandle that names no reserved-memory child is a warning.</summary>
    private StringBuilder MemoryRegions(FdtNode n)
    {
        var list = new StringBuilder();
        var cells = n.Cells("memory-region");
        if (cells is null) return list;
        _tree.Property = "memory-region";
        foreach (var ph in cells)
        {
            _tree.Entry++;
            if (_tree.Node(ph) is { } r && _resvNames.TryGetValue(r, out var name))
            {
                _budget.Write(name.Length + 2);
                if (list.Length > 0) list.Append(", ");
                list.Append(name);
            }
            else Warnings.Add("memory-region", $"{_tree.PathOf(n)}: memory-region phandle {ph} is not a reserved-memory child; left out");
        }
        _tree.Property = null;
        _tree.Entry = 0;
        return list;
    }

    /// <summary>
    /// A PCI host bridge's iommu-map = &lt;rid-base &amp;iommu iommu-base length&gt;…: one `bus: pci` master per
    /// entry, standing for its RID range. of_map_id (drivers/of/base.c, Linux 7.0): the RID is masked with
    /// iommu-map-mask (default all ones; a value that is not one cell reads as the default) before the
    /// entries are searched, and an entry whose id-base has bits outside the mask fails the look-up
    /// (-EFAULT) for every RID that reaches it.
    /// </summary>
    private void IommuMap(FdtNode n, uint[] map)
    {
        var path = _tree.PathOf(n);
        _tree.Property = "iommu-map";
        int at = 0, entryNo = 0;
        uint mask = n.U32("iommu-map-mask") ?? 0xffff_ffffu;
        while (at < map.Length)
        {
            _tree.Entry = entryNo + 1;
            if (at + 2 > map.Length) { Warnings.Add("map-short", $"{path}: iommu-map ends inside an entry"); break; }
            var target = _tree.Node(map[at + 1]);
            if (target is null) { Warnings.Add("map-phandle", $"{path}: iommu-map names phandle {map[at + 1]}, which no node has; the rest is not read"); break; }
            if (IommuCells(target) is not int cells) { Warnings.Add("map-cells", $"{path}: {_tree.PathOf(target)} has no usable #iommu-cells; the rest of its iommu-map is not read"); break; }
            if (at + 3 + cells > map.Length) { Warnings.Add("map-short-entry", $"{path}: iommu-map ends inside an entry for {_tree.PathOf(target)}"); break; }
            uint ridBase = map[at];
            var args = map.AsSpan(at + 2, cells);
            uint length = map[at + 2 + cells];
            at += 3 + cells;
            entryNo++;
            if ((ridBase & ~mask) != 0)
            {
                Warnings.Add("map-mask", $"{path}: iommu-map entry {entryNo}'s id-base 0x{ridBase:x} has bits outside iommu-map-mask 0x{mask:x}: of_map_id fails (-EFAULT) for every RID that reaches this entry, so it and the entries after it are left out");
                break;
            }
            if (!_byNode.TryGetValue(target, out var iommu)) { Warnings.Add("map-not-imported", $"{path}: iommu-map entry {entryNo} targets {_tree.PathOf(target)}, which is not an imported IOMMU: left out"); continue; }
            if (iommu.Family.OfXlate(args, target, iommu.Name) is not { } id) { Warnings.Add("map-refused", $"{path}: iommu-map entry {entryNo} has a specifier the {iommu.Family.Name} driver does not take: left out"); continue; }
            uint span = Math.Max(length, 1);
            iommu.Read.Saw(id, span);
            var name = _names.TakeName($"{n.BaseName}-rid{ridBase:x}");
            var masked = mask == 0xffff_ffffu ? "" : $", RIDs masked with iommu-map-mask 0x{mask:x} first: RIDs that differ only outside it share a stream";
            Line(_deviceLines, $"  - name: {name}  # {_tree.Show(n)} iommu-map: RIDs 0x{ridBase:x}..0x{ridBase + span - 1:x} (one master stands for the range{masked})\n    bus: pci\n    ids: [ {iommu.Family.WriteId(id)} ]"
                + DmaRangesLine(n)); // pci_dma_configure: the host bridge's own dma-ranges
        }
        _tree.Property = null;
        _tree.Entry = 0;
    }

    /// <summary>
    /// The device's dma-ranges line (<see cref="DtDmaRanges"/>), or nothing; worked out once per bus node
    /// (its warning, when they are there but not read, is given once however many masters sit there).
    /// </summary>
    private string DmaRangesLine(FdtNode bus)
    {
        if (_dmaLines.TryGetValue(bus, out var known)) return known;
        _budget.Spend(2 * FdtLimits.MaxDepth); // the walks up the tree (at most the tree's depth each)
        var (windows, warning) = DtDmaRanges.For(bus, _tree.PathOf);
        if (warning is not null) Warnings.Add("dma-ranges", warning);
        var line = warning is not null || windows.Count == 0 ? ""
            : "\n    dma-ranges: [ " + string.Join(", ", windows.Select(x => $"{{ bus: 0x{x.Bus:x}, cpu: 0x{x.Cpu:x}, size: 0x{x.Size:x} }}")) + " ]";
        _dmaLines[bus] = line;
        return line;
    }
}
