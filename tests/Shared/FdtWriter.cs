using System.Buffers.Binary;
using System.Text;

namespace ScenarioEngine.Tests;

/// <summary>
/// Writes flattened device-tree blobs (devicetree.org specification v0.4, chapter 5) node by node, for
/// trees too large or too odd for a .dts and dtc: the crafted shapes of <see cref="CraftedTrees"/>.
/// </summary>
internal sealed class FdtWriter
{
    private readonly List<byte> _strings = [];
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly MemoryStream _big = new();

    public FdtWriter Begin(string name)
    {
        Token(1);
        Bytes(Encoding.UTF8.GetBytes(name + "\0"));
        return this;
    }

    public FdtWriter End()
    {
        Token(2);
        return this;
    }

    public FdtWriter Prop(string name, byte[] value)
    {
        if (!_names.TryGetValue(name, out int off))
        {
            _names[name] = off = _strings.Count;
            _strings.AddRange(Encoding.UTF8.GetBytes(name + "\0"));
        }
        Token(3);
        Token((uint)value.Length);
        Token((uint)off);
        Bytes(value);
        return this;
    }

    public FdtWriter Cells(string name, params uint[] cells)
    {
        var b = new byte[cells.Length * 4];
        for (int i = 0; i < cells.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(i * 4), cells[i]);
        return Prop(name, b);
    }

    public FdtWriter Str(string name, params string[] values) => Prop(name, Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\0"))));

    public FdtWriter Flag(string name) => Prop(name, []);

    private void Token(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        _big.Write(b);
    }

    private void Bytes(byte[] b)
    {
        _big.Write(b);
        for (int pad = (4 - b.Length % 4) % 4; pad > 0; pad--) _big.WriteByte(0);
    }

    public byte[] Blob()
    {
        Token(9);
        var structBlock = _big.ToArray();
        var strings = _strings.ToArray();
        const int header = 40, rsv = 16;
        int total = header + rsv + structBlock.Length + strings.Length;
        var blob = new byte[total];
        uint[] h = [0xd00dfeed, (uint)total, header + rsv, (uint)(header + rsv + structBlock.Length), header, 17, 16, 0, (uint)strings.Length, (uint)structBlock.Length];
        for (int i = 0; i < h.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(i * 4), h[i]);
        structBlock.CopyTo(blob, header + rsv);
        strings.CopyTo(blob, header + rsv + structBlock.Length);
        return blob;
    }
}

/// <summary>
/// The tree shapes that once made `scenario import` flood, go quadratic or run out of memory (issue
/// 33), at any size: each is a board with DRAM and an Arm SMMUv3 (phandle 1, #iommu-cells = 1) plus
/// the shape.
/// </summary>
internal static class CraftedTrees
{
    private static FdtWriter Board()
    {
        var w = new FdtWriter().Begin("").Cells("#address-cells", 2).Cells("#size-cells", 2).Str("compatible", "acme,crafted");
        w.Begin("memory@40000000").Str("device_type", "memory").Cells("reg", 0, 0x4000_0000, 0, 0x8000_0000).End();
        w.Begin("iommu@2b400000").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", 1).End();
        return w;
    }

    /// <summary>
    /// A master whose `iommus` names a node with #iommu-cells = &lt;0&gt; <paramref name="specifiers"/> times
    /// after one good specifier (stream 5); the node is an IOMMU no driver matches, or, when
    /// <paramref name="imported"/>, an SMMUv3 whose driver refuses zero-cell specifiers.
    /// </summary>
    public static byte[] ZeroCellFlood(int specifiers, bool imported)
    {
        var w = Board();
        w.Begin("iommu@0").Str("compatible", imported ? "arm,smmu-v3" : "vendor,unknown-iommu").Cells("#iommu-cells", 0).Cells("phandle", 2).End();
        var spec = new uint[2 + specifiers];
        (spec[0], spec[1]) = (1, 5);
        Array.Fill(spec, 2u, 2, specifiers);
        w.Begin("gpu@0").Cells("iommus", spec).End();
        return w.End().Blob();
    }

    /// <summary>A master (stream 5) whose `memory-region` lists <paramref name="entries"/> phandles no node has.</summary>
    public static byte[] MemoryRegionFlood(int entries)
    {
        var w = Board();
        var regions = new uint[entries];
        Array.Fill(regions, 999u);
        w.Begin("gpu@0").Cells("iommus", 1, 5).Cells("memory-region", regions).End();
        return w.End().Blob();
    }

    /// <summary><paramref name="count"/> masters under /soc whose names and unit addresses share their first 60 characters (stream i each).</summary>
    public static byte[] Siblings(int count)
    {
        var w = Board().Begin("soc");
        string a = new('a', 60), b = new('b', 60);
        for (int i = 0; i < count; i++) w.Begin($"{a}{i}@{b}{i}").Cells("iommus", 1, (uint)i).End();
        return w.End().End().Blob();
    }

    /// <summary>A PCI host bridge whose `iommu-map` is <paramref name="entries"/> copies of &lt;0 &amp;smmu 0x100 1&gt;.</summary>
    public static byte[] IdenticalIommuMap(int entries)
    {
        var map = new uint[entries * 4];
        for (int i = 0; i < entries; i++) (map[i * 4], map[i * 4 + 1], map[i * 4 + 2], map[i * 4 + 3]) = (0, 1, 0x100, 1);
        var w = Board();
        w.Begin("pcie@0").Str("device_type", "pci").Cells("iommu-map", map).End();
        return w.End().Blob();
    }

    /// <summary><paramref name="depth"/> nested nodes with 250-character names, and <paramref name="leaves"/> leaves at the bottom.</summary>
    public static byte[] DeepLongNames(int depth, int leaves)
    {
        var w = Board();
        for (int d = 0; d < depth; d++) w.Begin(new string((char)('a' + d % 26), 250));
        for (int i = 0; i < leaves; i++) w.Begin($"l{i:x}").End();
        for (int d = 0; d < depth; d++) w.End();
        return w.End().Blob();
    }
}
