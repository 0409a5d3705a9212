using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// Builds a report's pictures from the state at the end of a run: the core's devices, groups and
/// domains, the page tables' leaves, the DMA API's IOVA trees and the event log. Only reads; the
/// order of everything is fixed (SoC order for instances and devices, ids for groups and domains,
/// addresses for segments), and sizes are bounded so a hostile scenario cannot grow a picture
/// past <see cref="MaxNodes"/> boxes or <see cref="MaxSegments"/> segments.
/// </summary>
public static class PictureBuilder
{
    /// <summary>Most devices, groups and domains a topology picture draws; the rest are counted.</summary>
    public const int MaxNodes = 160;
    /// <summary>Most segments an IOVA map draws; the rest are counted.</summary>
    public const int MaxSegments = 64;
    /// <summary>Most IOVA maps a report carries (one per domain, lowest ids first).</summary>
    public const int MaxMaps = 16;

    public static ReportPictures Build(Scenario scenario, IommuCore core, Func<IommuDomain, IReadOnlyList<PageTables.Leaf>> mappings)
    {
        var topology = scenario.Pictures.HasFlag(PictureSet.Topology) ? Topology(core) : null;
        var maps = scenario.Pictures.HasFlag(PictureSet.IovaMaps) ? IovaMaps(scenario.Soc, core, mappings) : [];
        return new ReportPictures(topology, maps);
    }

    // ------------------------------------------------------------------ topology

    private static TopologyPicture Topology(IommuCore core)
    {
        var domains = new List<TopoDomain>();
        var domainIndex = new Dictionary<IommuDomain, int>();
        var tables = new List<TopoTable>();
        var tableIndex = new Dictionary<PageTables.IIoPageTable, int>();
        int nodes = 0, omitted = 0;

        int? DomainOf(IommuDomain? d)
        {
            if (d is null) return null;
            if (domainIndex.TryGetValue(d, out var i)) return i;
            int? table = null;
            if (d.PageTable is { } pt && d.Type.IsPaging())
            {
                if (!tableIndex.TryGetValue(pt, out var t))
                {
                    t = tables.Count;
                    tables.Add(new TopoTable(pt.Format, pt.Ttbr));
                    tableIndex[pt] = t;
                }
                table = t;
            }
            domainIndex[d] = domains.Count;
            domains.Add(new TopoDomain(d.Name, d.Type.Name(), d.Freed, table));
            return domains.Count - 1;
        }

        var instances = new List<TopoInstance>();
        var placed = new HashSet<IommuGroup>();
        foreach (var inst in core.Soc.Iommus)
        {
            var slots = new List<(string Label, List<TopoGroup> Groups)>();
            var loose = new List<TopoLoose>();
            foreach (var dev in core.Devices.Where(d => d.Iommu == inst))
            {
                if (dev.Group is not { } g)
                {
                    if (nodes++ >= MaxNodes) { omitted++; continue; }
                    var why = core.FailedInstances.ContainsKey(inst.Name) ? $"{inst.Name}'s registration failed: -{dev.ProbeError.Errno}" : $"probe failed: -{dev.ProbeError.Errno}";
                    loose.Add(new TopoLoose(dev.Name, why));
                    continue;
                }
                // A group shared by instances on one hw_list is drawn under the instance of its first device.
                if (g.Devices[0].Iommu != inst || !placed.Add(g)) continue;
                if (nodes + 1 + g.Devices.Count > MaxNodes) { omitted += 1 + g.Devices.Count; continue; }
                nodes += 1 + g.Devices.Count;
                var label = g.Devices[0].Driver.GroupSlot(g);
                var slot = slots.FindIndex(s => s.Label == label);
                if (slot < 0) { slots.Add((label, new List<TopoGroup>())); slot = slots.Count - 1; }
                int? cur = DomainOf(g.Domain), def = g.DefaultDomain == g.Domain ? cur : DomainOf(g.DefaultDomain);
                slots[slot].Groups.Add(new TopoGroup(g.Name, g.Devices.Select(d => d.Name).ToList(), cur, def));
            }
            instances.Add(new TopoInstance(inst.Name, $"{inst.Driver} {inst.Type}",
                slots.Select(s => new TopoSlot(s.Label, s.Groups.OrderBy(x => GroupId(x.Name)).ToList())).ToList(), loose));
        }
        // Domains no group is on (allocated and never attached, or detached) still own tables; a freed
        // domain is drawn while a live one still translates with its table (MediaTek's share_dom).
        foreach (var d in core.Domains.Where(d => !domainIndex.ContainsKey(d) &&
                     (!d.Freed || d.PageTable is { } pt && core.Domains.Any(o => !o.Freed && o.PageTable == pt))))
        {
            if (nodes++ >= MaxNodes) { omitted++; continue; }
            DomainOf(d);
        }
        return new TopologyPicture(instances, domains, tables, omitted);
    }

