using System.Globalization;
using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// The SoC key <c>pci</c> (docs/yaml-reference.md, pci-host-bridge and pci-function) →
/// <see cref="PciTopology"/>, and the PCI functions behind an IOMMU → <see cref="DeviceSpec"/>s whose
/// IDs are what of_iommu_configure gives them (Pci.PciIommuConfig: every DMA alias through the host
/// bridge's iommu-map, each turned into the family's ID by its of_xlate, IommuFamily.PciId).
/// The topology is a flat list of functions placed by bus number, as lspci lists them: a bridge's
/// secondary and subordinate numbers say which buses are behind it, so nothing nests in the file
/// and nothing here recurses. Checked, each a located error: the address syntax and segment, a bus
/// no bridge leads to, bridge ranges that leave their parent's or overlap a sibling's
/// (pbus_validate_busn), a function past 0 without function 0 or in a slot the kernel never scans
/// below a PCIe downstream port (pci_scan_slot, only_one_child), ACS Control bits the capability
/// lacks, names and addresses used twice, and limits on counts.
/// PCI masters are added to the SoC's devices in the order the kernel probes them: enumeration
/// order (PciHost), host bridge after host bridge, after the platform devices (iommu_buses[]:
/// the platform bus before the PCI bus, drivers/iommu/iommu.c, Linux 7.0).
/// </summary>
internal static class PciLoader
{
    /// <summary>Most host bridges and functions a SoC file may describe (a large server has a few hundred functions).</summary>
    public const int MaxHostBridges = 64, MaxFunctions = 4096, MaxMapEntries = 256;

