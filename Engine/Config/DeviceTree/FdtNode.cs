using System.Buffers.Binary;
using System.Text;
using ScenarioEngine.Drivers;

namespace ScenarioEngine.Config;

/// <summary>
/// One node of a flattened device tree as read (devicetree.org specification v0.4, chapter 5): its
/// name with the unit address ("iommu@14018000"), its properties in file order as raw big-endian
/// bytes, its children. Built by <see cref="FdtReader"/> or <see cref="FdtDirReader"/>; read-only
/// afterwards. A property named twice reads as its first (as of_find_property finds it). Looking a
/// property up costs the same however many the node has, and reading one cell of a property does not
/// copy the property: a crafted node cannot make the importer's per-node work grow.
/// </summary>
public sealed class FdtNode : IDtNode
{
    /// <summary>Properties a node holds before its look-ups go through a dictionary.</summary>
    private const int IndexedFrom = 8;

    private readonly List<KeyValuePair<string, byte[]>> _props = new();
    private readonly List<FdtNode> _children = new();
    private Dictionary<string, byte[]>? _index;

    public FdtNode(string name, FdtNode? parent)
    {
        Name = name;
        Parent = parent;
        parent?._children.Add(this);
    }

    public string Name { get; }
    public FdtNode? Parent { get; }
    IDtNode? IDtNode.Parent => Parent;
    public IReadOnlyList<FdtNode> Children => _children;
    public IReadOnlyList<KeyValuePair<string, byte[]>> Properties => _props;

    /// <summary>The name without its unit address ("iommu" for "iommu@14018000").</summary>
    public string BaseName => Name.IndexOf('@', StringComparison.Ordinal) is int at && at >= 0 ? Name[..at] : Name;

    /// <summary>The unit address, or null.</summary>
    public string? UnitAddress => Name.IndexOf('@', StringComparison.Ordinal) is int at && at >= 0 ? Name[(at + 1)..] : null;

    /// <summary>The path from the root ("/soc/iommu@14018000"); built by walking up, no recursion.</summary>
    public string Path
    {
        get
        {
            if (Parent is null) return "/";
            var parts = new List<string>();
            for (var n = this; n.Parent is not null; n = n.Parent) parts.Add(n.Name);
            parts.Reverse();
            return "/" + string.Join('/', parts);
        }
    }

    internal void Add(string name, byte[] value)
    {
        _props.Add(new(name, value));
        _index?.TryAdd(name, value);
    }

    public byte[]? Prop(string name)
    {
        if (_props.Count >= IndexedFrom)
        {
            if (_index is null)
            {
                _index = new Dictionary<string, byte[]>(_props.Count, StringComparer.Ordinal);
                foreach (var (k, v) in _props) _index.TryAdd(k, v);
            }
            return _index.GetValueOrDefault(name);
        }
        foreach (var (k, v) in _props) if (k == name) return v;
        return null;
    }

    public bool Has(string name) => Prop(name) is not null;

    /// <summary>The property as big-endian 32-bit cells (null when absent or not a multiple of 4 bytes).</summary>
    public uint[]? Cells(string name)
    {
        var v = Prop(name);
        if (v is null || v.Length % 4 != 0) return null;
        var cells = new uint[v.Length / 4];
        for (int i = 0; i < cells.Length; i++) cells[i] = BinaryPrimitives.ReadUInt32BigEndian(v.AsSpan(i * 4));
        return cells;
    }

    public int? CellCount(string name) => Prop(name) is { } v && v.Length % 4 == 0 ? v.Length / 4 : null;

    /// <summary>The property when it is exactly one cell, else null.</summary>
    public uint? U32(string name) => Prop(name) is { Length: 4 } v ? BinaryPrimitives.ReadUInt32BigEndian(v) : null;

    /// <summary>A string-list property (NUL-separated); empty when absent.</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        var v = Prop(name);
        if (v is null) return [];
        var list = new List<string>();
        int start = 0;
        for (int i = 0; i < v.Length; i++)
            if (v[i] == 0) { list.Add(Encoding.UTF8.GetString(v, start, i - start)); start = i + 1; }
        if (start < v.Length) list.Add(Encoding.UTF8.GetString(v, start, v.Length - start));
        return list;
    }

    /// <summary>Every node of the tree under this one (this one first), depth first, without recursion.</summary>
    public IEnumerable<FdtNode> Descendants()
    {
        var stack = new Stack<FdtNode>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            for (int i = n._children.Count - 1; i >= 0; i--) stack.Push(n._children[i]);
        }
    }
}

/// <summary>A device tree that cannot be read: where (byte offset in the blob, or a file of a tree folder) and why.</summary>
public sealed class DeviceTreeException(string where, string message) : Exception($"{where}: {message}")
{
    public string Where { get; } = where;
    public string Reason { get; } = message;
}
