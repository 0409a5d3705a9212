using System.Globalization;
using System.Text;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// The PCI tree as a Mermaid flowchart (top to bottom): host bridges, functions under the bridge
/// above them, each function filled with its group's colour (groups cycle through eight), and the
/// p2p-across-groups hazards as dashed red links. Labels go through <see cref="MermaidWriter.Label"/>.
/// </summary>
public static class MermaidPciTree
{
    /// <summary>Fill and stroke of group N (N mod 8).</summary>
    internal static readonly (string Fill, string Stroke)[] Palette =
    [
        ("#e8f0fe", "#4a6fa5"), ("#e6f4ea", "#3c7a4a"), ("#fef7e0", "#a07d1c"), ("#fce8e6", "#a5463c"),
        ("#f3e8fd", "#7a4aa5"), ("#e0f7fa", "#2f7f89"), ("#fff0e0", "#a5662f"), ("#eceff1", "#546e7a"),
    ];

    public static void Write(StringBuilder sb, PciTreePicture p)
    {
        sb.Append("```mermaid\nflowchart TB\n");
        var links = new StringBuilder();
        var used = new SortedSet<int>();
        for (int i = 0; i < p.Nodes.Count; i++)
        {
            var n = p.Nodes[i];
            var id = "p" + Inv(i);
            sb.Append(n.HostBridge ? $"  {id}{{{{\"{MermaidWriter.Label(n.Label)}<br/>{MermaidWriter.Label(n.Sub)}\"}}}}\n" : $"  {id}[\"{MermaidWriter.Label(n.Label)}<br/>{MermaidWriter.Label(n.Sub)}\"]\n");
            if (n.Parent is { } par) links.Append($"  p{Inv(par)} --- {id}\n");
            if (n.Group is { } g)
            {
                used.Add(g % Palette.Length);
                links.Append($"  class {id} pg{Inv(g % Palette.Length)}\n");
            }
        }
        int linkIndex = p.Nodes.Count(n => n.Parent is not null);
        var hazardLinks = new List<int>();
        foreach (var h in p.Hazards)
        {
            links.Append($"  p{Inv(h.From)} {(h.BothWays ? "<-.->" : "-.->")}|p2p, no IOMMU| p{Inv(h.To)}\n");
            hazardLinks.Add(linkIndex++);
        }
        if (p.Omitted > 0) sb.Append($"  more[\"… {Inv(p.Omitted)} more functions not drawn\"]\n");
        sb.Append(links);
        foreach (var g in used)
            sb.Append($"  classDef pg{Inv(g)} fill:{Palette[g].Fill},stroke:{Palette[g].Stroke}\n");
        if (hazardLinks.Count > 0)
            sb.Append($"  linkStyle {string.Join(",", hazardLinks.Select(Inv))} stroke:#c62828,stroke-width:2px,stroke-dasharray:4\n");
        sb.Append("```\n");
    }

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
