using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// SoC documents (docs/yaml-reference.md, SoC files) → <see cref="Soc"/>. Strict: unknown or duplicate keys, wrong types,
/// unknown references and partially overlapping windows are located errors. The loader reads the
/// keys every IOMMU has; each family (<see cref="Drivers.Families"/>) reads its own keys, names its
/// masters and checks its values, so the loader holds no kernel knowledge of its own.
/// </summary>
public static class SocLoader
{
    private static readonly string[] SocKeys = YamlKeys.Soc;

    /// <summary>Loads an SoC file; the file must lie inside <paramref name="root"/> (default: its own folder), see <see cref="InputFiles"/>.</summary>
    public static Soc LoadFile(string path, string displayPath, string? root = null, SourceSpan? at = null)
    {
        var text = InputFiles.ReadText(path, root ?? Path.GetDirectoryName(Path.GetFullPath(path))!, $"SoC file '{displayPath}'", at ?? new SourceSpan(displayPath, 0, 0));
        // A SoC file is parsed once per run, not once per scenario: the same text (compared whole), the
        // same display path and the modelled families give the same immutable Soc.
        if (Families.AnyPlugged) return Load(YamlTree.Parse(text, displayPath), displayPath);
        var key = (Path.GetFullPath(path), displayPath);
        if (Parsed.TryGetValue(key, out var hit) && hit.Text == text) return hit.Soc;
        var soc = Load(YamlTree.Parse(text, displayPath), displayPath);
        if (Parsed.Count >= MaxParsed) Parsed.Clear();
        Parsed[key] = (text, soc);
        return soc;
    }