    private static int GroupId(string name) => int.TryParse(name.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : int.MaxValue;

    // ------------------------------------------------------------------ IOVA maps

    private readonly record struct Span(ulong Lo, ulong Hi, IovaKind Kind, string Label);

    private static List<IovaMapPicture> IovaMaps(Soc soc, IommuCore core, Func<IommuDomain, IReadOnlyList<PageTables.Leaf>> mappings)
    {
        var maps = new List<IovaMapPicture>();
        var cookies = core.Dma.Cookies.ToDictionary(c => c.Domain, c => c.Cookie);
        foreach (var d in core.Domains.Where(d => !d.Freed && d.Type.IsPaging()).OrderBy(d => d.Id))
        {
            var spans = new List<Span>();
            var groups = core.Groups.Where(g => g.Domain == d).ToList();
            foreach (var g in groups)
            {
                foreach (var r in core.GroupResvRegions(g))
                    spans.Add(new Span(r.Start, r.Last, IovaKind.Reserved, $"reserved region ({r.Type.Name()})"));
                foreach (var dev in g.Devices)
                    foreach (var w in dev.Spec.Firmware)
                        if (w.Size > 0)
                            spans.Add(new Span(w.Iova, w.Iova + w.Size - 1, IovaKind.Window, $"{dev.Name} firmware '{w.Name}'"));
            }
            if (d.PageTable is { } pt)
            {
                // Domains that share one io-pgtable (MediaTek's share_dom) see each other's mappings.
                var sharing = core.Domains.Where(o => o != d && o.PageTable == pt).Select(o => o.Freed ? $"{o.Name}, freed" : o.Name).ToList();
                AddRuns(spans, mappings(d).Select(m => (m.Iova, m.Iova + m.Size - 1)), IovaKind.Mapping, n =>
                {
                    var notes = new List<string>();
                    if (n > 1) notes.Add($"{n} extents");
                    if (sharing.Count > 0) notes.Add($"table shared with {string.Join(", ", sharing)}");
                    return notes.Count == 0 ? "mapped" : $"mapped ({string.Join(", ", notes)})";
                });
            }
            if (cookies.TryGetValue(d, out var cookie) && cookie.Iovad.Count > 0)
            {
                int sh = cookie.Iovad.Shift;
                var reserved = spans.Where(s => s.Kind == IovaKind.Reserved).ToList();
                var allocs = cookie.Iovad.Dump().Select(r => (Lo: r.Lo << sh, Hi: ((r.Hi + 1) << sh) - 1))
                    .Where(r => !reserved.Any(s => s.Lo <= r.Lo && r.Hi <= s.Hi)); // reserve_iova's own entries
                // The rbtree keeps a range freed into the rcache too (free_iova_fast): these are the tree's ranges, live or cached.
                AddRuns(spans, allocs, IovaKind.Dma, n => $"IOVA tree ({n} range{(n == 1 ? "" : "s")})");
            }
            var faults = core.Machine.Log.Events.Where(e => e.Domain == d.Name && e.Kind is "fault" or "stale-translation")
                .Select(e => (Lo: e.Iova & ~0xfffUL, Hi: (e.Iova & ~0xfffUL) + 0xfff));
            AddRuns(spans, faults, IovaKind.Fault, n => $"{n} fault{(n == 1 ? "" : "s")} or stale access{(n == 1 ? "" : "es")}");
            if (spans.Count == 0) continue;
            if (maps.Count == MaxMaps) break;
            var (segments, omitted) = Segments(spans);
            maps.Add(new IovaMapPicture(d.Name, d.Type.Name(), d.GeometrySet ? d.ApertureStart : null, d.GeometrySet ? d.ApertureEnd : null, segments, omitted));
        }
        return maps;
    }

    /// <summary>Ranges (sorted or not) folded into runs where they touch or overlap; each run counts its ranges.</summary>
    private static void AddRuns(List<Span> spans, IEnumerable<(ulong Lo, ulong Hi)> ranges, IovaKind kind, Func<int, string> label)
    {
        ulong lo = 0, hi = 0;
        int n = 0;
        foreach (var (l, h) in ranges.OrderBy(r => r.Lo).ThenBy(r => r.Hi))
        {
            if (n > 0 && (l <= hi || l == hi + 1))
            {
                hi = Math.Max(hi, h);
                n++;
                continue;
            }
            if (n > 0) spans.Add(new Span(lo, hi, kind, label(n)));
            (lo, hi, n) = (l, h, 1);
        }
        if (n > 0) spans.Add(new Span(lo, hi, kind, label(n)));
    }

    /// <summary>
    /// Cuts the IOVA space at every span boundary; each piece lists what covers it and takes the
    /// highest kind's colour; pieces nobody covers between two spans are gaps.
    /// </summary>
    private static (List<IovaSegment>, int) Segments(List<Span> spans)
    {
        var cuts = new SortedSet<ulong>();
        bool toTop = false;
        foreach (var s in spans)
        {
            cuts.Add(s.Lo);
            if (s.Hi == ulong.MaxValue) toTop = true; else cuts.Add(s.Hi + 1);
        }
        var points = cuts.ToList();
        var segments = new List<IovaSegment>();
        int omitted = 0;
        for (int i = 0; i < points.Count; i++)
        {
            ulong lo = points[i];
            ulong hi;
            if (i + 1 < points.Count) hi = points[i + 1] - 1;
            else if (toTop) hi = ulong.MaxValue;
            else break;
            if (segments.Count == MaxSegments) { omitted++; continue; }
            var covering = spans.Where(s => s.Lo <= lo && hi <= s.Hi).ToList();
            var kind = covering.Count == 0 ? IovaKind.Gap : covering.Max(s => s.Kind);
            segments.Add(new IovaSegment(lo, hi, kind, covering.OrderByDescending(s => s.Kind).Select(s => s.Label).Distinct().ToList()));
        }
        return (segments, omitted);
    }
}
