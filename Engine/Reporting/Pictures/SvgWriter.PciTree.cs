using System.Text;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>The PCI tree as SVG: one row per node, indented by depth under the bridge above it, filled with its group's colour; hazards as dashed red arcs on the right.</summary>
public static partial class SvgWriter
{
    public static string PciTree(PciTreePicture p)
    {
        const int indent = 3 * CharW;
        var labels = p.Nodes.Select(n => $"{n.Label} · {n.Sub}").ToList();
        int boxW = Width(labels, 12);
        int maxDepth = p.Nodes.Count == 0 ? 0 : p.Nodes.Max(n => n.Depth);
        int right = Pad + maxDepth * indent + boxW;
        int rows = p.Nodes.Count + (p.Omitted > 0 ? 1 : 0);
        int width = right + Pad + (p.Hazards.Count > 0 ? 12 * Pad : 0), height = rows * Row + 2 * Pad;
        var sb = Open(width, height, "PCI tree: host bridges, bridges and functions with their IOMMU groups, and peer-to-peer paths that skip the IOMMU");
        for (int i = 0; i < p.Nodes.Count; i++)
        {
            var n = p.Nodes[i];
            int x = Pad + n.Depth * indent, y = Y(i);
            if (n.Parent is { } par)
            {
                int px = Pad + p.Nodes[par].Depth * indent + CharW;
                Line(sb, px, Y(par) + Row - 3, px, y + Row / 2, "#888", dashed: false);
                Line(sb, px, y + Row / 2, x, y + Row / 2, "#888", dashed: false);
            }
            var (fill, stroke) = n.HostBridge ? ("#f7f7f7", "#888") : n.Group is { } g ? MermaidPciTree.Palette[g % MermaidPciTree.Palette.Length] : ("#fdd", "#a33");
            Box(sb, x, y + 3, boxW, Row - 6, fill, stroke, labels[i], bold: n.HostBridge);
        }
        int lane = 0;
        foreach (var h in p.Hazards)
        {
            int x = right + 2 * Pad + (lane++ % 8) * Pad;
            int y1 = Y(h.From) + Row / 2, y2 = Y(h.To) + Row / 2;
            sb.Append(Inv($"<path d=\"M{right} {y1} L{x} {y1} L{x} {y2} L{right} {y2}\" fill=\"none\" stroke=\"#c62828\" stroke-width=\"1.5\" stroke-dasharray=\"4\"/>\n"));
        }
        if (p.Omitted > 0) Text(sb, Pad, Y(rows - 1) + 17, $"… {p.Omitted.ToString(System.Globalization.CultureInfo.InvariantCulture)} more functions not drawn", "#555");
        return sb.Append("</svg>\n").ToString();
    }
}
