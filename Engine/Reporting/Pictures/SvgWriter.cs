using System.Globalization;
using System.Text;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// Pictures as SVG the engine lays out itself (no script, no fetched library): fixed-width text,
/// integer coordinates, presentation attributes only (no style element, so the dashboard's
/// Content-Security-Policy needs nothing more). Every piece of user text is XML-escaped and clipped.
/// The same records as <see cref="MermaidWriter"/>; the layout is columns and rows, not a graph search.
/// </summary>
public static partial class SvgWriter
{
    private const int Row = 26, CharW = 8, Pad = 8, Font = 12;

    public static string Draw(object picture) => picture switch
    {
        TopologyPicture t => Topology(t),
        IovaMapPicture m => IovaMap(m),
        PciTreePicture t => PciTree(t),
        _ => throw new ArgumentException("not a picture", nameof(picture)),
    };

    public static string Topology(TopologyPicture p)
    {
        // Rows: instance header, slot header, then one row per device of each group (at least one).
        var deviceRows = new List<(int Row, string Name, bool Loose)>();
        var groupBoxes = new List<(int Row, int Rows, TopoGroup G)>();
        var slotBoxes = new List<(int Row, int Rows, string Label)>();
        var instBoxes = new List<(int Row, int Rows, string Label)>();
        var looseText = new List<(int Row, string Why)>();
        int row = 0;
        foreach (var inst in p.Instances)
        {
            int instRow = row++;
            foreach (var slot in inst.Slots)
            {
                int slotRow = row++;
                foreach (var g in slot.Groups)
                {
                    groupBoxes.Add((row, Math.Max(1, g.Devices.Count), g));
                    for (int i = 0; i < g.Devices.Count; i++) deviceRows.Add((row + i, g.Devices[i], false));
                    row += Math.Max(1, g.Devices.Count);
                }
                slotBoxes.Add((slotRow, row - slotRow, slot.Label));
            }
            foreach (var l in inst.Ungrouped)
            {
                deviceRows.Add((row, l.Device, true));
                looseText.Add((row++, "no group: " + l.Why));
            }
            instBoxes.Add((instRow, row - instRow, $"{inst.Name} · {inst.Driver}"));
        }

        // Domains sit at the row of the first group that uses them (or below the last domain); tables beside their first domain.
        var domRow = new int[p.Domains.Count];
        var wanted = Enumerable.Repeat(int.MaxValue, p.Domains.Count).ToArray();
        foreach (var (r, _, g) in groupBoxes)
        {
            if (g.Current is { } c) wanted[c] = Math.Min(wanted[c], r);
            if (g.Default is { } d) wanted[d] = Math.Min(wanted[d], r);
        }
        int next = 0;
        foreach (var m in Enumerable.Range(0, p.Domains.Count).OrderBy(m => wanted[m]).ThenBy(m => m))
        {
            domRow[m] = Math.Max(next, wanted[m] == int.MaxValue ? next : wanted[m]);
            next = domRow[m] + 1;
        }
        var tableRow = new int[p.Tables.Count];
        Array.Fill(tableRow, -1);
        next = 0;
        foreach (var m in Enumerable.Range(0, p.Domains.Count).OrderBy(m => domRow[m]))
            if (p.Domains[m].Table is { } t && tableRow[t] < 0)
            {
                tableRow[t] = Math.Max(next, domRow[m]);
                next = tableRow[t] + 1;
            }
        int rows = Math.Max(row, Math.Max(p.Domains.Count == 0 ? 0 : domRow.Max() + 1, p.Tables.Count == 0 ? 0 : tableRow.Max() + 1)) + (p.Omitted > 0 ? 1 : 0);

        var domLabel = p.Domains.Select(d => $"{d.Name} · {d.Type}{(d.Freed ? ", freed" : "")}").ToList();
        var tableLabel = p.Tables.Select(t => $"{t.Format} · TTBR {Hex.Of(t.Ttbr)}").ToList();
        int devW = Width(deviceRows.Select(d => d.Name), 6);
        int instW = Math.Max(Math.Max(Width(instBoxes.Select(b => b.Label), 8), Width(slotBoxes.Select(s => s.Label), 8) + 2 * Pad),
            Math.Max(Width(groupBoxes.Select(g => g.G.Name), 6) + 4 * Pad, Width(looseText.Select(l => l.Why), 8) + 2 * Pad));
        int domW = Width(domLabel, 8), tabW = Width(tableLabel, 8);
        int x0 = Pad, x1 = x0 + devW + 4 * Pad, x2 = x1 + instW + 8 * Pad, x3 = x2 + domW + 6 * Pad;
        int width = (p.Tables.Count > 0 ? x3 + tabW : x2 + domW) + Pad, height = rows * Row + 2 * Pad;

        var sb = Open(width, height, "topology: IOMMUs, banks or context banks, groups, devices, domains and page tables");
        foreach (var (r, n, label) in instBoxes) Box(sb, x1, Y(r), instW, n * Row - 2, "#f7f7f7", "#888", label, bold: true);
        foreach (var (r, n, label) in slotBoxes) Box(sb, x1 + Pad, Y(r), instW - 2 * Pad, n * Row - 4, "#fff", "#aaa", label);
        foreach (var (r, n, g) in groupBoxes) Box(sb, x1 + 2 * Pad, Y(r) + 2, instW - 4 * Pad, n * Row - 6, "#e8f0ff", "#36a", g.Name);
        foreach (var (r, why) in looseText) Text(sb, x1 + 2 * Pad, Y(r) + 17, why, "#a33");
        foreach (var (r, name, loose) in deviceRows)
        {
            Box(sb, x0, Y(r) + 3, devW, Row - 6, loose ? "#fdd" : "#eef", loose ? "#a33" : "#557", name);
            if (!loose) Line(sb, x0 + devW, Y(r) + Row / 2, x1 + 2 * Pad, Y(r) + Row / 2, "#557", dashed: false);
        }
        foreach (var (r, _, g) in groupBoxes)
        {
            int gy = Y(r) + Row / 2, gx = x1 + instW - 2 * Pad;
            if (g.Current is { } c) Curve(sb, gx, gy, x2, Y(domRow[c]) + Row / 2, "#222", dashed: false);
            if (g.Default is { } d && d != g.Current) Curve(sb, gx, gy, x2, Y(domRow[d]) + Row / 2, "#777", dashed: true);
        }
        for (int m = 0; m < p.Domains.Count; m++)
        {
            Box(sb, x2, Y(domRow[m]) + 3, domW, Row - 6, p.Domains[m].Freed ? "#fdd" : "#fff3d6", "#a80", domLabel[m], rounded: true);
            if (p.Domains[m].Table is { } t) Curve(sb, x2 + domW, Y(domRow[m]) + Row / 2, x3, Y(tableRow[t]) + Row / 2, "#36a", dashed: false);
        }
        for (int t = 0; t < p.Tables.Count; t++) Box(sb, x3, Y(tableRow[t]) + 3, tabW, Row - 6, "#d6f5d6", "#383", tableLabel[t]);
        if (p.Omitted > 0) Text(sb, x0, Y(rows - 1) + 17, $"… {p.Omitted.ToString(CultureInfo.InvariantCulture)} more devices, groups or domains not drawn", "#555");
        return sb.Append("</svg>\n").ToString();
    }

