using System.Globalization;
using System.Text;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// Pictures as Mermaid flowcharts inside the Markdown report: GitHub and GitLab draw a
/// <c>```mermaid</c> block in the file view and in pull-request diffs, and elsewhere it stays
/// readable text. Node ids are the writer's own (i0, g3, d12 …); every label is user text passed
/// through <see cref="Label"/>, so no name can close a label, start a statement or a Markdown fence.
/// </summary>
public static class MermaidWriter
{
    public static void Topology(StringBuilder sb, TopologyPicture p)
    {
        sb.Append("```mermaid\nflowchart LR\n");
        int dev = 0;
        var links = new StringBuilder();
        for (int i = 0; i < p.Instances.Count; i++)
        {
            var inst = p.Instances[i];
            sb.Append($"  subgraph i{i}[\"{Label(inst.Name)} · {Label(inst.Driver)}\"]\n");
            if (Isolated(inst)) sb.Append("    direction LR\n");
            for (int s = 0; s < inst.Slots.Count; s++)
            {
                var slot = inst.Slots[s];
                sb.Append($"    subgraph i{i}s{s}[\"{Label(slot.Label)}\"]\n");
                foreach (var g in slot.Groups)
                {
                    var gid = "g" + Inv(g.Id);
                    sb.Append($"      {gid}[\"{Label(g.Name)}\"]\n");
                    foreach (var name in g.Devices)
                        links.Append($"  d{dev}[\"{Label(name)}\"] --> {gid}\n").Append($"  class d{dev++} device\n");
                    if (g.Current is { } c)
                        links.Append($"  {gid} ==>|{(g.Default == c ? "current, default" : "current")}| m{c}\n");
                    if (g.Default is { } df && df != g.Current)
                        links.Append($"  {gid} -.->|default| m{df}\n");
                }
                sb.Append("    end\n");
            }
            foreach (var l in inst.Ungrouped)
            {
                sb.Append($"    d{dev}[\"{Label(l.Device)}<br/>no group: {Label(l.Why)}\"]\n");
                links.Append($"  class d{dev++} loose\n");
            }
            sb.Append("  end\n");
        }
        for (int m = 0; m < p.Domains.Count; m++)
        {
            var d = p.Domains[m];
            sb.Append($"  m{m}([\"{Label(d.Name)}<br/>{Label(d.Type)}{(d.Freed ? ", freed" : "")}\"])\n");
            if (d.Table is { } t) links.Append($"  m{m} --- t{t}\n");
        }
        for (int t = 0; t < p.Tables.Count; t++)
            sb.Append($"  t{t}[(\"{Label(p.Tables[t].Format)}<br/>TTBR {Hex.Of(p.Tables[t].Ttbr)}\")]\n");
        if (p.Omitted > 0) sb.Append($"  more[\"… {Inv(p.Omitted)} more devices, groups or domains not drawn\"]\n");
        sb.Append(links);
        sb.Append("  classDef device fill:#eef,stroke:#557\n  classDef loose fill:#fdd,stroke:#a33\n");
        sb.Append("```\n");
    }

    /// <summary>
    /// An instance none of whose nodes links outside it (no group in any slot: its registration failed,
    /// or every master's probe did) with two or more masters left without a group. Mermaid lays such a
    /// subgraph out on its own, by default with its unlinked nodes side by side: ZynqMP's 25 masters
    /// behind a failed SMMU drew 7,786 px wide. <c>direction LR</c> inside it (Mermaid honours a
    /// subgraph's direction only when nothing in it links out) stacks them in one column, top to
    /// bottom, as the dashboard's SVG draws them; an instance with groups keeps the graph's layout.
    /// </summary>
    internal static bool Isolated(TopoInstance inst) => inst.Ungrouped.Count >= 2 && inst.Slots.All(s => s.Groups.Count == 0);

    public static void IovaMap(StringBuilder sb, IovaMapPicture p)
    {
        sb.Append("```mermaid\nflowchart TB\n");
        sb.Append($"  top[\"{Label(p.Domain)} ({Label(p.Type)}), aperture {Aperture(p)}\"]\n");
        var prev = "top";
        for (int i = 0; i < p.Segments.Count; i++)
        {
            var s = p.Segments[i];
            var what = s.Kind == IovaKind.Gap ? "nothing" : Label(string.Join("; ", s.Labels.Select(l => Display.Clip(l, 60))), int.MaxValue);
            sb.Append($"  s{i}[\"{Hex.Of(s.Lo)} – {Hex.Of(s.Hi)} · {Size(s)}<br/>{what}\"]\n");
            sb.Append($"  {prev} --- s{i}\n  class s{i} {PictureStyle.Class(s.Kind)}\n");
            prev = $"s{i}";
        }
        if (p.Omitted > 0) sb.Append($"  more[\"… {Inv(p.Omitted)} more segments not drawn\"]\n  {prev} --- more\n");
        foreach (var k in PictureStyle.Kinds.Where(k => p.Segments.Any(s => s.Kind == k)))
        {
            var (fill, stroke) = PictureStyle.Colours(k);
            sb.Append($"  classDef {PictureStyle.Class(k)} fill:{fill},stroke:{stroke}{(k == IovaKind.Gap ? ",stroke-dasharray:4" : "")}\n");
        }
        sb.Append("```\n");
    }

    internal static string Aperture(IovaMapPicture p) =>
        p.ApertureStart is { } a && p.ApertureEnd is { } e ? $"[{Hex.Of(a)}, {Hex.Of(e)}]" : "not set";

    internal static string Size(IovaSegment s) => s.Lo == 0 && s.Hi == ulong.MaxValue ? "16 EiB" : Hex.Size(s.Hi - s.Lo + 1);

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Mermaid decodes <c>#\w+;</c> (<c>#quot;</c>, <c>#35;</c>) as entity codes: a '#' is escaped only where such a code would follow.</summary>
    private static bool EntityFollows(string text, int at)
    {
        int i = at;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
        return i > at && i < text.Length && text[i] == ';';
    }

    /// <summary>
    /// User text inside a quoted Mermaid label: control characters made visible, cut to 60
    /// characters, and every character that means something to Mermaid, HTML or Markdown written as
    /// Mermaid's entity code (<c>#quot;</c>, <c>#35;</c> where a '#' would start one …); a lone surrogate becomes U+FFFD.
    /// Callers never put a ';' right after a label.
    /// </summary>
    public static string Label(string s, int max = 60)
    {
        var text = max == int.MaxValue ? Display.Controls(s) : Display.Clip(s, max);
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': sb.Append("#quot;"); break;
                case '#' when EntityFollows(text, i + 1): sb.Append("#35;"); break;
                case '<': sb.Append("#lt;"); break;
                case '>': sb.Append("#gt;"); break;
                case '&': sb.Append("#amp;"); break;
                case '`': sb.Append("#96;"); break;
                case '|': sb.Append("#124;"); break;
                case '\\': sb.Append("#92;"); break;
                default: Display.AppendScalar(sb, text, ref i); break;
            }
        }
        return sb.ToString();
    }
}
