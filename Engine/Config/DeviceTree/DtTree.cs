using ScenarioEngine.Drivers;

namespace ScenarioEngine.Config;

/// <summary>
/// One device tree being imported (<see cref="DtImporter"/>), as the importer's sections and the
/// families' device-tree methods (<see cref="IDtTree"/>) see it: every node in path order with its path
/// built once, phandles resolved, warnings bounded and folded (<see cref="ImportWarnings"/>), the work
/// and output charged to the import's <see cref="ImportBudget"/>, and where the import is, for the
/// error when the budget runs out.
/// </summary>
internal sealed class DtTree : IDtTree
{
    private readonly Dictionary<FdtNode, string> _paths = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<uint, FdtNode> _phandles = new();
    private List<string>? _notes;

    public DtTree(FdtNode root, ImportBudget budget)
    {
        Budget = budget;
        budget.Where = Where;
        // Paths are built once, parent first, each charged by its length: a tree nested deep under long
        // names runs into the budget instead of building gigabytes of paths.
        var order = new List<FdtNode>();
        foreach (var n in root.Descendants())
        {
            At = n.Parent;
            Budget.Spend(1 + (n.Parent is null ? 1 : _paths[n.Parent].Length + 1 + n.Name.Length));
            _paths[n] = n.Parent is null ? "/" : n.Parent.Parent is null ? "/" + n.Name : _paths[n.Parent] + "/" + n.Name;
            order.Add(n);
        }
        At = null;
        // by path: the same tree gives the same file whether read from a blob (file order) or a folder (name order)
        Nodes = order.OrderBy(n => _paths[n], StringComparer.Ordinal).ToList();
        foreach (var n in Nodes)
            if ((n.U32("phandle") ?? n.U32("linux,phandle")) is { } ph && ph != 0 && ph != 0xffffffff) _phandles.TryAdd(ph, n);
    }

    public ImportBudget Budget { get; }
    public ImportWarnings Warnings { get; } = new();

    /// <summary>Every node, the root first, in the ordinal order of their paths.</summary>
    public IReadOnlyList<FdtNode> Nodes { get; }

    // ---- where the import is (the budget's error says it)

    /// <summary>The node being read.</summary>
    public FdtNode? At { get; set; }
    /// <summary>Its property being read, or null.</summary>
    public string? Property { get; set; }
    /// <summary>The entry of that property being read (from 1), or 0.</summary>
    public long Entry { get; set; }

    /// <summary>Moves to a node (no property yet).</summary>
    public void Visit(FdtNode n)
    {
        At = n;
        Property = null;
        Entry = 0;
        Budget.Spend(1);
    }

    private string Where()
    {
        if (At is null) return "the tree";
        // a long path is shown by its end: where the import got to
        var path = _paths.GetValueOrDefault(At) ?? At.Name;
        var where = path.Length <= ImportWarnings.MaxChars ? ImportWarnings.Clean(path) : "..." + ImportWarnings.Clean(path[^(ImportWarnings.MaxChars - 3)..]);
        return Property is null ? where : Entry > 0 ? $"{where}, {Property} entry {Entry}" : $"{where}, {Property}";
    }

    // ---- the tree

    /// <summary>The node's path ("/soc/iommu@14018000").</summary>
    public string PathOf(FdtNode n) => _paths[n];

    public string Show(IDtNode node) => ImportWarnings.Clean(PathOf((FdtNode)node));

    public FdtNode? Node(uint phandle)
    {
        Budget.Spend(1);
        return _phandles.GetValueOrDefault(phandle);
    }

    public IDtNode? ByPhandle(uint phandle) => Node(phandle);

    // ---- what the file will not say

    public void Warn(IDtNode at, string kind, string text) => Warnings.Add(kind, $"{PathOf((FdtNode)at)}: {text}");

    /// <summary>A warning that names no node ("no memory node with a reg: …").</summary>
    public void Warn(string kind, string text) => Warnings.Add(kind, text);

    /// <summary>Collects <see cref="Note"/>s for the IOMMU being read until <see cref="EndNotes"/>.</summary>
    public void BeginNotes() => _notes = [];

    public List<string> EndNotes()
    {
        var notes = _notes ?? [];
        _notes = null;
        return notes;
    }

    public void Note(string text)
    {
        if (_notes is null) throw new InvalidOperationException("a note outside IommuFamily.FromTree");
        var line = "    # " + Printable(text);
        Budget.Write(line.Length + 1);
        _notes.Add(line);
    }

    /// <summary>Text a family wrote for a comment: characters outside printable ASCII (but the '…' of a clipped path) as '?', so nothing ends the comment.</summary>
    private static string Printable(string s) => string.Create(s.Length, s, (span, t) =>
    {
        for (int i = 0; i < t.Length; i++) span[i] = t[i] is >= ' ' and <= '~' or '…' ? t[i] : '?';
    });
}
