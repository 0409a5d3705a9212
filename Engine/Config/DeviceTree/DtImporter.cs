using System.Globalization;
using System.Text;
using ScenarioEngine.Drivers;

namespace ScenarioEngine.Config;

/// <summary>
/// Writes a SoC file from a device tree, in sections that know only what every IOMMU binding shares
/// (Documentation/devicetree/bindings/iommu/iommu.yaml, drivers/of, Linux 7.0); what an IOMMU's own
/// driver reads comes from its family (<see cref="IommuFamily.FromTree"/>, <see cref="IommuFamily.OfXlate"/>,
/// <see cref="IommuFamily.WriteId"/>), found by the node's compatible in the catalogue:
/// <list type="bullet">
/// <item>memory: the root's memory nodes (reg, with the root's cells);</item>
/// <item>reserved-memory: its children (reg, `iommu-addresses` naming their devices as
/// of_iommu_get_resv_regions reads them; no-map noted);</item>
/// <item>IOMMUs: each node whose compatible a family's catalogue has, with the keys its family reads
/// from the node; an IOMMU (#iommu-cells) no family matches is a warning;</item>
/// <item>masters: every node with `iommus`, each specifier (#iommu-cells of the IOMMU, 0 to 4) decoded
/// by the IOMMU's family as its of_xlate would; `memory-region` links; the dma-ranges of the master's
/// bus (<see cref="DtDmaRanges"/>);</item>
/// <item>PCI host bridges: each `iommu-map` entry as a `bus: pci` master standing for its RID range,
/// with iommu-map-mask as of_map_id applies it (drivers/of/base.c);</item>
/// <item>keys that wait for the masters (a stream-ID width wide enough for every ID the tree gives), settled last.</item>
/// </list>
/// Names are node names without unit address, made unique with it when two collide (<see cref="DtNames"/>).
/// What the SoC file cannot express becomes a warning (bounded and folded: <see cref="ImportWarnings"/>),
/// never a silent drop. Every step is near-linear in the tree and charged to an
/// <see cref="ImportBudget"/>; past it the import stops with an <see cref="ImportBudgetException"/>
/// saying where. Not read: `ranges` translation of reg (addresses are taken as the bus gives them),
/// dma-ranges that need a further translation (a warning says so), `interrupts-extended`.
/// </summary>
public static class DtImporter
{
    /// <summary>
    /// The SoC file, the warnings to show (folded: <see cref="WarningCount"/> counts them all), the SoC's
    /// name, and what the import spent (<see cref="ImportBudget"/>'s steps and characters).
    /// </summary>
    public sealed record Result(string Yaml, IReadOnlyList<string> Warnings, string SocName)
    {
        public long WarningCount { get; init; }
        public long Work { get; init; }
        public long NamesTried { get; init; }
    }

    public static Result Import(FdtNode root, string source, ImportBudget? budget = null) =>
        new DtImport(root, source, budget ?? new ImportBudget()).Run();

    /// <summary>Text from the tree made safe for a YAML comment or a terminal: printable ASCII, bounded.</summary>
    internal static string Clean(string s) => ImportWarnings.Clean(s);

    internal static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    internal static string Quote(string s) => "\"" + Clean(s).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>One run of <see cref="DtImporter"/>: its sections, in the order the file is written.</summary>
internal sealed partial class DtImport
{
    private readonly FdtNode _root;
    private readonly string _source;
    private readonly DtTree _tree;
    private readonly ImportBudget _budget;
    private readonly DtNames _names;
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _body = new();
    private readonly Dictionary<FdtNode, string> _masterNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FdtNode, string> _resvNames = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _resvLines = [];
    private readonly List<Iommu> _iommus = [];
    private readonly Dictionary<FdtNode, Iommu> _byNode = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _deviceLines = [];

    /// <summary>An IOMMU node a family's catalogue matched: its name, family, catalogue entry, what the family read, and the comment lines under it.</summary>
    private sealed record Iommu(FdtNode Node, string Name, IommuFamily Family, CompatibleEntry Entry, DtInstance Read, List<string> Notes);

    public DtImport(FdtNode root, string source, ImportBudget budget)
    {
        _root = root;
        _source = source;
        _budget = budget;
        _tree = new DtTree(root, budget);
        _names = new DtNames(budget);
    }

    public DtImporter.Result Run()
    {
        Soc();
        Memory();
        MasterNames();
        ReservedMemory();
        Iommus();
        Masters();
        Settle();
        return Write();
    }

