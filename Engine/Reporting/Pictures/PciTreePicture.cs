using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// The PCI tree: each host bridge, then every function below it hanging from the bridge above it
/// (enumeration order), labelled with its type and group, and the p2p-across-groups hazards as links
/// between the ports (or functions) requests cross. At most <see cref="MaxNodes"/> functions are
/// drawn; the rest are counted.
/// </summary>
public sealed record PciTreePicture(IReadOnlyList<PciTreeNode> Nodes, IReadOnlyList<PciTreeLink> Hazards, int Omitted)
{
    public const int MaxNodes = 160;

    public static PciTreePicture? Build(PciState pci)
    {
        if (pci.Functions.Count == 0) return null;
        var nodes = new List<PciTreeNode>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var hostIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var hb in pci.HostBridges)
        {
            hostIndex[hb.Name] = nodes.Count;
            nodes.Add(new PciTreeNode(hb.Name, $"host bridge · segment {hb.Segment}", null, null, 0, true));
        }
        int omitted = 0;
        foreach (var f in pci.Functions)
        {
            if (nodes.Count - pci.HostBridges.Count >= MaxNodes) { omitted++; continue; }
            int? parent = f.Parent is { } p ? index.TryGetValue(p, out var pi) ? pi : null : hostIndex[f.HostBridge];
            if (parent is null) { omitted++; continue; } // its bridge was not drawn
            int? group = f.Group is { } g && int.TryParse(g.AsSpan("group".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var gid) ? gid : null;
            index[f.Bdf] = nodes.Count;
            var label = f.Name == f.Bdf ? f.Bdf : $"{f.Bdf} {f.Name}";
            var sub = f.Type + (f.Group is { } gn ? $" · {gn}" : " · no group");
            nodes.Add(new PciTreeNode(label, sub, parent, group, nodes[parent.Value].Depth + 1, false));
        }
        var links = pci.Hazards.Where(h => index.ContainsKey(h.From) && index.ContainsKey(h.To))
            .Select(h => new PciTreeLink(index[h.From], index[h.To], h.BothWays)).ToList();
        return new PciTreePicture(nodes, links, omitted);
    }
}

/// <summary>A host bridge or a function: its label (BDF and name), the second line (type and group), the node above, its group id and depth.</summary>
public sealed record PciTreeNode(string Label, string Sub, int? Parent, int? Group, int Depth, bool HostBridge);

/// <summary>A p2p-across-groups hazard: requests from below node From reach below node To without the IOMMU (and back when BothWays).</summary>
public sealed record PciTreeLink(int From, int To, bool BothWays);
