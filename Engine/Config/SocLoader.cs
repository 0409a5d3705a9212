using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// SoC documents (docs/yaml-reference.md, SoC files) → <see cref="Soc"/>. Strict: unknown or duplicate keys, wrong types,
/// unknown references and partially overlapping windows are located errors. Driver-family rules
/// (which flags exist, default regions, derived widths) come from the driver's own description
/// (<see cref="DriverCatalog"/>), so the loader holds no kernel knowledge of its own.
/// </summary>
public static class SocLoader
{
    private static readonly string[] SocKeys = YamlKeys.Soc;

    /// <summary>Loads an SoC file; the file must lie inside <paramref name="root"/> (default: its own folder), see <see cref="InputFiles"/>.</summary>
    public static Soc LoadFile(string path, string displayPath, string? root = null, SourceSpan? at = null)
    {
        var text = InputFiles.ReadText(path, root ?? Path.GetDirectoryName(Path.GetFullPath(path))!, $"SoC file '{displayPath}'", at ?? new SourceSpan(displayPath, 0, 0));
        return Load(YamlTree.Parse(text, displayPath), displayPath);
    }

    internal static Soc Load(YamlNode root, string file)
    {
        var m = MappingReader.Of(root, "the SoC document", SocKeys);
        var name = m.String("soc");
        var description = m.OptString("description");

        var memory = new List<MemoryRange>();
        var memSpans = new List<(ulong B, ulong E, SourceSpan S, string N)>();
        foreach (var node in m.List("memory"))
        {
            var r = MappingReader.Of(node, "a memory entry", YamlKeys.Memory);
            var mr = new MemoryRange(r.String("name"), r.Number("base"), NonZero(r, "size"));
            CheckNoWrap(mr.Base, mr.Size, r);
            memory.Add(mr);
            memSpans.Add((mr.Base, mr.End, r.Span, mr.Name));
        }
        CheckDisjoint(memSpans, "memory banks");
        CheckUnique(memory.Select(x => (x.Name, Span: SourceSpan.None)).ToList(), "memory bank", file);

        var iommus = new List<IommuInstance>();
        foreach (var node in m.List("iommus"))
            iommus.Add(ReadIommu(node));
        CheckUnique(iommus.Select(i => (i.Name, i.Span)).ToList(), "IOMMU", file);
        foreach (var inst in iommus)
            foreach (var other in inst.SharesPgtableWith)
            {
                var target = iommus.FirstOrDefault(i => i.Name == other);
                if (target is null || target == inst)
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"shares-pgtable-with: no other IOMMU named '{other}' (IOMMUs: {string.Join(", ", iommus.Select(i => i.Name))})", inst.Span);
                if (target.Driver != inst.Driver)
                    throw YamlTree.Error(ErrorCode.BadValue, $"shares-pgtable-with: '{other}' uses driver {target.Driver}, not {inst.Driver}", inst.Span);
            }

        var devices = new List<DeviceSpec>();
        foreach (var node in m.List("devices"))
            devices.Add(ReadDevice(node, iommus));
        CheckUnique(devices.Select(d => (d.Name, d.Span)).ToList(), "device", file);

