using System.Globalization;
using System.Text;
using ScenarioEngine.Drivers;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// Writes a SoC file from a device tree: memory nodes; reserved-memory children (reg, iommu-addresses
/// naming their devices; no-map noted); IOMMU nodes by compatible through the catalogue; MediaTek
/// larbs (mediatek,larbs, mediatek,larb-id, noted); every node with `iommus` as a master, its
/// specifiers decoded per family (MediaTek: one cell, larb = id &gt;&gt; 5, port = id &amp; 0x1f, as
/// MTK_M4U_TO_LARB/MTK_M4U_TO_PORT; Arm SMMU: stream and mask, or the SMMU's stream-match-mask, as
/// arm_smmu_of_xlate; Arm SMMUv3: one 32-bit stream ID, its sid-bits wide enough for the largest one the
/// tree gives it and at least 16, and dma-coherent as `coherent`; ats-supported is not read: the
/// endpoints' ATS capability is not in the tree); memory-region links; PCI host bridges' iommu-map entries as `bus: pci` masters,
/// one per mapped RID range. Names are node names without unit address, made unique with it when two
/// collide. What the SoC file cannot express becomes a comment and a warning, never a silent drop.
/// The dma-ranges of each master's bus (<see cref="DtDmaRanges"/>, as of_dma_get_range finds them).
/// Not read: `ranges` translation of reg (addresses are taken as the bus gives them), dma-ranges that
/// need a further translation (a warning says so), interrupts beyond counting an SMMU's context
/// interrupts.
/// </summary>
public static class DtImporter
{
    public sealed record Result(string Yaml, IReadOnlyList<string> Warnings, string SocName);

    private sealed class Iommu(FdtNode node, string name, IommuFamily family, CompatibleEntry entry)
    {
        public FdtNode Node { get; } = node;
        public string Name { get; } = name;
        public IommuFamily Family { get; } = family;
        public CompatibleEntry Entry { get; } = entry;
        /// <summary>The largest stream ID the tree's specifiers and iommu-maps give this IOMMU (arm-smmu-v3's sid-bits).</summary>
        public ulong MaxStream { get; set; }
        public int Line { get; set; }
    }

    /// <summary>Stands for an SMMUv3's sid-bits in its line until every stream ID the tree gives it is known.</summary>
    private const string SidBitsMark = "\u0001sid-bits\u0001";

