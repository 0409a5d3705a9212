using ScenarioEngine.Record;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// Builds a report's pictures from the run's <see cref="EndState"/>: its devices, groups and domains,
/// the page tables' leaves, the DMA API's IOVA trees and the event log, and the SoC. Only reads; the
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

    public static ReportPictures Build(Scenario scenario, EndState state)
    {
        var topology = scenario.Pictures.HasFlag(PictureSet.Topology) ? Topology(scenario.Soc, state) : null;
        var maps = scenario.Pictures.HasFlag(PictureSet.IovaMaps) ? IovaMaps(scenario.Soc, state) : [];
        return new ReportPictures(topology, maps) { PciTree = scenario.Pictures.HasFlag(PictureSet.Topology) ? PciTreePicture.Build(state.Pci) : null };
    }

    // ------------------------------------------------------------------ topology

    private static TopologyPicture Topology(Soc soc, EndState state)
    {
        var domains = new List<TopoDomain>();
        var domainIndex = new Dictionary<string, int>();
        var tables = new List<TopoTable>();
        var tableIndex = new Dictionary<int, int>();
        var byName = new Dictionary<string, DomainState>();
        foreach (var d in state.Domains) byName.TryAdd(d.Name, d);
        int nodes = 0, omitted = 0;

        int? DomainOf(string? name)
        {
            if (name is null) return null;
            if (domainIndex.TryGetValue(name, out var i)) return i;
            var d = byName[name];
            int? table = null;
            if (d.Table is { } pt && d.Paging)
            {
                if (!tableIndex.TryGetValue(pt, out var t))
                {
                    t = tables.Count;
                    tables.Add(new TopoTable(state.Tables[pt].Format, state.Tables[pt].Ttbr));
                    tableIndex[pt] = t;
                }
                table = t;
            }
            domainIndex[name] = domains.Count;
            domains.Add(new TopoDomain(d.Name, d.Type, d.Freed, table));
            return domains.Count - 1;
        }

        var groups = state.Groups.ToDictionary(g => g.Name);
        var instances = new List<TopoInstance>();
        var placed = new HashSet<string>();
        foreach (var inst in soc.Iommus)
        {
            var slots = new List<(string Label, List<TopoGroup> Groups)>();
            var loose = new List<TopoLoose>();
            foreach (var dev in state.Devices.Where(d => d.Iommu == inst.Name))
            {
                if (dev.Group is not { } gname)
                {
                    if (nodes++ >= MaxNodes) { omitted++; continue; }
                    var why = dev.RegistrationFailed ? $"{inst.Name}'s registration failed: -{dev.ProbeErrno}" : $"probe failed: -{dev.ProbeErrno}";
                    loose.Add(new TopoLoose(dev.Name, why));
                    continue;
                }
                var g = groups[gname];
                // A group shared by instances on one hw_list is drawn under the instance of its first device.
                if (g.Iommu != inst.Name || !placed.Add(g.Name)) continue;
                if (nodes + 1 + g.Devices.Count > MaxNodes) { omitted += 1 + g.Devices.Count; continue; }
                nodes += 1 + g.Devices.Count;
                var slot = slots.FindIndex(s => s.Label == g.Slot);
                if (slot < 0) { slots.Add((g.Slot, new List<TopoGroup>())); slot = slots.Count - 1; }
                int? cur = DomainOf(g.CurrentDomain), def = g.DefaultDomain == g.CurrentDomain ? cur : DomainOf(g.DefaultDomain);
                slots[slot].Groups.Add(new TopoGroup(g.Id, g.Name, g.Devices, cur, def));
            }
            instances.Add(new TopoInstance(inst.Name, $"{inst.Driver} {inst.Type}",
                slots.Select(s => new TopoSlot(s.Label, s.Groups.OrderBy(x => x.Id).ToList())).ToList(), loose));
        }
        // Domains no group is on (allocated and never attached, or detached) still own tables; a freed
        // domain is drawn while a live one still translates with its table (MediaTek's share_dom).
        foreach (var d in state.Domains.Where(d => d.Id != 0 && !domainIndex.ContainsKey(d.Name) &&
                     (!d.Freed || d.Table is { } pt && state.Domains.Any(o => o.Id != 0 && !o.Freed && o.Table == pt))))
        {
            if (nodes++ >= MaxNodes) { omitted++; continue; }
            DomainOf(d.Name);
        }
        return new TopologyPicture(instances, domains, tables, omitted);
    }

    // ------------------------------------------------------------------ IOVA maps

    private readonly record struct Span(ulong Lo, ulong Hi, IovaKind Kind, string Label);

    private static List<IovaMapPicture> IovaMaps(Soc soc, EndState state)
    {
        var maps = new List<IovaMapPicture>();
        var cookies = state.Dma.ToDictionary(c => c.Domain);
        var specs = soc.Devices.ToDictionary(d => d.Name);
        foreach (var d in state.Domains.Where(d => d.Id != 0 && !d.Freed && d.Paging).OrderBy(d => d.Id))
        {
            var spans = new List<Span>();
            foreach (var g in state.Groups.Where(g => g.CurrentDomain == d.Name))
            {
                foreach (var r in g.Resv)
                    spans.Add(new Span(r.Start, r.Last, IovaKind.Reserved, $"reserved region ({r.Type})"));
                foreach (var dev in g.Devices)
                    foreach (var w in specs[dev].Firmware)
                        if (w.Size > 0)
                            spans.Add(new Span(w.Iova, w.Iova + w.Size - 1, IovaKind.Window, $"{dev} firmware '{w.Name}'"));
            }
            if (d.Table is { } pt)
            {
                // Domains that share one io-pgtable (MediaTek's share_dom) see each other's mappings.
                var sharing = state.Domains.Where(o => o.Id != 0 && o != d && o.Table == pt).Select(o => o.Freed ? $"{o.Name}, freed" : o.Name).ToList();
                AddRuns(spans, (d.Mappings ?? []).Select(m => (m.Iova, m.Iova + m.Size - 1)), IovaKind.Mapping, n =>
                {
                    var notes = new List<string>();
                    if (n > 1) notes.Add($"{n} extents");
                    if (sharing.Count > 0) notes.Add($"table shared with {string.Join(", ", sharing)}");
                    return notes.Count == 0 ? "mapped" : $"mapped ({string.Join(", ", notes)})";
                }, sorted: true);
            }
            if (cookies.TryGetValue(d.Name, out var cookie) && cookie.Ranges.Count > 0)
            {
                var reserved = spans.Where(s => s.Kind == IovaKind.Reserved).ToList();
                var allocs = cookie.Ranges.Where(r => !reserved.Any(s => s.Lo <= r.Lo && r.Hi <= s.Hi)); // reserve_iova's own entries
                // The rbtree keeps a range freed into the rcache too (free_iova_fast): these are the tree's ranges, live or cached.
                AddRuns(spans, allocs, IovaKind.Dma, n => $"IOVA tree ({n} range{(n == 1 ? "" : "s")})");
            }
            var faults = state.Events.Where(e => e.Domain == d.Name && e.Kind is EventKind.Fault or EventKind.StaleTranslation or EventKind.StaleAtc)
                .Select(e => (Lo: e.Iova & ~0xfffUL, Hi: (e.Iova & ~0xfffUL) + 0xfff));
            AddRuns(spans, faults, IovaKind.Fault, n => $"{n} fault{(n == 1 ? "" : "s")} or stale access{(n == 1 ? "" : "es")}");
            if (spans.Count == 0) continue;
            if (maps.Count == MaxMaps) break;
            var (segments, omitted) = Segments(spans);
            maps.Add(new IovaMapPicture(d.Name, d.Type, d.ApertureStart, d.ApertureEnd, segments, omitted));
        }
        return maps;
    }

    /// <summary>Ranges folded into runs where they touch or overlap; each run counts its ranges. <paramref name="sorted"/>: already in ascending order (page-table leaves, the IOVA tree).</summary>
    private static void AddRuns(List<Span> spans, IEnumerable<(ulong Lo, ulong Hi)> ranges, IovaKind kind, Func<int, string> label, bool sorted = false)
    {
        ulong lo = 0, hi = 0;
        int n = 0;
        foreach (var (l, h) in sorted ? ranges : ranges.OrderBy(r => r.Lo).ThenBy(r => r.Hi))
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