        var reserved = new List<ReservedMemory>();
        var resSpans = new List<(ulong B, ulong E, SourceSpan S, string N)>();
        foreach (var node in m.List("reserved-memory"))
        {
            var r = MappingReader.Of(node, "a reserved-memory node", YamlKeys.ReservedMemory);
            var rname = r.String("name");
            var rbase = r.OptNumber("base");
            var rsize = NonZero(r, "size");
            if (rbase is { } b)
            {
                CheckNoWrap(b, rsize, r);
                resSpans.Add((b, b + rsize, r.Span, rname));
            }
            var addrs = new List<IommuAddress>();
            foreach (var an in r.List("iommu-addresses"))
            {
                var a = MappingReader.Of(an, "an iommu-addresses entry", YamlKeys.IommuAddress);
                var dev = a.String("device");
                if (devices.All(d => d.Name != dev))
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"iommu-addresses: no device named '{dev}'" + DeviceHint(dev, devices), a.Node("device")!.Span);
                var iova = a.Number("iova");
                var size = a.Number("size");
                CheckNoWrap(iova, size, a);
                addrs.Add(new IommuAddress(dev, iova, size));
            }
            reserved.Add(new ReservedMemory(rname, rbase, rsize, addrs, r.Span));
        }
        CheckDisjoint(resSpans, "reserved-memory nodes");
        CheckUnique(reserved.Select(x => (x.Name, x.Span)).ToList(), "reserved-memory node", file);
        foreach (var d in devices)
            for (int i = 0; i < d.MemoryRegion.Count; i++)
                if (reserved.All(x => x.Name != d.MemoryRegion[i]))
                {
                    var hint = Suggest.Closest(d.MemoryRegion[i], reserved.Select(x => x.Name));
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"device '{d.Name}': memory-region '{Display.Clip(d.MemoryRegion[i], 64)}' names no reserved-memory node" +
                        (hint is null ? "" : $"; did you mean '{hint}'?") + $" (reserved-memory: {string.Join(", ", reserved.Take(20).Select(x => x.Name))})", d.MemoryRegionSpans[i]);
                }

        return new Soc(name, description, memory, reserved, iommus, devices, file);
    }

    private static IommuInstance ReadIommu(YamlNode node)
    {
        var r = MappingReader.Of(node, "an IOMMU", YamlKeys.Iommu);
        var name = r.String("name");
        var driverName = r.String("driver");
        var family = Families.Find(driverName);
        if (family is null)
        {
            var known = Families.All.Select(f => f.Name).ToArray();
            var hint = Suggest.Closest(driverName, known.Concat(Families.Planned));
            var planned = Families.Planned.Contains(driverName);
            throw YamlTree.Error(ErrorCode.UnsupportedDriver,
                planned ? $"driver '{driverName}' is not modelled yet (modelled: {string.Join(", ", known)})"
                        : $"unknown driver '{driverName}'" + (hint is null ? "" : $"; did you mean '{hint}'?") + $" (modelled: {string.Join(", ", known)})",
                r.Node("driver")!.Span);
        }

        foreach (var key in YamlKeys.Iommu)
            if (r.Has(key) && !family.IommuKeys.Contains(key))
                throw YamlTree.Error(ErrorCode.UnknownKey, $"'{key}' does not apply to the {family.Name} driver (its keys: {string.Join(", ", family.IommuKeys)})", r.KeySpan(key));

        var flags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in r.List("flags"))
        {
            var flag = MappingReader.AsString(f, "flags");
            if (!family.Flags.Contains(flag))
            {
                var hint = Suggest.Closest(flag, family.Flags);
                throw YamlTree.Error(ErrorCode.BadValue, $"unknown {family.Name} flag '{flag}'" + (hint is null ? $"; known flags: {string.Join(", ", family.Flags)}" : $"; did you mean '{hint}'?"), f.Span);
            }
            if (!flags.Add(flag))
                throw YamlTree.Error(ErrorCode.DuplicateName, $"flag '{flag}' is listed twice", f.Span);
        }

        var type = r.OptString("type") ?? family.Types[0];
        if (!family.Types.Contains(type))
            throw YamlTree.Error(ErrorCode.BadValue, $"type '{type}' is not a {family.Name} type; expected one of: {string.Join(", ", family.Types)}", r.Node("type")!.Span);
        var pgtable = r.OptString("pgtable") ?? family.Pgtables[0];
        if (!family.Pgtables.Contains(pgtable))
            throw YamlTree.Error(ErrorCode.BadValue, $"pgtable '{pgtable}' is not used by the {family.Name} driver; expected one of: {string.Join(", ", family.Pgtables)}", r.Node("pgtable")!.Span);

        var ias = r.OptInt("ias", family.DefaultIas(flags), 32, 48);
        var oas = r.OptInt("oas", family.DefaultOas(flags), 32, 48);
        family.CheckWidths(flags, ias, oas, r.Has("ias") ? r.Node("ias")!.Span : r.Span, r.Has("oas") ? r.Node("oas")!.Span : r.Span);

        var banks = r.OptInt("banks", family.DefaultBanks, 1, family.MaxBanks);
        var enabled = new List<int>();
        if (r.Has("banks-enabled"))
        {
            foreach (var b in r.List("banks-enabled"))
            {
                var bank = MappingReader.AsInt(b, "banks-enabled", 0, banks - 1);
                if (enabled.Contains(bank)) throw YamlTree.Error(ErrorCode.DuplicateName, $"bank {bank} is listed twice", b.Span);
                enabled.Add(bank);
            }
            enabled.Sort();
        }
        else enabled.AddRange(Enumerable.Range(0, banks));

        var bankPorts = new SortedDictionary<int, PortSet>();
        if (r.Node("bank-ports") is { } bpNode)
        {
            var bp = AsMap(bpNode, "bank-ports");
            foreach (var (k, v) in bp.Entries)
            {
                var bank = MappingReader.AsInt(k, "bank-ports key", 0, banks - 1);
                bankPorts[bank] = ReadPorts(v, $"bank-ports {bank}");
            }
        }

        var regions = new List<IovaRegion>();
        if (r.Has("regions"))
        {
            foreach (var rn in r.List("regions"))
            {
                var rr = MappingReader.Of(rn, "an IOVA region", YamlKeys.Region);
                var reg = new IovaRegion(rr.String("name"), rr.Number("base"), NonZero(rr, "size"), rr.Span);
                CheckNoWrap(reg.Base, reg.Size, rr);
                if (ias < 64 && reg.Last >> ias != 0)
                    throw YamlTree.Error(ErrorCode.OutOfRange, $"region '{reg.Name}' ends at {Hex.Of(reg.Last)}, beyond the {ias}-bit IOVA space", rr.Span);
                regions.Add(reg);
            }
            if (regions.Count == 0)
                throw YamlTree.Error(ErrorCode.BadValue, "regions: at least one IOVA region is needed", r.Node("regions")!.Span);
        }
        else regions.AddRange(family.DefaultRegions(r.Span));
        CheckUnique(regions.Select(x => (x.Name, x.Span)).ToList(), "region", r.Span.File);
        // Nesting is legal (MediaTek nests the CCU windows inside region 2); partial overlap is not.
        for (int i = 0; i < regions.Count; i++)
            for (int j = 0; j < i; j++)
            {
                var a = regions[j];
                var b = regions[i];
                bool overlap = a.Base <= b.Last && b.Base <= a.Last;
                if (overlap && !a.Contains(b) && !b.Contains(a))
                    throw YamlTree.Error(ErrorCode.OverlappingRanges, $"region '{b.Name}' [{Hex.Of(b.Base)}, {Hex.Of(b.Last)}] partially overlaps region '{a.Name}' [{Hex.Of(a.Base)}, {Hex.Of(a.Last)}]; regions may nest but not straddle", b.Span);
            }

        var regionPorts = new SortedDictionary<int, IReadOnlyDictionary<int, PortSet>>();
        if (r.Node("region-ports") is { } rpNode)
        {
            var rp = AsMap(rpNode, "region-ports");
            foreach (var (k, v) in rp.Entries)
            {
                int idx = regions.FindIndex(x => x.Name == k.Value);
                if (idx < 0 && Numbers.TryParse(k.Value, out var n) && n < (ulong)regions.Count) idx = (int)n;
                if (idx < 0)
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"region-ports: no region '{k.Value}' (regions: {string.Join(", ", regions.Select(x => x.Name))})", k.Span);
                if (regionPorts.ContainsKey(idx))
                    throw YamlTree.Error(ErrorCode.DuplicateKey, $"region-ports: region '{regions[idx].Name}' is given twice", k.Span);
                var larbs = new SortedDictionary<int, PortSet>();
                foreach (var (lk, lv) in AsMap(v, $"region-ports {k.Value}").Entries)
                {
                    if (!lk.Value.StartsWith("larb", StringComparison.Ordinal) || !Numbers.TryParse(lk.Value[4..], out var larb) || larb >= 32)
                        throw YamlTree.Error(ErrorCode.BadValue, $"region-ports: '{lk.Value}' is not a larb key (larb0 … larb31)", lk.Span);
                    larbs[(int)larb] = ReadPorts(lv, lk.Value);
                }
                regionPorts[idx] = larbs;
            }
        }

        var shares = new List<string>();
        foreach (var s in r.List("shares-pgtable-with")) shares.Add(MappingReader.AsString(s, "shares-pgtable-with"));

        var iotlb = IotlbGeometry.Default;
        if (r.Node("iotlb") is { } tn)
        {
            var t = MappingReader.Of(tn, "iotlb", YamlKeys.Iotlb);
            int entries = t.OptInt("entries", iotlb.Entries, 1, 4096);
            int ways = t.OptInt("ways", Math.Min(iotlb.Ways, entries), 1, 4096);
            int sets = ways == 0 ? 0 : entries / ways;
            if (ways > entries || entries % ways != 0 || (sets & (sets - 1)) != 0)
                throw YamlTree.Error(ErrorCode.BadValue, $"iotlb: {entries} entries in {ways} ways must give a power-of-two number of sets", t.Span);
            iotlb = new IotlbGeometry(entries, ways);
        }
        return family.ReadSpecific(r, new IommuInstance(name, family.Name, type, pgtable, ias, oas, banks, enabled, bankPorts, regions,
            regionPorts, flags, shares, r.Span) { Iotlb = iotlb });
    }

    private static DeviceSpec ReadDevice(YamlNode node, List<IommuInstance> iommus)
    {
        var r = MappingReader.Of(node, "a device", YamlKeys.Device);
        var name = r.String("name");
        var ids = new List<DeviceId>();
        foreach (var idNode in r.List("ids"))
        {
            var ir = MappingReader.Of(idNode, "a device id", YamlKeys.DeviceId);
            var iommuName = ir.String("iommu");
            var inst = iommus.FirstOrDefault(i => i.Name == iommuName);
            if (inst is null)
            {
                var hint = Suggest.Closest(iommuName, iommus.Select(i => i.Name));
                throw YamlTree.Error(ErrorCode.UnknownReference, $"no IOMMU named '{iommuName}'" + (hint is null ? "" : $"; did you mean '{hint}'?") + $" (IOMMUs: {string.Join(", ", iommus.Select(i => i.Name))})", ir.Node("iommu")!.Span);
            }
            var family = Families.Find(inst.Driver)!;
            ids.Add(family.ReadId(ir, iommuName));
        }
        if (ids.Count == 0)
            throw YamlTree.Error(ErrorCode.MissingKey, $"device '{name}' needs at least one entry in 'ids'", r.Span);
        if (ids.Select(i => i.Iommu).Distinct().Count() > 1)
            throw YamlTree.Error(ErrorCode.BadValue, $"device '{name}' names several IOMMUs; one device sits behind one IOMMU instance (iommu_fwspec has one iommu_fwnode)", r.Node("ids")!.Span);

        var bus = (r.OptString("bus") ?? "platform") switch
        {
            "platform" => Bus.Platform,
            "pci" => Bus.Pci,
            var other => throw YamlTree.Error(ErrorCode.BadValue, $"bus '{other}' is not one of: platform, pci", r.Node("bus")!.Span),
        };
        var mask = r.OptInt("dma-mask", 32, 1, 64);
        var bound = r.OptBool("driver-bound") ?? true;

        var firmware = new List<FirmwareWindow>();
        var fwSpans = new List<(ulong B, ulong E, SourceSpan S, string N)>();
        foreach (var fn in r.List("firmware"))
        {
            var fr = MappingReader.Of(fn, "a firmware window", YamlKeys.Firmware);
            var fwName = fr.String("name");
            var iova = fr.Number("iova");
            var size = NonZero(fr, "size");
            CheckNoWrap(iova, size, fr);
            var boot = new List<BootAccess>();
            foreach (var bn in fr.List("boot"))
            {
                var br = MappingReader.Of(bn, "a boot access", YamlKeys.BootAccess);
                var bi = br.Number("iova");
                var bs = br.OptNumber("size") ?? 4;
                if (bs == 0 || bi < iova || bi - iova > size || bs > size - (bi - iova))
                    throw YamlTree.Error(ErrorCode.OutOfRange, $"boot access [{Hex.Of(bi)}, +{Hex.Size(bs)}) lies outside firmware window '{fwName}' [{Hex.Of(iova)}, +{Hex.Size(size)})", br.Span);
                boot.Add(new BootAccess(bi, bs, br.OptBool("write") ?? false));
            }
            firmware.Add(new FirmwareWindow(fwName, iova, size, boot));
            fwSpans.Add((iova, iova + size, fr.Span, fwName));
        }
        CheckUnique(firmware.Select(f => (f.Name, SourceSpan.None)).ToList(), "firmware window", r.Span.File);
        CheckDisjoint(fwSpans, "firmware windows");
        var memoryRegion = new List<(string Name, SourceSpan Span)>();
        foreach (var mn in r.List("memory-region"))
            memoryRegion.Add((MappingReader.AsString(mn, "memory-region"), mn.Span));
        return new DeviceSpec(name, ids, bus, mask, bound, firmware, r.Span) { MemoryRegion = memoryRegion.Select(x => x.Name).ToList(), MemoryRegionSpans = memoryRegion.Select(x => x.Span).ToList() };
    }

    /// <summary>A port list: integers and "a-b" ranges, or the word "all".</summary>
    internal static PortSet ReadPorts(YamlNode node, string what)
    {
        if (node is YamlScalar { Value: "all", Quoted: false }) return PortSet.Everything;
        ulong mask = 0;
        foreach (var item in MappingReader.AsList(node, what))
        {
            if (item is not YamlScalar s)
                throw YamlTree.Error(ErrorCode.WrongType, $"'{what}': a port is a number or a range like 0-7", item.Span);
            var dash = s.Value.IndexOf('-', StringComparison.Ordinal);
            ulong lo, hi;
            if (dash > 0)
            {
                if (!Numbers.TryParse(s.Value[..dash], out lo) || !Numbers.TryParse(s.Value[(dash + 1)..], out hi) || hi < lo)
                    throw YamlTree.Error(ErrorCode.BadNumber, $"'{what}': '{s.Value}' is not a port range like 0-7", s.Span);
            }
            else if (!Numbers.TryParse(s.Value, out lo))
                throw YamlTree.Error(ErrorCode.BadNumber, $"'{what}': '{s.Value}' is not a port number", s.Span);
            else hi = lo;
            if (hi >= 32)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"'{what}': port {hi} is out of range 0..31 (MTK_M4U_TO_PORT is 5 bits)", s.Span);
            for (var p = lo; p <= hi; p++) mask |= 1UL << (int)p;
        }
        return new PortSet(mask, false);
    }

    private static YamlMapping AsMap(YamlNode node, string what) => node as YamlMapping
        ?? throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be a mapping, found {node.Kind}", node.Span);

    private static ulong NonZero(MappingReader r, string key)
    {
        var v = r.Number(key);
        if (v == 0) throw YamlTree.Error(ErrorCode.OutOfRange, $"'{key}' must not be 0", r.Node(key)!.Span);
        return v;
    }

    private static void CheckNoWrap(ulong b, ulong size, MappingReader r)
    {
        if (size != 0 && b + (size - 1) < b)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"range {Hex.Of(b)} + {Hex.Of(size)} wraps past 2^64", r.Span);
    }

    private static void CheckDisjoint(List<(ulong B, ulong E, SourceSpan S, string N)> spans, string what)
    {
        for (int i = 0; i < spans.Count; i++)
            for (int j = 0; j < i; j++)
                if (spans[i].B < spans[j].E && spans[j].B < spans[i].E)
                    throw YamlTree.Error(ErrorCode.OverlappingRanges, $"{what} '{spans[i].N}' and '{spans[j].N}' overlap", spans[i].S);
    }

    private static void CheckUnique(List<(string Name, SourceSpan Span)> items, string what, string file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (n, s) in items)
            if (!seen.Add(n))
                throw YamlTree.Error(ErrorCode.DuplicateName, $"two {what}s are named '{n}'", s.Line > 0 ? s : new SourceSpan(file, 0, 0));
    }

    internal static string DeviceHint(string name, IEnumerable<DeviceSpec> devices)
    {
        var names = devices.Select(d => d.Name).ToList();
        var hint = Suggest.Closest(name, names);
        var listed = string.Join(", ", names.Take(20).Select(n => Display.Clip(n, 64))) + (names.Count > 20 ? $", … {names.Count - 20} more" : "");
        return (hint is null ? "" : $"; did you mean '{hint}'?") + $" (devices: {listed})";
    }
}