    public static Result Import(FdtNode root, string source)
    {
        var warnings = new List<string>();
        var sb = new StringBuilder();
        // by path: the same tree gives the same file whether read from a blob (file order) or a folder (name order)
        var all = root.Descendants().OrderBy(n => n.Path, StringComparer.Ordinal).ToList();
        var phandles = new Dictionary<uint, FdtNode>();
        foreach (var n in all)
            if ((n.U32("phandle") ?? n.U32("linux,phandle")) is { } ph && ph != 0 && ph != 0xffffffff) phandles.TryAdd(ph, n);

        void Warn(string text) => warnings.Add(Clean(text));

        var compat = root.Strings("compatible");
        var socName = Ident(compat.Count > 0 ? compat[0][(compat[0].IndexOf(',', StringComparison.Ordinal) + 1)..] : "imported-board");
        var model = root.Strings("model") is [var m, ..] ? m : null;
        sb.Append("soc: ").Append(socName).Append('\n');
        sb.Append("description: ").Append(Quote(model ?? $"imported from {source}")).Append('\n');

        // ---- memory
        var memory = all.Where(n => n.Parent == root && (n.Strings("device_type") is ["memory", ..] || n.BaseName == "memory")).ToList();
        sb.Append("memory:\n");
        int memCount = 0;
        foreach (var n in memory)
            foreach (var (b, s) in Reg(n, warnings))
                if (s > 0) sb.Append($"  - {{ name: {(memCount++ == 0 ? "dram" : $"dram{memCount - 1}")}, base: {Hex(b)}, size: {Hex(s)} }}  # {Clean(n.Path)}\n");
        if (memCount == 0)
        {
            Warn("no memory node with a reg: 2 GiB at 0x4000_0000 assumed; correct it");
            sb.Append("  - { name: dram, base: 0x4000_0000, size: 2GiB }\n");
        }

        // master names first: reserved-memory's iommu-addresses name the devices
        var names = new NameTable();
        var masterNames = new Dictionary<FdtNode, string>();
        foreach (var n in all)
            if (n.Has("iommus")) masterNames[n] = names.Take(n);

        // ---- reserved-memory
        var resvRoot = root.Children.FirstOrDefault(c => c.BaseName == "reserved-memory");
        var resvNames = new Dictionary<FdtNode, string>();
        var resvLines = new List<string>();
        if (resvRoot is not null)
        {
            var resvNameTable = new NameTable();
            foreach (var c in resvRoot.Children) resvNames[c] = resvNameTable.Take(c);
            foreach (var c in resvRoot.Children)
            {
                var reg = Reg(c, warnings);
                var line = new StringBuilder($"  - {{ name: {resvNames[c]}");
                if (reg.Count > 0) line.Append($", base: {Hex(reg[0].Base)}, size: {Hex(reg[0].Size)}");
                var addrs = IommuAddresses(c, phandles, masterNames, warnings);
                if (reg.Count == 0 && addrs.Count == 0)
                {
                    resvLines.Add($"  # {Clean(c.Path)}: no reg and no iommu-addresses (a dynamic pool sized by its 'size' property): left out");
                    Warn($"{c.Path}: a reserved-memory node without reg or iommu-addresses is not expressed");
                    continue;
                }
                if (reg.Count == 0)
                {
                    // an IOVA-only reservation: size is the first window's
                    line.Append($", size: {Hex(addrs[0].Size)}");
                }
                if (addrs.Count > 0)
                    line.Append(", iommu-addresses: [").Append(string.Join(", ", addrs.Select(a => $"{{ device: {a.Device}, iova: {Hex(a.Iova)}, size: {Hex(a.Size)} }}"))).Append(']');
                line.Append(" }");
                line.Append($"  # {Clean(c.Path)}{(c.Has("no-map") ? ", no-map" : "")}");
                resvLines.Add(line.ToString());
            }
        }

        // ---- IOMMUs
        var iommus = new List<Iommu>();
        var iommuNames = new NameTable();
        var iommuLines = new List<string>();
        foreach (var n in all)
        {
            var cs = n.Strings("compatible");
            if (cs.Count == 0) continue;
            var hit = cs.Select(Families.FindCompatible).FirstOrDefault(x => x is not null);
            if (hit is null)
            {
                if (n.Has("#iommu-cells"))
                    Warn($"{n.Path}: an IOMMU (#iommu-cells) with compatible {string.Join(", ", cs)}, which no modelled driver matches; its masters are left out");
                continue;
            }
            var (family, entry) = hit.Value;
            var iommu = new Iommu(n, iommuNames.Take(n), family, entry);
            iommus.Add(iommu);
            var line = new StringBuilder($"  - {{ name: {iommu.Name}, compatible: \"{entry.Compatible}\"");
            iommu.Line = iommuLines.Count;
            foreach (var key in entry.Required)
            {
                if (key == "sid-bits") { line.Append($", sid-bits: {SidBitsMark}"); continue; } // after the masters
                var (value, why) = RequiredValue(key, n, phandles);
                line.Append($", {key}: {value}");
                Warn($"{n.Path}: '{key}' {why}");
            }
            // arm_smmu_device_dt_probe: of_dma_is_coherent gives ARM_SMMU_FEAT_COHERENCY
            if (family.Name == "arm-smmu-v3" && n.Has("dma-coherent")) line.Append(", coherent: true");
            line.Append($" }}  # {Clean(n.Path)}");
            iommuLines.Add(line.ToString());
            if (n.Cells("mediatek,larbs") is { } larbs)
                for (int i = 0; i < larbs.Length; i++)
                {
                    var larb = phandles.GetValueOrDefault(larbs[i]);
                    var id = larb?.U32("mediatek,larb-id") ?? (uint)i;
                    iommuLines.Add($"    # larb{id}: {(larb is null ? $"phandle {larbs[i]} resolves to no node" : Clean(larb.Path))}{(larb?.Has("mediatek,larb-id") == true ? " (mediatek,larb-id)" : " (index in mediatek,larbs)")}");
                    if (larb is null) Warn($"{n.Path}: mediatek,larbs entry {i} is phandle {larbs[i]}, which no node has");
                }
        }
        if (iommus.Count == 0) Warn("no IOMMU node matched the catalogue: the SoC file has no IOMMU");
        var byNode = iommus.ToDictionary(i => i.Node);

        // ---- masters
        var deviceLines = new List<string>();
        var dmaLines = new Dictionary<FdtNode, string>(ReferenceEqualityComparer.Instance);
        foreach (var n in all)
        {
            if (n.Cells("iommus") is { } spec)
            {
                var ids = new List<string>();
                int at = 0;
                while (at < spec.Length)
                {
                    var target = phandles.GetValueOrDefault(spec[at]);
                    if (target is null) { Warn($"{n.Path}: iommus names phandle {spec[at]}, which no node has; the rest of its iommus is not read"); break; }
                    if (IommuCells(target) is not int cells) { Warn($"{n.Path}: {target.Path} has no usable #iommu-cells; the rest of its iommus is not read"); break; }
                    if (at + 1 + cells > spec.Length) { Warn($"{n.Path}: iommus ends inside a specifier of {target.Path} (#iommu-cells {cells})"); break; }
                    var args = spec[(at + 1)..(at + 1 + cells)];
                    at += 1 + cells;
                    if (!byNode.TryGetValue(target, out var iommu)) { Warn($"{n.Path}: a specifier for {target.Path}, which is not an imported IOMMU: left out"); continue; }
                    if (Id(iommu, args, target) is { } id) { ids.Add(id); iommu.MaxStream = Math.Max(iommu.MaxStream, args[0]); }
                    else Warn($"{n.Path}: a specifier of {cells} cells for {target.Path} that the {iommu.Family.Name} driver does not take: left out");
                }
                if (ids.Count == 0) continue;
                var name = masterNames[n];
                var line = new StringBuilder($"  - name: {name}  # {Clean(n.Path)}\n    ids: [ {string.Join(", ", ids)} ]");
                var regions = MemoryRegions(n, phandles, resvNames, warnings);
                if (regions.Count > 0) line.Append($"\n    memory-region: [ {string.Join(", ", regions)} ]");
                line.Append(DmaRangesLine(n.Parent!, warnings, dmaLines));
                deviceLines.Add(line.ToString());
            }
            if (n.Cells("iommu-map") is { } map)
            {
                int at = 0, entryNo = 0;
                // of_map_id (drivers/of/base.c): the RID is masked with iommu-map-mask (default all ones;
                // a value that is not one cell reads as the default) before the entries are searched
                uint mask = n.U32("iommu-map-mask") ?? 0xffff_ffffu;
                while (at < map.Length)
                {
                    if (at + 2 > map.Length) { Warn($"{n.Path}: iommu-map ends inside an entry"); break; }
                    var target = phandles.GetValueOrDefault(map[at + 1]);
                    if (target is null) { Warn($"{n.Path}: iommu-map names phandle {map[at + 1]}, which no node has; the rest is not read"); break; }
                    if (IommuCells(target) is not int cells) { Warn($"{n.Path}: {target.Path} has no usable #iommu-cells; the rest of its iommu-map is not read"); break; }
                    if (at + 3 + cells > map.Length) { Warn($"{n.Path}: iommu-map ends inside an entry for {target.Path}"); break; }
                    uint ridBase = map[at];
                    var args = map[(at + 2)..(at + 2 + cells)];
                    uint length = map[at + 2 + cells];
                    at += 3 + cells;
                    entryNo++;
                    if ((ridBase & ~mask) != 0)
                    {
                        Warn($"{n.Path}: iommu-map entry {entryNo}'s id-base 0x{ridBase:x} has bits outside iommu-map-mask 0x{mask:x}: of_map_id fails (-EFAULT) for every RID that reaches this entry, so it and the entries after it are left out");
                        break;
                    }
                    if (!byNode.TryGetValue(target, out var iommu)) { Warn($"{n.Path}: iommu-map entry {entryNo} targets {target.Path}, which is not an imported IOMMU: left out"); continue; }
                    if (Id(iommu, args, target) is not { } id) { Warn($"{n.Path}: iommu-map entry {entryNo} has a specifier the {iommu.Family.Name} driver does not take: left out"); continue; }
                    iommu.MaxStream = Math.Max(iommu.MaxStream, (ulong)args[0] + Math.Max(length, 1) - 1);
                    var name = names.TakeName($"{n.BaseName}-rid{ridBase:x}");
                    var masked = mask == 0xffff_ffffu ? "" : $", RIDs masked with iommu-map-mask 0x{mask:x} first: RIDs that differ only outside it share a stream";
                    deviceLines.Add($"  - name: {name}  # {Clean(n.Path)} iommu-map: RIDs 0x{ridBase:x}..0x{ridBase + Math.Max(length, 1) - 1:x} (one master stands for the range{masked})\n    bus: pci\n    ids: [ {id} ]"
                        + DmaRangesLine(n, warnings, dmaLines)); // pci_dma_configure: the host bridge's own dma-ranges
                }
            }
        }

        foreach (var iommu in iommus.Where(i => iommuLines[i.Line].Contains(SidBitsMark, StringComparison.Ordinal)))
        {
            // SMMU_IDR1.SIDSIZE is the hardware's: at least 16, and enough for every stream ID the tree gives
            int bits = Math.Max(16, 64 - System.Numerics.BitOperations.LeadingZeroCount(iommu.MaxStream));
            if (bits > 32) bits = 32;
            iommuLines[iommu.Line] = iommuLines[iommu.Line].Replace(SidBitsMark, bits.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            Warn($"{iommu.Node.Path}: 'sid-bits' is SMMU_IDR1.SIDSIZE on the hardware and the tree does not tell it: {bits} assumed (16, or enough for the largest stream ID the tree gives it, 0x{iommu.MaxStream:x}); check the ID register");
        }

        if (resvLines.Count > 0)
        {
            sb.Append("reserved-memory:\n");
            foreach (var l in resvLines) sb.Append(l).Append('\n');
        }
        sb.Append("iommus:\n");
        foreach (var l in iommuLines) sb.Append(l).Append('\n');
        if (deviceLines.Count > 0)
        {
            sb.Append("devices:\n");
            foreach (var l in deviceLines) sb.Append(l).Append('\n');
        }
        var head = new StringBuilder();
        head.Append("# Imported by `scenario import` from ").Append(Clean(source)).Append(".\n");
        head.Append("# Root compatible: ").Append(Clean(string.Join(", ", compat))).Append('\n');
        head.Append("# What the tree says that this file does not (check each):\n");
        if (warnings.Count == 0) head.Append("#   nothing\n");
        foreach (var w in warnings) head.Append("# WARNING: ").Append(w).Append('\n');
        return new Result(head.ToString() + sb, warnings, socName);
    }

    /// <summary>#iommu-cells when it is a size a specifier can have (0 to 4 cells), else null.</summary>
    private static int? IommuCells(FdtNode n) => n.U32("#iommu-cells") is uint c && c <= 4 ? (int)c : null;

    /// <summary>A specifier as an ids entry, or null when the family does not take it.</summary>
    private static string? Id(Iommu iommu, uint[] args, FdtNode target) => iommu.Family.Name switch
    {
        // MTK_M4U_TO_LARB(id) = (id >> 5) & 0x1f, MTK_M4U_TO_PORT(id) = id & 0x1f (dt-bindings/memory/mtk-memory-port.h)
        "mediatek" when args.Length == 1 => $"{{ iommu: {iommu.Name}, larb: {(args[0] >> 5) & 0x1f}, port: {args[0] & 0x1f} }}",
        // arm_smmu_of_xlate: the stream ID, and the mask from the second cell or the SMMU's stream-match-mask
        "arm-smmu" when args.Length is 1 or 2 => (args[0] & 0xffff, args.Length == 2 ? args[1] & 0xffff : (target.U32("stream-match-mask") ?? 0) & 0xffff) is var (sid, mask)
            ? $"{{ iommu: {iommu.Name}, stream: 0x{sid:x}{(mask != 0 ? $", mask: 0x{mask:x}" : "")} }}" : null,
        // arm-smmu-v3's arm_smmu_of_xlate: iommu_fwspec_add_ids(dev, args->args, 1), the 32-bit stream ID
        "arm-smmu-v3" when args.Length == 1 => $"{{ iommu: {iommu.Name}, stream: 0x{args[0]:x} }}",
        _ => null,
    };

    /// <summary>A key the compatible cannot give, from what the tree says, and why that value.</summary>
    private static (string Value, string Why) RequiredValue(string key, FdtNode n, Dictionary<uint, FdtNode> phandles)
    {
        switch (key)
        {
            case "banks":
                // arm_smmu_device_probe: num_context_irqs = interrupts - #global-interrupts, and the driver
                // expects one context interrupt per context bank (SMMU_IDR1.NUMCB)
                int? irqs = InterruptCount(n, phandles);
                uint global = n.U32("#global-interrupts") ?? 1;
                if (irqs is int count && count > global && count - global <= 128)
                    return ((count - (int)global).ToString(CultureInfo.InvariantCulture), $"is SMMU_IDR1.NUMCB on the hardware: {count - global} context interrupts ({count} interrupts, #global-interrupts {global}) taken as the context-bank count; check the ID register");
                return ("8", "is SMMU_IDR1.NUMCB on the hardware and the tree does not tell it: 8 assumed; check the ID register");
            case "smrs":
                return ("128", "is SMMU_IDR0.NUMSMRG on the hardware and the tree does not tell it: 128 (ARM_SMMU_MAX_SMRS) assumed; check the ID register");
            default:
                return ("0", "is not in the device tree: 0 written; correct it");
        }
    }

    private static int? InterruptCount(FdtNode n, Dictionary<uint, FdtNode> phandles)
    {
        var ints = n.Cells("interrupts");
        if (ints is null) return null;
        FdtNode? parent = null;
        for (var p = n; p is not null && parent is null; p = p.Parent)
            if (p.U32("interrupt-parent") is { } ph) parent = phandles.GetValueOrDefault(ph);
        var cells = parent?.U32("#interrupt-cells");
        if (cells is not (>= 1 and <= 8)) return null;
        return ints.Length / (int)cells.Value;
    }

    /// <summary>reg as (base, size) pairs, with the parent's #address-cells and #size-cells.</summary>
    private static List<(ulong Base, ulong Size)> Reg(FdtNode n, List<string> warnings)
    {
        var list = new List<(ulong, ulong)>();
        var reg = n.Cells("reg");
        if (reg is null) return list;
        int ac = (int)(n.Parent?.U32("#address-cells") ?? 2), sc = (int)(n.Parent?.U32("#size-cells") ?? 1);
        if (ac is < 1 or > 2 || sc is < 0 or > 2) { warnings.Add(Clean($"{n.Path}: reg with #address-cells {ac}, #size-cells {sc} is not read")); return list; }
        for (int i = 0; i + ac + sc <= reg.Length && list.Count < 64; i += ac + sc)
            list.Add((Join(reg.AsSpan(i, ac)), Join(reg.AsSpan(i + ac, sc))));
        return list;
    }

    private static ulong Join(ReadOnlySpan<uint> cells)
    {
        ulong v = 0;
        foreach (var c in cells) v = (v << 32) | c;
        return v;
    }

    private sealed record Window(string Device, ulong Iova, ulong Size);

    /// <summary>iommu-addresses = &lt;&amp;dev iova size&gt;…, with the cells of dev's parent bus (of_iommu_get_resv_regions, of_translate_dma_region).</summary>
    private static List<Window> IommuAddresses(FdtNode n, Dictionary<uint, FdtNode> phandles, Dictionary<FdtNode, string> masters, List<string> warnings)
    {
        var list = new List<Window>();
        var cells = n.Cells("iommu-addresses");
        if (cells is null) return list;
        int at = 0;
        while (at < cells.Length)
        {
            var dev = phandles.GetValueOrDefault(cells[at]);
            if (dev is null) { warnings.Add(Clean($"{n.Path}: iommu-addresses names phandle {cells[at]}, which no node has; the rest is not read")); break; }
            int ac = (int)(dev.Parent?.U32("#address-cells") ?? 2), sc = (int)(dev.Parent?.U32("#size-cells") ?? 1);
            if (ac is < 1 or > 2 || sc is < 1 or > 2 || at + 1 + ac + sc > cells.Length) { warnings.Add(Clean($"{n.Path}: an iommu-addresses entry for {dev.Path} cannot be read")); break; }
            var window = new Window(masters.GetValueOrDefault(dev) ?? "", Join(cells.AsSpan(at + 1, ac)), Join(cells.AsSpan(at + 1 + ac, sc)));
            at += 1 + ac + sc;
            if (window.Device.Length == 0) { warnings.Add(Clean($"{n.Path}: iommu-addresses names {dev.Path}, which has no iommus (not a master): that window is left out")); continue; }
            list.Add(window);
        }
        return list;
    }

    private static List<string> MemoryRegions(FdtNode n, Dictionary<uint, FdtNode> phandles, Dictionary<FdtNode, string> resvNames, List<string> warnings)
    {
        var list = new List<string>();
        foreach (var ph in n.Cells("memory-region") ?? [])
        {
            if (phandles.GetValueOrDefault(ph) is { } r && resvNames.TryGetValue(r, out var name)) list.Add(name);
            else warnings.Add(Clean($"{n.Path}: memory-region phandle {ph} is not a reserved-memory child; left out"));
        }
        return list;
    }

    /// <summary>Names made from node names: the name without its unit address, with it when two collide.</summary>
    private sealed class NameTable
    {
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

        public string Take(FdtNode n)
        {
            var plain = Ident(n.BaseName);
            if (_taken.Add(plain)) return plain;
            return TakeName(plain + (n.UnitAddress is { } u ? "-" + Ident(u) : ""));
        }

        public string TakeName(string wanted)
        {
            var name = Ident(wanted);
            for (int i = 2; !_taken.Add(name); i++) name = Ident(wanted) + "-" + i.ToString(CultureInfo.InvariantCulture);
            return name;
        }
    }

    /// <summary>A name the SoC file can carry: lowercase letters, digits, '-' and '_', at most 48 characters.</summary>
    internal static string Ident(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s.ToLowerInvariant())
        {
            if (sb.Length >= 48) break;
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '-');
        }
        var r = sb.ToString().Trim('-');
        return r.Length == 0 || !char.IsAsciiLetterOrDigit(r[0]) ? "n" + r : r;
    }

    /// <summary>Text from the tree made safe for a YAML comment or a terminal: printable ASCII, bounded.</summary>
    /// <summary>
    /// The device's dma-ranges line (<see cref="DtDmaRanges"/>), or nothing; worked out once per bus node
    /// (its warning, when they are there but not read, is given once however many masters sit there).
    /// </summary>
    private static string DmaRangesLine(FdtNode bus, List<string> warnings, Dictionary<FdtNode, string> perBus)
    {
        if (perBus.TryGetValue(bus, out var known)) return known;
        var (windows, warning) = DtDmaRanges.For(bus);
        if (warning is not null) warnings.Add(Clean(warning));
        var line = warning is not null || windows.Count == 0 ? ""
            : "\n    dma-ranges: [ " + string.Join(", ", windows.Select(x => $"{{ bus: 0x{x.Bus:x}, cpu: 0x{x.Cpu:x}, size: 0x{x.Size:x} }}")) + " ]";
        perBus[bus] = line;
        return line;
    }

    internal static string Clean(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 200));
        foreach (var ch in s)
        {
            if (sb.Length >= 200) { sb.Append('…'); break; }
            sb.Append(ch is >= ' ' and <= '~' ? ch : '?');
        }
        return sb.ToString();
    }

    private static string Quote(string s) => "\"" + Clean(s).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