    /// <summary>SoC files kept parsed (a run's, a watch session's); beyond it the cache starts over.</summary>
    private const int MaxParsed = 256;
    /// <summary>dma-ranges entries read per device (a bus has a handful; a longer list is refused, not walked).</summary>
    internal const int MaxDmaRanges = 64;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Path, string Display), (string Text, Soc Soc)> Parsed = new();

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
            var mr = new MemoryRange(r.String("name"), r.Number("base"), YamlChecks.NonZero(r, "size"));
            YamlChecks.CheckNoWrap(mr.Base, mr.Size, r);
            memory.Add(mr);
            memSpans.Add((mr.Base, mr.End, r.Span, mr.Name));
        }
        YamlChecks.CheckDisjoint(memSpans, "memory banks");
        YamlChecks.CheckUnique(memory.Select(x => (x.Name, Span: SourceSpan.None)).ToList(), "memory bank", file);

        // the keys every family's IOMMUs and masters may use, once per SoC (families can be plugged per flow)
        string[] iommuKeys = [.. SchemaWriter.IommuKeys], deviceIdKeys = [.. SchemaWriter.DeviceIdKeys];
        var iommus = new List<IommuInstance>();
        foreach (var node in m.List("iommus"))
            iommus.Add(ReadIommu(node, iommuKeys));
        YamlChecks.CheckUnique(iommus.Select(i => (i.Name, i.Span)).ToList(), "IOMMU", file);
        foreach (var family in Families.All) family.CheckSoc(iommus);

        // names are unique by now: look-ups by name are dictionary look-ups (an imported SoC may have thousands)
        var iommusByName = iommus.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var devices = new List<DeviceSpec>();
        foreach (var node in m.List("devices"))
            devices.Add(ReadDevice(node, iommus, iommusByName, deviceIdKeys));
        YamlChecks.CheckUnique(devices.Select(d => (d.Name, d.Span)).ToList(), "device", file);
        var pci = PciTopology.Empty;
        if (m.Node("pci") is { } pciNode)
        {
            (pci, var masters) = PciLoader.Read(m.List("pci"), iommus, pciNode.Span);
            // functions are named by BDF unless the file names them; every name is one device's
            var platform = devices.Select(d => (d.Name, d.Span)).ToList();
            YamlChecks.CheckUnique([.. platform, .. pci.Functions.Select(f => (f.Name, f.Span))], "device", file);
            devices.AddRange(masters);
        }
        var deviceNames = devices.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);

        var reserved = new List<ReservedMemory>();
        var resSpans = new List<(ulong B, ulong E, SourceSpan S, string N)>();
        foreach (var node in m.List("reserved-memory"))
        {
            var r = MappingReader.Of(node, "a reserved-memory node", YamlKeys.ReservedMemory);
            var rname = r.String("name");
            var rbase = r.OptNumber("base");
            var rsize = YamlChecks.NonZero(r, "size");
            if (rbase is { } b)
            {
                YamlChecks.CheckNoWrap(b, rsize, r);
                resSpans.Add((b, b + rsize, r.Span, rname));
            }
            var addrs = new List<IommuAddress>();
            foreach (var an in r.List("iommu-addresses"))
            {
                var a = MappingReader.Of(an, "an iommu-addresses entry", YamlKeys.IommuAddress);
                var dev = a.String("device");
                if (!deviceNames.Contains(dev))
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"iommu-addresses: no device named '{dev}'" + DeviceHint(dev, devices), a.Node("device")!.Span);
                var iova = a.Number("iova");
                var size = a.Number("size");
                YamlChecks.CheckNoWrap(iova, size, a);
                addrs.Add(new IommuAddress(dev, iova, size));
            }
            reserved.Add(new ReservedMemory(rname, rbase, rsize, addrs, r.Span));
        }
        YamlChecks.CheckDisjoint(resSpans, "reserved-memory nodes");
        YamlChecks.CheckUnique(reserved.Select(x => (x.Name, x.Span)).ToList(), "reserved-memory node", file);
        var reservedNames = reserved.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var d in devices)
            for (int i = 0; i < d.MemoryRegion.Count; i++)
                if (!reservedNames.Contains(d.MemoryRegion[i]))
                {
                    var hint = Suggest.Closest(d.MemoryRegion[i], reserved.Select(x => x.Name));
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"device '{d.Name}': memory-region '{Display.Clip(d.MemoryRegion[i], 64)}' names no reserved-memory node" +
                        (hint is null ? "" : $"; did you mean '{hint}'?") + $" (reserved-memory: {string.Join(", ", reserved.Take(20).Select(x => x.Name))})", d.MemoryRegionSpans[i]);
                }

        return new Soc(name, description, memory, reserved, iommus, devices, file) { Pci = pci };
    }

    private static IommuInstance ReadIommu(YamlNode node, string[] iommuKeys)
    {
        CompatibleUse? compatible = null;
        if (node is YamlMapping asGiven && asGiven.Entries.FirstOrDefault(e => e.Key.Value == "compatible") is { Key: not null } c)
            (node, compatible) = CompatibleMerge.Apply(asGiven, c.Value);
        var r = MappingReader.Of(node, "an IOMMU", iommuKeys);
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

        foreach (var key in iommuKeys)
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
        return family.ReadSpecific(r, new IommuInstance(name, family.Name, type, pgtable, ias, oas, banks, flags, r.Span) { Iotlb = iotlb, Compatible = compatible });
    }

    private static DeviceSpec ReadDevice(YamlNode node, List<IommuInstance> iommus, Dictionary<string, IommuInstance> iommusByName, string[] deviceIdKeys)
    {
        var r = MappingReader.Of(node, "a device", YamlKeys.Device);
        var name = r.String("name");
        var ids = new List<DeviceId>();
        foreach (var idNode in r.List("ids"))
        {
            var ir = MappingReader.Of(idNode, "a device id", deviceIdKeys);
            var iommuName = ir.String("iommu");
            var inst = iommusByName.GetValueOrDefault(iommuName);
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

        var firmware = ReadFirmware(r);
        var memoryRegion = ReadMemoryRegion(r);
        var dmaRanges = ReadDmaRanges(r, $"device '{name}'");
        return new DeviceSpec(name, ids, bus, mask, bound, firmware, r.Span)
        {
            MemoryRegion = memoryRegion.Select(x => x.Name).ToList(), MemoryRegionSpans = memoryRegion.Select(x => x.Span).ToList(), DmaRanges = dmaRanges,
        };
    }

    /// <summary>A master's firmware windows (the key <c>firmware</c>): named, disjoint, each boot access inside its window.</summary>
    internal static List<FirmwareWindow> ReadFirmware(MappingReader r)
    {
        var firmware = new List<FirmwareWindow>();
        var fwSpans = new List<(ulong B, ulong E, SourceSpan S, string N)>();
        foreach (var fn in r.List("firmware"))
        {
            var fr = MappingReader.Of(fn, "a firmware window", YamlKeys.Firmware);
            var fwName = fr.String("name");
            var iova = fr.Number("iova");
            var size = YamlChecks.NonZero(fr, "size");
            YamlChecks.CheckNoWrap(iova, size, fr);
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
        YamlChecks.CheckUnique(firmware.Select(f => (f.Name, SourceSpan.None)).ToList(), "firmware window", r.Span.File);
        YamlChecks.CheckDisjoint(fwSpans, "firmware windows");
        return firmware;
    }

    /// <summary>The key <c>memory-region</c>: reserved-memory node names, checked against the nodes once they are read.</summary>
    internal static List<(string Name, SourceSpan Span)> ReadMemoryRegion(MappingReader r)
    {
        var memoryRegion = new List<(string Name, SourceSpan Span)>();
        foreach (var mn in r.List("memory-region"))
            memoryRegion.Add((MappingReader.AsString(mn, "memory-region"), mn.Span));
        return memoryRegion;
    }

    /// <summary>
    /// dma-ranges of a device's bus (drivers/of/address.c of_dma_get_range, Linux 7.0: one
    /// bus_dma_region per entry; an entry of size 0 would end the kernel's map early, so it is refused).
    /// </summary>
    internal static List<DmaRange> ReadDmaRanges(MappingReader r, string owner)
    {
        var dmaRanges = new List<DmaRange>();
        var rangeList = r.List("dma-ranges");
        if (rangeList.Count > MaxDmaRanges)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"{owner} has {rangeList.Count} dma-ranges entries; at most {MaxDmaRanges} are read", r.Node("dma-ranges")!.Span);
        foreach (var dn in rangeList)
        {
            var dr = MappingReader.Of(dn, "a dma-ranges entry", YamlKeys.DmaRange);
            var size = YamlChecks.NonZero(dr, "size");
            ulong cpu = dr.Number("cpu"), busAddr = dr.Number("bus");
            YamlChecks.CheckNoWrap(cpu, size, dr);
            YamlChecks.CheckNoWrap(busAddr, size, dr);
            dmaRanges.Add(new DmaRange(cpu, busAddr, size));
        }
        return dmaRanges;
    }

    internal static string DeviceHint(string name, IEnumerable<DeviceSpec> devices)
    {
        var names = devices.Select(d => d.Name).ToList();
        var hint = Suggest.Closest(name, names);
        var listed = string.Join(", ", names.Take(20).Select(n => Display.Clip(n, 64))) + (names.Count > 20 ? $", … {names.Count - 20} more" : "");
        return (hint is null ? "" : $"; did you mean '{hint}'?") + $" (devices: {listed})";
    }
}
