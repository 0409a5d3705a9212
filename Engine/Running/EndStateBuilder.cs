using ScenarioEngine.Dma;
using ScenarioEngine.Record;
using ScenarioEngine.Drivers;
using ScenarioEngine.Kernel;

namespace ScenarioEngine.Running;

/// <summary>Reads the live core once, at the end of a run, into the <see cref="EndState"/> the writers use.</summary>
internal static class EndStateBuilder
{
    /// <summary>The report's notes under an instance's flags: where a compatible filled it from (and what the file overrode), then the family's own.</summary>
    internal static IReadOnlyList<string> FlagNotes(Model.IommuInstance i)
    {
        var notes = Families.Find(i.Driver)!.FlagNotes(i).ToList();
        if (i.Compatible is { } c)
            notes.Insert(0, $"compatible {c.Compatible} ({c.Source})" + (c.Overridden.Count > 0 ? $"; overridden here: {string.Join(", ", c.Overridden)}" : ""));
        return notes;
    }

    public static EndState Build(IommuCore core, Func<IommuDomain, IReadOnlyList<MappingState>> mappings)
    {
        // the run's events, taken before anything below asks a driver a question that could log one
        var events = core.Machine.Log.Events.Select(Record).ToList();
        int dropped = core.Machine.Log.Dropped;
        var iommus = core.Soc.Iommus.Select(i =>
        {
            var family = Families.Find(i.Driver)!;
            return new IommuCells(i.Name, family.DescribeBanks(i), family.DescribeRegions(i).ToList(), FlagNotes(i));
        }).ToList();

        var devices = core.Devices.Select(d => new DeviceState(d.Name, d.Iommu.Name, d.Driver.DeviceLocation(d), d.Group?.Name,
            core.FailedInstances.ContainsKey(d.Iommu.Name), d.ProbeError.Errno.ToString(), d.DmaMask)).ToList();

        var tables = new List<TableState>();
        var tableIndex = new Dictionary<PageTables.IIoPageTable, int>();
        var domains = new List<DomainState>();
        var seen = new HashSet<IommuDomain>();
        void AddDomain(IommuDomain d)
        {
            if (!seen.Add(d)) return;
            int? table = null;
            if (d.PageTable is { } pt)
            {
                if (!tableIndex.TryGetValue(pt, out var t))
                {
                    t = tables.Count;
                    tables.Add(new TableState(pt.Format, pt.Ttbr, pt.Cfg.Ias, pt.Cfg.Oas, pt.TableBytes, pt.Warnings));
                    tableIndex[pt] = t;
                }
                table = t;
            }
            bool live = d.PageTable is not null && d.Type.IsPaging() && !d.Freed;
            domains.Add(new DomainState(d.Id, d.Name, d.Type.Name(), d.Freed, d.Type.IsPaging(), table,
                d.GeometrySet ? d.ApertureStart : null, d.GeometrySet ? d.ApertureEnd : null)
            {
                Mappings = live ? mappings(d) : null,
            });
        }
        foreach (var d in core.Domains) AddDomain(d);
        foreach (var g in core.Groups)
        {
            if (g.DefaultDomain is { } dd) AddDomain(dd);
            if (g.Domain is { } cd) AddDomain(cd);
        }

        var groups = core.Groups.Select(g => new GroupState(g.Id, g.Name, g.Devices[0].Driver.GroupSlot(g), g.Devices[0].Iommu.Name,
            g.Devices.Select(d => d.Name).ToList(), g.DefaultDomain?.Name, g.Domain?.Name, g.OwnerCnt,
            core.GroupResvRegions(g).Select(r => new ResvState(r.Start, r.Last, r.Type.Name())).ToList())).ToList();

        var dma = core.Dma.Cookies.Where(c => c.Cookie.Iovad.Count > 0 || c.Cookie.Fq is { Count: > 0 }).Select(c =>
        {
            var iovad = c.Cookie.Iovad;
            int sh = iovad.Shift;
            var (cached, cached32) = iovad.CacheState;
            (ulong, ulong)? Bytes((ulong Lo, ulong Hi)? n) => n is { } v ? (v.Lo << sh, ((v.Hi + 1) << sh) - 1) : null;
            return new DmaCookieState(c.Domain.Name, c.Domain.Type.Name(), iovad.Granule, iovad.StartPfn, c.Cookie.Fq is not null,
                iovad.Dump().Select(r => (r.Lo << sh, ((r.Hi + 1) << sh) - 1)).ToList(), Bytes(cached), Bytes(cached32), iovad.Max32AllocSize,
                iovad.RcacheState.ToList(), c.Cookie.Fq is { } fq ? new FlushQueueState(fq.Count, fq.FlushCount, fq.TimerOn, fq.TimerDue) : null);
        }).ToList();

        return new EndState(core.GlobalDefaultType.Name().ToUpperInvariant().Replace('-', '_'), iommus, core.BootEvents.Select(b => b.Text).ToList(), devices, groups,
            domains, tables, dma, events, dropped, Hardware.EventLog.MaxEvents) { Pci = PciStateBuilder.Build(core) };
    }

    public static RecordedEvent Record(Hardware.SimEvent e) => new(e.Kind, e.Line, e.Device, e.Iova, e.Write, e.FaultKind, e.Domain, e.Why)
    {
        RegistersLine = e.Registers?.ReportLine,
        Message = e.Registers?.Message,
        Pa = e.Pa,
        UnmapLine = e.UnmapLine,
    };
}
