using System.Buffers.Binary;
using System.Text;

namespace ScenarioEngine.Config;

/// <summary>
/// Reads a flattened device tree blob (the format dtc and the kernel build write; devicetree.org
/// specification v0.4, chapter 5: header, memory reservation block, structure block of
/// FDT_BEGIN_NODE/FDT_END_NODE/FDT_PROP/FDT_NOP/FDT_END tokens, strings block). Every offset, length
/// and count is checked against the blob and <see cref="FdtLimits"/> before it is used; the structure
/// is walked with an explicit stack. A malformed blob is a <see cref="DeviceTreeException"/> naming the
/// byte offset, never another exception.
/// </summary>
public static class FdtReader
{
    public const uint Magic = 0xd00dfeed;
    private const uint BeginNode = 1, EndNode = 2, Prop = 3, Nop = 4, End = 9;

    public static FdtNode Read(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 40) throw Bad(0, $"{blob.Length} bytes is shorter than an FDT header (40 bytes)");
        if (blob.Length > FdtLimits.MaxBytes) throw Bad(0, $"{blob.Length} bytes is more than the {FdtLimits.MaxBytes >> 20} MiB a device tree is read up to");
        uint magic = U(blob, 0);
        if (magic != Magic) throw Bad(0, $"magic 0x{magic:x8} is not 0xd00dfeed: not a flattened device tree");
        uint total = U(blob, 4), offStruct = U(blob, 8), offStrings = U(blob, 12), offRsv = U(blob, 16), version = U(blob, 20), lastComp = U(blob, 24), sizeStrings = U(blob, 32), sizeStruct = U(blob, 36);
        if (total > blob.Length) throw Bad(4, $"totalsize {total} is more than the {blob.Length} bytes there are (truncated?)");
        if (version < 16 || lastComp > 17) throw Bad(20, $"version {version} (last compatible {lastComp}) is not one this reader knows (16 or 17)");
        Within(offStruct, sizeStruct, total, 8, "structure block");
        Within(offStrings, sizeStrings, total, 12, "strings block");
        if (offRsv >= total) throw Bad(16, $"memory reservation block offset {offRsv} is outside the blob");
        if (offStruct % 4 != 0) throw Bad(8, $"structure block offset {offStruct} is not 4-byte aligned");
        var structBlock = blob.Slice((int)offStruct, (int)sizeStruct);
        var strings = blob.Slice((int)offStrings, (int)sizeStrings);

        FdtNode? root = null, current = null;
        int depth = 0, nodes = 0, props = 0, pos = 0;
        var nameCache = new Dictionary<uint, string>();
        while (true)
        {
            int at = (int)offStruct + pos;
            if (pos + 4 > structBlock.Length) throw Bad(at, "the structure block ends without FDT_END");
            uint token = BinaryPrimitives.ReadUInt32BigEndian(structBlock[pos..]);
            pos += 4;
            switch (token)
            {
                case BeginNode:
                {
                    int nul = structBlock[pos..].IndexOf((byte)0);
                    if (nul < 0) throw Bad(at, "a node name runs past the structure block");
                    if (nul > FdtLimits.MaxNameBytes) throw Bad(at, $"a node name of {nul} bytes (most {FdtLimits.MaxNameBytes})");
                    var name = Encoding.UTF8.GetString(structBlock.Slice(pos, nul));
                    pos = Align(pos + nul + 1);
                    if (root is not null && current is null) throw Bad(at, "a second root node");
                    if (++nodes > FdtLimits.MaxNodes) throw Bad(at, $"more than {FdtLimits.MaxNodes} nodes");
                    if (++depth > FdtLimits.MaxDepth) throw Bad(at, $"nodes nested deeper than {FdtLimits.MaxDepth}");
                    if (current is not null && name.Length == 0) throw Bad(at, "a node without a name below the root");
                    current = new FdtNode(current is null ? "" : name, current);
                    root ??= current;
                    break;
                }
                case EndNode:
                    if (current is null) throw Bad(at, "FDT_END_NODE without an open node");
                    current = current.Parent;
                    depth--;
                    break;
                case Prop:
                {
                    if (current is null) throw Bad(at, "a property outside any node");
                    if (pos + 8 > structBlock.Length) throw Bad(at, "a property header runs past the structure block");
                    uint len = BinaryPrimitives.ReadUInt32BigEndian(structBlock[pos..]);
                    uint nameOff = BinaryPrimitives.ReadUInt32BigEndian(structBlock[(pos + 4)..]);
                    pos += 8;
                    if (len > structBlock.Length - pos) throw Bad(at, $"a property of {len} bytes overruns the structure block ({structBlock.Length - pos} bytes left)");
                    if (nameOff >= strings.Length) throw Bad(at, $"a property name offset {nameOff} is outside the strings block ({strings.Length} bytes)");
                    if (!nameCache.TryGetValue(nameOff, out var pname))
                    {
                        int end = strings[(int)nameOff..].IndexOf((byte)0);
                        if (end < 0) throw Bad(at, "a property name runs past the strings block");
                        if (end > FdtLimits.MaxNameBytes) throw Bad(at, $"a property name of {end} bytes (most {FdtLimits.MaxNameBytes})");
                        pname = Encoding.UTF8.GetString(strings.Slice((int)nameOff, end));
                        nameCache[nameOff] = pname;
                    }
                    if (++props > FdtLimits.MaxProperties) throw Bad(at, $"more than {FdtLimits.MaxProperties} properties");
                    current.Add(pname, structBlock.Slice(pos, (int)len).ToArray());
                    pos = Align(pos + (int)len);
                    break;
                }
                case Nop:
                    break;
                case End:
                    if (current is not null) throw Bad(at, $"FDT_END with node {current.Path} still open");
                    if (root is null) throw Bad(at, "no root node");
                    return root;
                default:
                    throw Bad(at, $"unknown structure token 0x{token:x8}");
            }
        }
    }

    private static uint U(ReadOnlySpan<byte> blob, int at) => BinaryPrimitives.ReadUInt32BigEndian(blob[at..]);

    private static int Align(int pos) => (pos + 3) & ~3;

    private static void Within(uint offset, uint size, uint total, int field, string what)
    {
        if ((ulong)offset + size > total) throw Bad(field, $"the {what} [{offset}, +{size}) runs past totalsize {total}");
    }

    private static DeviceTreeException Bad(long offset, string why) => new($"offset 0x{offset:x}", why);
}