    private ImportWarnings Warnings => _tree.Warnings;

    /// <summary>Adds a line to the body, charged to the output budget.</summary>
    private void Line(StringBuilder to, string line)
    {
        _budget.Write(line.Length + 1);
        to.Append(line).Append('\n');
    }

    private void Line(List<string> to, string line)
    {
        _budget.Write(line.Length + 1);
        to.Add(line);
    }

    // ---- soc: and description: from the root's compatible and model

    private void Soc()
    {
        _tree.Visit(_root);
        var compat = _root.Prop("compatible");
        string name = "imported-board";
        foreach (var (s, l) in DtStrings.Entries(compat))
        {
            // the vendor prefix off the first compatible; Ident keeps at most 48 characters
            int comma = Array.IndexOf(compat!, (byte)',', s, l);
            int from = comma < 0 ? s : comma + 1;
            name = DtStrings.Decode(compat!, from, s + l - from, 64);
            break;
        }
        var socName = DtNames.Ident(name);
        string? model = null;
        foreach (var (s, l) in DtStrings.Entries(_root.Prop("model"))) { model = DtStrings.Decode(_root.Prop("model")!, s, l, ImportWarnings.MaxChars); break; }
        Line(_body, "soc: " + socName);
        Line(_body, "description: " + DtImporter.Quote(model ?? $"imported from {_source}"));
        _head.Append("# Imported by `scenario import` from ").Append(DtImporter.Clean(_source)).Append(".\n");
        _head.Append("# Root compatible: ").Append(DtImporter.Clean(DtStrings.JoinShown(compat, ImportWarnings.MaxChars))).Append('\n');
        SocName = socName;
    }

    private string SocName { get; set; } = "";

    // ---- memory: the root's memory nodes

    private void Memory()
    {
        Line(_body, "memory:");
        int count = 0;
        foreach (var n in _tree.Nodes)
        {
            if (n.Parent != _root) continue;
            _tree.Visit(n);
            if (!DtStrings.FirstIs(n.Prop("device_type"), "memory") && n.BaseName != "memory") continue;
            foreach (var (b, s) in Reg(n))
                if (s > 0)
                {
                    Line(_body, $"  - {{ name: {(count == 0 ? "dram" : $"dram{count}")}, base: {DtImporter.Hex(b)}, size: {DtImporter.Hex(s)} }}  # {_tree.Show(n)}");
                    count++;
                }
        }
        if (count == 0)
        {
            _tree.Warn("memory-none", "no memory node with a reg: 2 GiB at 0x4000_0000 assumed; correct it");
            Line(_body, "  - { name: dram, base: 0x4000_0000, size: 2GiB }");
        }
    }

    /// <summary>reg as (base, size) pairs, with the parent's #address-cells and #size-cells (at most 64 pairs).</summary>
    private List<(ulong Base, ulong Size)> Reg(FdtNode n)
    {
        var list = new List<(ulong, ulong)>();
        var reg = n.Prop("reg");
        if (reg is null || reg.Length % 4 != 0) return list;
        int ac = (int)(n.Parent?.U32("#address-cells") ?? 2), sc = (int)(n.Parent?.U32("#size-cells") ?? 1);
        if (ac is < 1 or > 2 || sc is < 0 or > 2)
        {
            Warnings.Add("reg-cells", $"{_tree.PathOf(n)}: reg with #address-cells {ac}, #size-cells {sc} is not read");
            return list;
        }
        int cells = reg.Length / 4;
        for (int i = 0; i + ac + sc <= cells && list.Count < 64; i += ac + sc)
        {
            _budget.Spend(1);
            list.Add((Cells(reg, i, ac), Cells(reg, i + ac, sc)));
        }
        return list;
    }

    /// <summary>Cells [at, at + count) of a property as one number (big-endian).</summary>
    private static ulong Cells(byte[] prop, int at, int count)
    {
        ulong v = 0;
        for (int i = 0; i < count; i++) v = (v << 32) | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(prop.AsSpan((at + i) * 4));
        return v;
    }

    // ---- names of masters first: reserved-memory's iommu-addresses name the devices

    private void MasterNames()
    {
        foreach (var n in _tree.Nodes)
        {
            _tree.Visit(n);
            if (n.Has("iommus")) _masterNames[n] = _names.Take(n);
        }
    }

    // ---- reserved-memory: its children, in the order the tree gives them

