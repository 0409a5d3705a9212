using System.Globalization;
using System.Text;
using ScenarioEngine.Model;
using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting;

/// <summary>`scenario groups` for a terminal: a heading, one line per group (its devices, then the rule that put each there), the hazards, and the masters without a group. Every piece of user text is made safe for a terminal (Display.Controls).</summary>
public static class GroupsText
{
    public static string Render(GroupsDoc doc)
    {
        var sb = new StringBuilder();
        sb.Append(Clean($"{doc.Soc} ({doc.SocFile}): {doc.Groups.Count} IOMMU group(s) at boot; {doc.Kernel}")).Append('\n');
        foreach (var line in doc.PciLog) sb.Append(Clean("pci: " + line)).Append('\n');
        int width = doc.Groups.Count == 0 ? 6 : doc.Groups.Max(g => $"group{g.Id}".Length);
        foreach (var g in doc.Groups)
        {
            sb.Append(Clean($"group{g.Id.ToString(CultureInfo.InvariantCulture)}").PadRight(width)).Append("  ")
              .Append(Clean(string.Join(", ", g.Names))).Append(" — ").Append(Clean(string.Join("; ", g.Short))).Append('\n');
        }
        foreach (var h in doc.Hazards) sb.Append(Clean($"{h.Kind}: {h.Text}")).Append('\n');
        foreach (var l in doc.Ungrouped) sb.Append(Clean($"no group: {l.Device}: {l.Why}")).Append('\n');
        return sb.ToString();
    }

    private static string Clean(string s) => Display.Controls(s);
}