    public static (PciTopology Topology, List<DeviceSpec> Masters) Read(IReadOnlyList<YamlNode> nodes, IReadOnlyList<IommuInstance> iommus, SourceSpan at)
    {
        if (nodes.Count > MaxHostBridges)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"{nodes.Count} PCI host bridges; at most {MaxHostBridges} are read", at);
        var bridges = new List<PciHostBridge>();
        var masters = new Dictionary<PciAddress, (int DmaMask, bool Bound, List<FirmwareWindow> Firmware, List<(string Name, SourceSpan Span)> MemoryRegion)>();
        int functions = 0;
        foreach (var node in nodes)
        {
            var hb = ReadHostBridge(node, iommus, masters, ref functions);
            foreach (var other in bridges)
            {
                if (other.Name == hb.Name)
                    throw YamlTree.Error(ErrorCode.DuplicateName, $"two PCI host bridges are named '{hb.Name}'", hb.Span);
                if (other.Segment == hb.Segment && hb.BusStart <= other.BusEnd && other.BusStart <= hb.BusEnd)
                    throw YamlTree.Error(ErrorCode.OverlappingRanges, $"host bridge '{hb.Name}' (segment {hb.Segment:x4}, buses {hb.BusStart:x2}-{hb.BusEnd:x2}) overlaps '{other.Name}' (buses {other.BusStart:x2}-{other.BusEnd:x2}) in one PCI domain", hb.Span);
            }
            bridges.Add(hb);
        }
        var topology = new PciTopology(bridges);
        var host = new PciHost(topology);
        var specs = new List<DeviceSpec>();
        foreach (var dev in host.Devices)
        {
            var fw = PciIommuConfig.Configure(dev);
            if (!fw.Ok) continue; // no IOMMU: still part of the topology (the report says why)
            var inst = iommus.First(i => i.Name == fw.Iommu);
            var family = Families.Find(inst.Driver)!;
            bool ats = dev.Function.Ats && dev.Bus.Host.AtsSupported;
            var ids = fw.Ids.Select(i => family.PciId(inst.Name, i.Id, ats)!).ToList();
            var m = masters[dev.Address];
            specs.Add(new DeviceSpec(dev.Name, ids, Bus.Pci, m.DmaMask, m.Bound, m.Firmware, dev.Function.Span)
            {
                Pci = dev.Function,
                DmaRanges = dev.Bus.Host.DmaRanges,
                MemoryRegion = m.MemoryRegion.Select(x => x.Name).ToList(),
                MemoryRegionSpans = m.MemoryRegion.Select(x => x.Span).ToList(),
            });
        }
        return (topology, specs);
    }

    private static PciHostBridge ReadHostBridge(YamlNode node, IReadOnlyList<IommuInstance> iommus,
        Dictionary<PciAddress, (int, bool, List<FirmwareWindow>, List<(string, SourceSpan)>)> masters, ref int count)
    {
        var r = MappingReader.Of(node, "a PCI host bridge", YamlKeys.PciHostBridge);
        var name = r.String("name");
        int segment = r.OptInt("segment", 0, 0, 0xffff);
        int busStart = 0, busEnd = 0xff;
        if (r.Node("bus-range") is { } br)
        {
            var list = MappingReader.AsList(br, "bus-range");
            if (list.Count != 2)
                throw YamlTree.Error(ErrorCode.BadValue, $"bus-range is [first, last], found {list.Count} numbers", br.Span);
            busStart = MappingReader.AsInt(list[0], "bus-range", 0, 0xff);
            busEnd = MappingReader.AsInt(list[1], "bus-range", 0, 0xff);
            if (busEnd < busStart)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"bus-range [{busStart:x2}, {busEnd:x2}] ends before it starts", br.Span);
        }
        var iommuMap = ReadMap(r, "iommu-map", YamlKeys.IommuMapEntry, "iommu", "iommu-base", iommus);
        var families = iommuMap.Select(e => iommus.First(i => i.Name == e.Target).Driver).Distinct().ToList();
        if (families.Count > 1)
            throw YamlTree.Error(ErrorCode.BadValue, $"host bridge '{name}': iommu-map names IOMMUs of several drivers ({string.Join(", ", families)}); one PCI hierarchy sits behind one IOMMU driver", r.KeySpan("iommu-map"));
        var msiMap = ReadMap(r, "msi-map", YamlKeys.MsiMapEntry, "msi-controller", "msi-base", null);
        var hb = new PciHostBridge(name, segment, busStart, busEnd, r.Span)
        {
            IommuMap = iommuMap,
            IommuMapMask = Mask(r, "iommu-map-mask"),
            MsiMap = msiMap,
            MsiMapMask = Mask(r, "msi-map-mask"),
            AtsSupported = r.OptBool("ats-supported") ?? false,
            DmaRanges = SocLoader.ReadDmaRanges(r, $"host bridge '{name}'"),
        };

        var fnodes = r.List("functions");
        count += fnodes.Count;
        if (count > MaxFunctions)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"more than {MaxFunctions} PCI functions; at most {MaxFunctions} are read", r.KeySpan("functions"));
        var read = new List<(PciFunction F, MappingReader R)>();
        foreach (var fn in fnodes)
        {
            var (f, fr, master) = ReadFunction(fn, hb);
            read.Add((f, fr));
            masters[f.Address] = master;
        }
        var functions = CheckTopology(hb, read);
        return hb with { Functions = functions };
    }

    private static uint? Mask(MappingReader r, string key) => r.Node(key) is { } n ? U32(n, key) : null;

    private static uint U32(YamlNode n, string what)
    {
        var v = MappingReader.AsNumber(n, what);
        if (v > uint.MaxValue) throw YamlTree.Error(ErrorCode.OutOfRange, $"{what} {Hex.Of(v)} is wider than 32 bits (a device-tree cell)", n.Span);
        return (uint)v;
    }

    /// <summary>iommu-map or msi-map: &lt;rid-base target out-base length&gt; entries; an IOMMU target must be an instance whose family takes PCI masters.</summary>
    private static List<IdMapEntry> ReadMap(MappingReader r, string key, string[] keys, string targetKey, string baseKey, IReadOnlyList<IommuInstance>? iommus)
    {
        var list = r.List(key);
        if (list.Count > MaxMapEntries)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"{key} has {list.Count} entries; at most {MaxMapEntries} are read", r.KeySpan(key));
        var entries = new List<IdMapEntry>();
        foreach (var en in list)
        {
            var e = MappingReader.Of(en, $"an {key} entry", keys);
            var target = e.String(targetKey);
            if (iommus is not null)
            {
                var inst = iommus.FirstOrDefault(i => i.Name == target);
                if (inst is null)
                {
                    var hint = Suggest.Closest(target, iommus.Select(i => i.Name));
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"{key}: no IOMMU named '{Display.Clip(target, 64)}'" + (hint is null ? "" : $"; did you mean '{hint}'?") + $" (IOMMUs: {string.Join(", ", iommus.Select(i => i.Name))})", e.Node(targetKey)!.Span);
                }
                if (Families.Find(inst.Driver)!.PciId(inst.Name, 0, false) is null)
                    throw YamlTree.Error(ErrorCode.BadValue, $"{key}: the {inst.Driver} driver takes no PCI masters through an iommu-map", e.Node(targetKey)!.Span);
            }
            uint length = U32(e.Required("length"), "length");
            if (length == 0) throw YamlTree.Error(ErrorCode.OutOfRange, $"{key} entry length must not be 0", e.Node("length")!.Span);
            entries.Add(new IdMapEntry(U32(e.Required("rid-base"), "rid-base"), target, U32(e.Required(baseKey), baseKey), length, e.Span));
        }
        return entries;
    }

    private static (PciFunction, MappingReader, (int, bool, List<FirmwareWindow>, List<(string, SourceSpan)>)) ReadFunction(YamlNode node, PciHostBridge hb)
    {
        var r = MappingReader.Of(node, "a PCI function", YamlKeys.PciFunction);
        var bdfText = r.String("bdf");
        var addr = PciAddress.Parse(bdfText, hb.Segment, out var err)
            ?? throw YamlTree.Error(ErrorCode.BadValue, $"bdf '{Display.Clip(bdfText, 32)}': {err}", r.Node("bdf")!.Span);
        if (addr.Segment != hb.Segment)
            throw YamlTree.Error(ErrorCode.BadValue, $"bdf {addr} is in segment {addr.Segment:x4}, but host bridge '{hb.Name}' is segment {hb.Segment:x4}", r.Node("bdf")!.Span);
        if (addr.Bus < hb.BusStart || addr.Bus > hb.BusEnd)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"bdf {addr}: bus {addr.Bus:x2} is outside host bridge '{hb.Name}''s bus-range [{hb.BusStart:x2}, {hb.BusEnd:x2}]", r.Node("bdf")!.Span);
        var typeText = r.OptString("type") ?? "endpoint";
        var type = PciTypes.Parse(typeText)
            ?? throw YamlTree.Error(ErrorCode.BadValue, $"type '{Display.Clip(typeText, 40)}' is not a PCI function type" + Hint(typeText, PciTypes.Names) + $"; types: {string.Join(", ", PciTypes.Names)}", r.Node("type")!.Span);
        var name = r.OptString("name");
        var (vendor, device) = Ids(r, "id");
        var (subVendor, subDevice) = Ids(r, "subsystem");
        uint? cls = r.Node("class") is { } cn ? U32(cn, "class") : null;
        if (cls > 0xffffff) throw YamlTree.Error(ErrorCode.OutOfRange, $"class 0x{cls:x} is wider than 24 bits (base class, subclass, prog-if)", r.Node("class")!.Span);

        int secondary = -1, subordinate = -1;
        if (type.IsBridge())
        {
            secondary = MappingReader.AsInt(r.Required("secondary"), "secondary", 0, 0xff);
            subordinate = MappingReader.AsInt(r.Required("subordinate"), "subordinate", 0, 0xff);
            if (secondary <= addr.Bus)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"bridge {addr}: secondary bus {secondary:x2} must be above its own bus {addr.Bus:x2}", r.Node("secondary")!.Span);
            if (subordinate < secondary)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"bridge {addr}: subordinate bus {subordinate:x2} is below secondary bus {secondary:x2}", r.Node("subordinate")!.Span);
        }
        else
        {
            foreach (var k in new[] { "secondary", "subordinate" })
                if (r.Has(k)) throw YamlTree.Error(ErrorCode.BadValue, $"'{k}' is a bridge's key; {addr} is a {type.Words()}", r.KeySpan(k));
        }

        PciAcsCapability? acs = null;
        if (r.Node("acs") is { } an)
        {
            var a = MappingReader.Of(an, "acs", YamlKeys.PciAcs);
            var cap = AcsList(a, "cap");
            var ctrl = AcsList(a, "ctrl");
            if ((ctrl & ~cap) != AcsFlags.None)
                throw YamlTree.Error(ErrorCode.BadValue, $"ACS Control {AcsFlagNames.Text(ctrl & ~cap)} without the capability: a control bit the capability lacks is hard-wired 0", a.KeySpan("ctrl"));
            acs = new PciAcsCapability(cap, ctrl);
        }
        PciPasidCapability? pasid = null;
        if (r.Node("pasid") is { } pn)
        {
            var p = MappingReader.Of(pn, "pasid", YamlKeys.PciPasid);
            pasid = new PciPasidCapability(MappingReader.AsInt(p.Required("width"), "width", 1, 20), p.OptBool("exec") ?? false, p.OptBool("priv") ?? false);
        }
        var aliases = new List<int>();
        var aliasList = r.List("dma-alias");
        if (aliasList.Count > 256) throw YamlTree.Error(ErrorCode.OutOfRange, $"{aliasList.Count} dma-alias entries; a bus has 256 devfns", r.KeySpan("dma-alias"));
        foreach (var an2 in aliasList)
        {
            var text = MappingReader.AsString(an2, "dma-alias");
            var devfn = PciAddress.ParseDevfn(text)
                ?? throw YamlTree.Error(ErrorCode.BadValue, $"dma-alias '{Display.Clip(text, 16)}' is not a devfn on the function's bus (DD.F, hex device 00-1f, function 0-7)", an2.Span);
            if (aliases.Contains(devfn)) throw YamlTree.Error(ErrorCode.DuplicateName, $"dma-alias {text} is listed twice", an2.Span);
            aliases.Add(devfn);
        }
        var flags = PciDevFlags.None;
        foreach (var fn in r.List("dev-flags"))
        {
            var text = MappingReader.AsString(fn, "dev-flags");
            var flag = PciDevFlagNames.Parse(text)
                ?? throw YamlTree.Error(ErrorCode.BadValue, $"dev-flags '{Display.Clip(text, 40)}' is not modelled" + Hint(text, PciDevFlagNames.All.Select(f => f.Name)) + $"; flags: {string.Join(", ", PciDevFlagNames.All.Select(f => f.Name))}", fn.Span);
            if ((flags & flag) != 0) throw YamlTree.Error(ErrorCode.DuplicateName, $"dev-flags {text} is listed twice", fn.Span);
            flags |= flag;
        }

        var f = new PciFunction(name ?? addr.ToString(), addr, type, r.Span)
        {
            HostBridge = hb.Name,
            Named = name is not null,
            Vendor = vendor, Device = device, SubVendor = subVendor, SubDevice = subDevice, Class = cls,
            Description = r.OptString("description"),
            Secondary = secondary, Subordinate = subordinate,
            Multifunction = r.OptBool("multifunction") ?? false,
            Acs = acs, Ats = r.OptBool("ats") ?? false, Pri = r.OptBool("pri") ?? false, Pasid = pasid,
            DmaAliases = aliases, DevFlags = flags,
        };
        var master = (r.OptInt("dma-mask", 32, 1, 64), r.OptBool("driver-bound") ?? !type.IsBridge(), SocLoader.ReadFirmware(r), SocLoader.ReadMemoryRegion(r));
        return (f, r, master);
    }

    private static (ushort?, ushort?) Ids(MappingReader r, string key)
    {
        if (r.OptString(key) is not { } text) return (null, null);
        var parts = text.Split(':');
        if (parts.Length == 2 && parts.All(p => p.Length == 4 && ushort.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _)))
            return (ushort.Parse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture), ushort.Parse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        throw YamlTree.Error(ErrorCode.BadValue, $"{key} '{Display.Clip(text, 32)}' is not vendor:device as four hex digits each (lspci -nn's [10de:2204])", r.Node(key)!.Span);
    }

    private static AcsFlags AcsList(MappingReader a, string key)
    {
        var flags = AcsFlags.None;
        foreach (var n in a.List(key))
        {
            var text = MappingReader.AsString(n, key);
            var bit = AcsFlagNames.Parse(text)
                ?? throw YamlTree.Error(ErrorCode.BadValue, $"'{Display.Clip(text, 20)}' is not an ACS bit; bits: {string.Join(", ", AcsFlagNames.All.Select(AcsFlagNames.Name))} (SrcValid, TransBlk, ReqRedir, CmpltRedir, UpstreamFwd, EgressCtrl, DirectTrans)", n.Span);
            if ((flags & bit) != 0) throw YamlTree.Error(ErrorCode.DuplicateName, $"ACS bit {text} is listed twice in {key}", n.Span);
            flags |= bit;
        }
        return flags;
    }

    private static string Hint(string word, IEnumerable<string> known) => Suggest.Closest(word, known) is { } h ? $"; did you mean '{h}'?" : "";

    /// <summary>
    /// The structure enumeration needs: unique addresses; every function's bus reachable from the
    /// root bus through bridges whose ranges nest (pbus_validate_busn) and do not overlap; function 0
    /// present in every slot, multifunction when the slot has more; only device 0 below a PCIe
    /// downstream port (only_one_child). Returns the functions with multifunction settled.
    /// </summary>
    private static List<PciFunction> CheckTopology(PciHostBridge hb, List<(PciFunction F, MappingReader R)> read)
    {
        var byAddr = new Dictionary<PciAddress, (PciFunction F, MappingReader R)>();
        foreach (var x in read)
        {
            if (byAddr.ContainsKey(x.F.Address))
                throw YamlTree.Error(ErrorCode.DuplicateName, $"two functions at {x.F.Address}", x.R.Node("bdf")!.Span);
            byAddr[x.F.Address] = x;
        }
        // which bridge leads to each bus, and the range it owns
        var leadsTo = new Dictionary<int, (PciFunction F, MappingReader R)>();
        foreach (var x in read.Where(x => x.F.IsBridge))
        {
            if (leadsTo.TryGetValue(x.F.Secondary, out var other))
                throw YamlTree.Error(ErrorCode.OverlappingRanges, $"bridges {other.F.Address} and {x.F.Address} both lead to bus {x.F.Secondary:x2}", x.R.Node("secondary")!.Span);
            leadsTo[x.F.Secondary] = x;
        }
        foreach (var x in read)
        {
            int bus = x.F.Address.Bus;
            if (bus != hb.BusStart && !leadsTo.ContainsKey(bus))
                throw YamlTree.Error(ErrorCode.BadPciTopology, $"{x.F.Address}: no bridge leads to bus {bus:x2} (the root bus of '{hb.Name}' is {hb.BusStart:x2}; a bridge's secondary gives every other bus)", x.R.Node("bdf")!.Span);
            int parentEnd = bus == hb.BusStart ? hb.BusEnd : leadsTo[bus].F.Subordinate;
            if (x.F.IsBridge && x.F.Subordinate > parentEnd)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"bridge {x.F.Address}: buses {x.F.Secondary:x2}-{x.F.Subordinate:x2} run past its parent's last bus {parentEnd:x2} (pbus_validate_busn: devices behind it are unusable)", x.R.Node("subordinate")!.Span);
            if (bus != hb.BusStart && leadsTo[bus].F.Type.IsPcieDownstreamPort() && x.F.Address.Slot != 0)
                throw YamlTree.Error(ErrorCode.BadPciTopology, $"{x.F.Address}: below {leadsTo[bus].F.Address} ({leadsTo[bus].F.Type.Words()}) the kernel scans only device 00 (only_one_child, drivers/pci/probe.c)", x.R.Node("bdf")!.Span);
        }
        // sibling bridges own disjoint bus ranges
        foreach (var g in read.Where(x => x.F.IsBridge).GroupBy(x => x.F.Address.Bus))
        {
            var list = g.OrderBy(x => x.F.Address.Devfn).ToList();
            for (int i = 0; i < list.Count; i++)
                for (int j = 0; j < i; j++)
                    if (list[i].F.Secondary <= list[j].F.Subordinate && list[j].F.Secondary <= list[i].F.Subordinate)
                        throw YamlTree.Error(ErrorCode.OverlappingRanges, $"bridges {list[j].F.Address} (buses {list[j].F.Secondary:x2}-{list[j].F.Subordinate:x2}) and {list[i].F.Address} (buses {list[i].F.Secondary:x2}-{list[i].F.Subordinate:x2}) overlap", list[i].R.Node("secondary")!.Span);
        }
        // slots: function 0 first; several functions make the slot multifunction
        var result = new List<PciFunction>();
        foreach (var x in read)
        {
            var f = x.F;
            var slotMates = read.Where(o => o.F.Address.Bus == f.Address.Bus && o.F.Address.Slot == f.Address.Slot).ToList();
            if (!byAddr.ContainsKey(f.Address with { Devfn = PciAddress.MakeDevfn(f.Address.Slot, 0) }))
                throw YamlTree.Error(ErrorCode.BadPciTopology, $"{f.Address}: no function 0 in its slot; pci_scan_slot looks at functions past 0 only when function 0 exists", x.R.Node("bdf")!.Span);
            bool multi = slotMates.Count > 1;
            var fn0 = byAddr[f.Address with { Devfn = PciAddress.MakeDevfn(f.Address.Slot, 0) }];
            if (multi && fn0.R.OptBool("multifunction") == false)
                throw YamlTree.Error(ErrorCode.BadPciTopology, $"{f.Address}: function 0 of the slot says multifunction: false, so pci_scan_slot never looks for more functions", fn0.R.KeySpan("multifunction"));
            if (f.Address.Function != 0 && x.R.OptBool("multifunction") == false)
                throw YamlTree.Error(ErrorCode.BadValue, $"{f.Address}: a function past 0 is always multifunction (pci_scan_slot sets it)", x.R.KeySpan("multifunction"));
            result.Add(f with { Multifunction = multi || (fn0.R.OptBool("multifunction") ?? false) });
        }
        return result;
    }
}