    public static string IovaMap(IovaMapPicture p)
    {
        const int addrW = 20 * CharW, barW = 120, gapH = 18;
        var title = $"{p.Domain} ({p.Type}), aperture {MermaidWriter.Aperture(p)}";
        var labels = p.Segments.Select(s => $"{MermaidWriter.Size(s)} · {(s.Kind == IovaKind.Gap ? "nothing" : string.Join("; ", s.Labels.Select(l => Display.Clip(l, 60))))}").ToList();
        int xBar = Pad + addrW, xText = xBar + barW + Pad;
        int width = Math.Max(xText + Width(labels, 10, MaxJoined), Pad + Width([title], 10)) + Pad;
        int height = Pad + Row + p.Segments.Sum(s => s.Kind == IovaKind.Gap ? gapH : Row) + Row + (p.Omitted > 0 ? Row : 0) + Pad;
        var sb = Open(width, height, $"IOVA map of {p.Domain}");
        Text(sb, Pad, Pad + 16, title, "#222", bold: true);
        int y = Pad + Row;
        for (int i = 0; i < p.Segments.Count; i++)
        {
            var s = p.Segments[i];
            int h = s.Kind == IovaKind.Gap ? gapH : Row;
            var (fill, stroke) = PictureStyle.Colours(s.Kind);
            sb.Append(Inv($"<rect x=\"{xBar}\" y=\"{y}\" width=\"{barW}\" height=\"{h}\" fill=\"{fill}\" stroke=\"{stroke}\""))
              .Append(s.Kind == IovaKind.Gap ? " stroke-dasharray=\"4\"" : "").Append("/>\n");
            Text(sb, Pad, y + 12, Hex.Of(s.Lo), "#333");
            Text(sb, xText, y + h / 2 + 4, labels[i], s.Kind == IovaKind.Fault ? "#b00" : "#222", max: MaxJoined);
            y += h;
        }
        if (p.Segments.Count > 0) Text(sb, Pad, y + 4, Hex.Of(p.Segments[^1].Hi), "#333");
        if (p.Omitted > 0) Text(sb, Pad, y + Row, $"… {p.Omitted.ToString(CultureInfo.InvariantCulture)} more segments not drawn", "#555");
        return sb.Append("</svg>\n").ToString();
    }