    private void ReservedMemory()
    {
        var resvRoot = _root.Children.FirstOrDefault(c => c.BaseName == "reserved-memory");
        if (resvRoot is null) return;
        var names = new DtNames(_budget);
        foreach (var c in resvRoot.Children)
        {
            _tree.Visit(c);
            _resvNames[c] = names.Take(c);
        }
        foreach (var c in resvRoot.Children)
        {
            _tree.Visit(c);
            var reg = Reg(c);
            var line = new StringBuilder($"  - {{ name: {_resvNames[c]}");
            if (reg.Count > 0) line.Append($", base: {DtImporter.Hex(reg[0].Base)}, size: {DtImporter.Hex(reg[0].Size)}");
            var addrs = IommuAddresses(c);
            if (reg.Count == 0 && addrs.Count == 0)
            {
                Line(_resvLines, $"  # {_tree.Show(c)}: no reg and no iommu-addresses (a dynamic pool sized by its 'size' property): left out");
                Warnings.Add("resv-empty", $"{_tree.PathOf(c)}: a reserved-memory node without reg or iommu-addresses is not expressed");
                continue;
            }
            // an IOVA-only reservation: size is the first window's
            if (reg.Count == 0) line.Append($", size: {DtImporter.Hex(addrs[0].Size)}");
            if (addrs.Count > 0)
                line.Append(", iommu-addresses: [").Append(string.Join(", ", addrs.Select(a => a.Text))).Append(']');
            line.Append(" }");
            line.Append($"  # {_tree.Show(c)}{(c.Has("no-map") ? ", no-map" : "")}");
            Line(_resvLines, line.ToString());
        }
    }

    private sealed record Window(ulong Size, string Text);

    /// <summary>iommu-addresses = &lt;&amp;dev iova size&gt;…, with the cells of dev's parent bus (of_iommu_get_resv_regions, of_translate_dma_region).</summary>
    private List<Window> IommuAddresses(FdtNode n)
    {
        var list = new List<Window>();
        var cells = n.Cells("iommu-addresses");
        if (cells is null) return list;
        _tree.Property = "iommu-addresses";
        int at = 0;
        while (at < cells.Length)
        {
            _tree.Entry++;
            _budget.Spend(1);
            var dev = _tree.Node(cells[at]);
            if (dev is null) { Warnings.Add("resv-phandle", $"{_tree.PathOf(n)}: iommu-addresses names phandle {cells[at]}, which no node has; the rest is not read"); break; }
            int ac = (int)(dev.Parent?.U32("#address-cells") ?? 2), sc = (int)(dev.Parent?.U32("#size-cells") ?? 1);
            if (ac is < 1 or > 2 || sc is < 1 or > 2 || at + 1 + ac + sc > cells.Length) { Warnings.Add("resv-entry", $"{_tree.PathOf(n)}: an iommu-addresses entry for {_tree.PathOf(dev)} cannot be read"); break; }
            ulong iova = Join(cells.AsSpan(at + 1, ac)), size = Join(cells.AsSpan(at + 1 + ac, sc));
            at += 1 + ac + sc;
            if (!_masterNames.TryGetValue(dev, out var device))
            {
                Warnings.Add("resv-not-master", $"{_tree.PathOf(n)}: iommu-addresses names {_tree.PathOf(dev)}, which has no iommus (not a master): that window is left out");
                continue;
            }
            var text = $"{{ device: {device}, iova: {DtImporter.Hex(iova)}, size: {DtImporter.Hex(size)} }}";
            _budget.Write(text.Length + 2);
            list.Add(new Window(size, text));
        }
        return list;
    }

    private static ulong Join(ReadOnlySpan<uint> cells)
    {
        ulong v = 0;
        foreach (var c in cells) v = (v << 32) | c;
        return v;
    }

    // ---- IOMMUs: each node a family's catalogue matches, with what the family reads from it

