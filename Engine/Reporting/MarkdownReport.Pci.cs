using System.Text;
using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting;

/// <summary>The report's PCI section: host bridges, one row per function in enumeration order, the fixups the kernel made, and the PCI tree picture.</summary>
public static partial class MarkdownReport
{
    private static void PciSection(StringBuilder sb, PciState pci, Pictures.PciTreePicture? tree)
    {
        sb.Append("\n## PCI\n\n");
        foreach (var hb in pci.HostBridges)
            sb.Append($"- host bridge **{Escape(hb.Name)}** (segment {hb.Segment}, buses {hb.Buses}): {Escape(string.Join("; ", hb.Properties))}\n");
        sb.Append("\n| function | type | ID | buses | ACS (capability → control) | capabilities | DMA aliases | IOMMU | group |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|\n");
        int rows = 0;
        foreach (var f in pci.Functions)
        {
            if (rows++ == MaxRows)
            {
                sb.Append(More(MaxRows, pci.Functions.Count, "PCI functions"));
                break;
            }
            var name = f.Name == f.Bdf ? f.Bdf : $"{f.Bdf} ({Escape(f.Name)})";
            var acs = f.AcsQuirk is { } q ? $"{f.Acs}; {q} decides" : f.Acs;
            sb.Append($"| {name} | {f.Type} | {f.Id ?? "—"} | {f.Buses ?? "—"} | {acs} | {f.Caps} | {Escape(f.Aliases)} | {Escape(f.Iommu)} | {f.Group ?? "—"} |\n");
        }
        var notes = pci.Functions.SelectMany(f => f.Notes.Select(n => (f.Bdf, n))).ToList();
        if (notes.Count > 0)
        {
            sb.Append('\n');
            foreach (var (bdf, n) in notes.Take(MaxRows)) sb.Append($"- {bdf}: {Escape(n)}\n");
        }
        if (tree is not null)
        {
            sb.Append('\n');
            Pictures.MermaidPciTree.Write(sb, tree);
        }
    }
}