    private static int Y(int row) => Pad + row * Row;

    /// <summary>Pixels for the longest label as <see cref="Xml"/> will print it (at most <paramref name="max"/> characters and the "… (N characters)" note).</summary>
    private static int Width(IEnumerable<string> labels, int minChars, int max = MaxChars) =>
        Math.Max(minChars, labels.Select(l => Xml(l, max).Length).DefaultIfEmpty(0).Max()) * CharW + 2 * Pad;

    /// <summary>Most characters of one label; a segment's joined labels get <see cref="MaxJoined"/>.</summary>
    private const int MaxChars = 80, MaxJoined = 400;

    private static StringBuilder Open(int width, int height, string label) =>
        new StringBuilder().Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\""))
            .Append(Xml(label)).Append(Inv($"\" font-family=\"monospace\" font-size=\"{Font}\">\n"));

    private static void Box(StringBuilder sb, int x, int y, int w, int h, string fill, string stroke, string label, bool bold = false, bool rounded = false)
    {
        sb.Append(Inv($"<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\" stroke=\"{stroke}\"")).Append(rounded ? " rx=\"9\"" : "").Append("/>\n");
        Text(sb, x + Pad, y + 15, label, "#222", bold);
    }

    private static void Text(StringBuilder sb, int x, int y, string text, string colour, bool bold = false, int max = MaxChars) =>
        sb.Append(Inv($"<text x=\"{x}\" y=\"{y}\" fill=\"{colour}\"")).Append(bold ? " font-weight=\"bold\"" : "").Append('>').Append(Xml(text, max)).Append("</text>\n");

    private static void Line(StringBuilder sb, int x1, int y1, int x2, int y2, string colour, bool dashed) =>
        sb.Append(Inv($"<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{colour}\"")).Append(dashed ? " stroke-dasharray=\"5\"" : "").Append("/>\n");

    private static void Curve(StringBuilder sb, int x1, int y1, int x2, int y2, string colour, bool dashed)
    {
        int mid = (x1 + x2) / 2;
        sb.Append(Inv($"<path d=\"M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\""))
          .Append(dashed ? " stroke-dasharray=\"5\"" : "").Append("/>\n");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>User text as XML character data or attribute value: controls made visible, clipped, markup characters escaped, lone surrogates replaced.</summary>
    public static string Xml(string s, int max = MaxChars)
    {
        var text = Display.Clip(s, max);
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: Display.AppendScalar(sb, text, ref i); break;
            }
        }
        return sb.ToString();
    }
}