    private void Iommus()
    {
        var catalogue = new Dictionary<string, (IommuFamily Family, CompatibleEntry Entry)>(StringComparer.Ordinal);
        foreach (var f in Families.All)
            foreach (var e in f.Compatibles) catalogue.TryAdd(e.Compatible, (f, e));
        var lookup = catalogue.GetAlternateLookup<ReadOnlySpan<char>>();
        int longest = catalogue.Count == 0 ? 0 : catalogue.Keys.Max(k => k.Length);
        var names = new DtNames(_budget);
        Span<char> chars = stackalloc char[256];

        foreach (var n in _tree.Nodes)
        {
            _tree.Visit(n);
            var cs = n.Prop("compatible");
            if (cs is null || cs.Length == 0) continue;
            _tree.Property = "compatible";
            (IommuFamily Family, CompatibleEntry Entry)? hit = null;
            foreach (var (s, l) in DtStrings.Entries(cs))
            {
                _tree.Entry++;
                _budget.Spend(1);
                // of_match_node: the first of the node's compatibles that a driver matches
                if (l > Math.Min(4 * longest, chars.Length)) continue; // longer than every catalogue compatible (a character is 1 to 4 bytes)
                int count = System.Text.Encoding.UTF8.GetChars(cs.AsSpan(s, l), chars);
                if (lookup.TryGetValue(chars[..count], out var found)) { hit = found; break; }
            }
            if (hit is null)
            {
                if (n.Has("#iommu-cells"))
                    Warnings.Add("iommu-unmatched", $"{_tree.PathOf(n)}: an IOMMU (#iommu-cells) with compatible {DtStrings.JoinShown(cs, ImportWarnings.MaxChars)}, which no modelled driver matches; its masters are left out");
                continue;
            }
            _tree.Property = null;
            _tree.Entry = 0;
            var (family, entry) = hit.Value;
            var name = names.Take(n);
            _tree.BeginNotes();
            var read = family.FromTree(n, entry, _tree);
            var notes = _tree.EndNotes();
            foreach (var key in read.Keys)
                if (key.Value is not null && key.Why is not null) _tree.Warn(n, "iommu-key", $"'{key.Key}' {key.Why}");
            var iommu = new Iommu(n, name, family, entry, read, notes);
            _iommus.Add(iommu);
            _byNode[n] = iommu;
        }
        if (_iommus.Count == 0) _tree.Warn("iommu-none", "no IOMMU node matched the catalogue: the SoC file has no IOMMU");
    }

    /// <summary>#iommu-cells when it is a size a specifier can have (0 to 4 cells), else null.</summary>
    private static int? IommuCells(FdtNode n) => n.U32("#iommu-cells") is uint c && c <= 4 ? (int)c : null;

    // ---- keys that waited for the masters, then each IOMMU's line

    private readonly List<string> _iommuLines = [];

    private void Settle()
    {
        foreach (var iommu in _iommus)
        {
            _tree.Visit(iommu.Node);
            var line = new StringBuilder($"  - {{ name: {iommu.Name}, compatible: \"{iommu.Entry.Compatible}\"");
            foreach (var waiting in iommu.Read.Keys)
            {
                var key = waiting;
                if (key.Value is null)
                {
                    key = iommu.Read.Settle(waiting);
                    if (key.Why is not null) _tree.Warn(iommu.Node, "iommu-key-settled", $"'{key.Key}' {key.Why}");
                }
                line.Append($", {key.Key}: {key.Value}");
            }
            line.Append($" }}  # {_tree.Show(iommu.Node)}");
            Line(_iommuLines, line.ToString());
            _iommuLines.AddRange(iommu.Notes); // charged as the family wrote them
        }
    }

    // ---- the file: the warnings on top, then the sections

    private DtImporter.Result Write()
    {
        var sb = new StringBuilder();
        if (_resvLines.Count > 0)
        {
            sb.Append("reserved-memory:\n");
            foreach (var l in _resvLines) sb.Append(l).Append('\n');
        }
        // with none, an empty list: the file still loads (memory and reserved-memory are worth having)
        sb.Append(_iommuLines.Count == 0 ? "iommus: []\n" : "iommus:\n");
        foreach (var l in _iommuLines) sb.Append(l).Append('\n');
        if (_deviceLines.Count > 0)
        {
            sb.Append("devices:\n");
            foreach (var l in _deviceLines) sb.Append(l).Append('\n');
        }
        var warnings = Warnings.Lines();
        _head.Append("# What the tree says that this file does not (check each):\n");
        if (warnings.Count == 0) _head.Append("#   nothing\n");
        foreach (var w in warnings) _head.Append("# WARNING: ").Append(w).Append('\n');
        _tree.At = null;
        _budget.Write(_head.Length + "reserved-memory:\niommus:\ndevices:\n".Length);
        return new DtImporter.Result(_head.ToString() + _body + sb, warnings, SocName)
        {
            WarningCount = Warnings.Count, Work = _budget.WorkSpent, NamesTried = _names.Tries,
        };
    }
}
