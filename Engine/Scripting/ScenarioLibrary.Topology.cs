using ScenarioEngine.Record;
using KeraLua;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>soc, device, group, IOMMU and domain fields; device accesses (docs/lua-api.md).</summary>
internal sealed partial class ScenarioLibrary
{
    [LuaName("name")]
    private int Name(IntPtr s) => Guard(s, l =>
    {
        var kind = l.ToString(1, false);
        int id = (int)l.ToInteger(2);
        l.PushString(kind switch
        {
            "device" => _core.Devices[id].Name,
            "group" => _core.Groups[id].Name,
            "domain" => _domainIds[id].Name,
            "iovad" => IovadName(id),
            "pgtable" => PtName(id),
            _ => _core.Soc.Iommus[id].Name,
        });
        return 1;
    });

    [LuaName("all")]
    private int All(IntPtr s) => Guard(s, l =>
    {
        var kind = l.ToString(1, false);
        int n = kind == "device" ? _core.Devices.Count : _core.Groups.Count;
        LuaValues.Push(l, Enumerable.Range(0, n).ToList());
        return 1;
    });

    [LuaName("soc_name")]
    private int SocName(IntPtr s) => Guard(s, l =>
    {
        l.PushString(_core.Soc.Name);
        LuaValues.Push(l, _core.Soc.Description);
        return 2;
    });

    [LuaName("dev_find")]
    private int DevFind(IntPtr s) => Guard(s, l =>
    {
        var name = LuaValues.Str(l, 1);
        if (name is null) return Misuse(l, $"bad argument #1 to 'device' (device name expected, got {LuaValues.TypeOf(l, 1)})");
        for (int i = 0; i < _core.Devices.Count; i++)
            if (_core.Devices[i].Name == name) return Values(l, i);
        return Misuse(l, $"no device named '{name}'" + SocLoader.DeviceHint(name, _core.Soc.Devices));
    });

    [LuaName("iommu_find")]
    private int IommuFind(IntPtr s) => Guard(s, l =>
    {
        var name = LuaValues.Str(l, 1);
        var names = _core.Soc.Iommus.Select(i => i.Name).ToList();
        int i = name is null ? -1 : names.IndexOf(name);
        if (i < 0) return Misuse(l, $"no IOMMU named '{name}' (IOMMUs: {string.Join(", ", names)})");
        return Values(l, i);
    });

    [LuaName("iommu_info")]
    private int IommuInfo(IntPtr s) => Guard(s, l =>
    {
        var inst = _core.Soc.Iommus[(int)l.ToInteger(1)];
        LuaValues.Push(l, new LuaTable()
            .Add("name", inst.Name).Add("driver", inst.Driver).Add("type", inst.Type).Add("pgtable", inst.Pgtable)
            .Add("ias", inst.Ias).Add("oas", inst.Oas).Add("banks", inst.Banks)
            .Add("regions", Drivers.Families.Find(inst.Driver)!.RegionsOf(inst).Select(r => new LuaTable().Add("name", r.Name).Add("base", r.Base).Add("size", r.Size)).ToList()));
        return 1;
    });

    [LuaName("reserved")]
    private int Reserved(IntPtr s) => Guard(s, l =>
    {
        var name = LuaValues.Str(l, 1);
        var r = _core.Soc.ReservedMemory.FirstOrDefault(x => x.Name == name);
        if (r is null) return Misuse(l, $"no reserved-memory node named '{name}' (nodes: {string.Join(", ", _core.Soc.ReservedMemory.Select(x => x.Name))})");
        return Values(l, new LuaTable().Add("name", r.Name).Add("base", r.Base).Add("size", r.Size)
            .Add("iommu_addresses", r.IommuAddresses.Select(a => new LuaTable().Add("device", a.Device).Add("iova", a.Iova).Add("size", a.Size)).ToList()));
    });

    [LuaName("dev_group")]
    private int DevGroup(IntPtr s) => Guard(s, l =>
    {
        var g = Dev(l, 1).Group;
        LuaValues.Push(l, g is null ? null : g.Id);
        return 1;
    });

    [LuaName("dev_iommu")]
    private int DevIommu(IntPtr s) => Guard(s, l =>
    {
        l.PushInteger(_core.Soc.IommuIndex(Dev(l, 1).Iommu));
        return 1;
    });

    [LuaName("dev_bank")]
    private int DevBank(IntPtr s) => Guard(s, l =>
    {
        var d = Dev(l, 1);
        LuaValues.Push(l, d.Driver.DeviceBank(d));
        return 1;
    });

    [LuaName("dev_region")]
    private int DevRegion(IntPtr s) => Guard(s, l =>
    {
        var d = Dev(l, 1);
        LuaValues.Push(l, d.Driver.DeviceRegion(d));
        return 1;
    });

    [LuaName("dev_dma_mask")]
    private int DevDmaMask(IntPtr s) => Guard(s, l =>
    {
        l.PushInteger(Dev(l, 1).DmaMask);
        return 1;
    });

    [LuaName("dev_firmware")]
    private int DevFirmware(IntPtr s) => Guard(s, l =>
    {
        var t = new LuaTable();
        foreach (var fw in Dev(l, 1).Spec.Firmware)
            t.Add(fw.Name, new LuaTable().Add("name", fw.Name).Add("iova", fw.Iova).Add("size", fw.Size));
        LuaValues.Push(l, t);
        return 1;
    });

    [LuaName("grp_devices")]
    private int GrpDevices(IntPtr s) => Guard(s, l =>
    {
        var g = Grp(l, 1);
        LuaValues.Push(l, g.Devices.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => _core.DeviceIndex(d)).ToList());
        return 1;
    });

    [LuaName("grp_domain")]
    private int GrpDomain(IntPtr s) => Guard(s, l =>
    {
        var d = Grp(l, 1).Domain;
        LuaValues.Push(l, d is null ? null : DomId(d));
        return 1;
    });

    [LuaName("grp_default")]
    private int GrpDefault(IntPtr s) => Guard(s, l =>
    {
        var d = Grp(l, 1).DefaultDomain;
        LuaValues.Push(l, d is null ? null : DomId(d));
        return 1;
    });

    [LuaName("grp_owner_cnt")]
    private int GrpOwnerCnt(IntPtr s) => Guard(s, l =>
    {
        l.PushInteger(Grp(l, 1).OwnerCnt);
        return 1;
    });

    [LuaName("dom_info")]
    private int DomInfo(IntPtr s) => Guard(s, l =>
    {
        var d = Dom(l, 1);
        l.PushString(d.Type.Name());
        l.PushInteger((long)d.PgsizeBitmap);
        if (d.GeometrySet)
        {
            l.PushInteger((long)d.ApertureStart);
            l.PushInteger((long)d.ApertureEnd);
        }
        else
        {
            l.PushNil();
            l.PushNil();
        }
        return 4;
    });

    [LuaName("dom_mappings")]
    private int DomMappings(IntPtr s) => Guard(s, l =>
    {
        var d = Dom(l, 1);
        return Values(l, Mappings(d).Select(m => new LuaTable().Add("iova", m.Iova).Add("pa", m.Pa).Add("size", m.Size).Add("prot", ProtText.Format(m.Prot))).ToList());
    });

    /// <summary>The domain's leaves, coalesced where IOVA and PA both continue with the same prot.</summary>
    internal List<MappingState> Mappings(IommuDomain d)
    {
        var list = new List<MappingState>();
        if (d.PageTable is null || !d.Type.IsPaging()) return list;
        foreach (var leaf in d.PageTable.Leaves())
        {
            var cpu = new MappingState(leaf.Iova, d.Driver.OutputToCpu(d, leaf.Pa), leaf.Size, leaf.Prot);
            if (list.Count > 0 && list[^1] is var last && last.Iova + last.Size == cpu.Iova && last.Pa + last.Size == cpu.Pa && last.Prot == cpu.Prot)
                list[^1] = last with { Size = last.Size + cpu.Size };
            else list.Add(cpu);
        }
        return list;
    }

    [LuaName("dev_access")]
    private int DevAccess(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        bool write = l.ToBoolean(4);
        var fname = write ? "write" : "read";
        if (!LuaValues.TryU64(l, 2, out var iova)) return Misuse(l, $"bad argument #1 to '{fname}' (iova expected, got {LuaValues.TypeOf(l, 2)})");
        ulong size = 4;
        if (!l.IsNoneOrNil(3) && (!LuaValues.TryU64(l, 3, out size) || size == 0)) return Misuse(l, $"bad argument #2 to '{fname}' (size expected)");
        var r = DeviceAccess.Perform(_core, dev, iova, size, write);
        var call = $"{dev.Name}:{fname}";
        var args = size == 4 ? Show(iova) : $"{Show(iova)}, {Show(size)}";
        if (r.Ok)
        {
            _log.Step(line, call, args, "pa " + Show(r.Pa), r.Stale > 0 ? "stale" : null,
                r.Stale > 0 ? "STALE: a stale IOTLB entry translated it (see Faults and hazards)" : null, iova, iova + size - 1);
            return Values(l, r.Pa);
        }
        var f = r.Fault!;
        _log.Step(line, call, args, "fault", "fault", $"{f.FaultKind} fault at {Show(f.Iova)}: {f.Why}", iova, iova + size - 1);
        return Values(l, null, FaultTable(f));
    });

    private static LuaTable FaultTable(SimEvent f)
    {
        var t = new LuaTable().Add("kind", f.FaultKind).Add("iova", f.Iova).Add("write", f.Write).Add("device", f.Device).Add("domain", f.Domain).Add("line", f.Line);
        if (f.Registers is { } regs)
            foreach (var (name, value) in regs.Fields) t.Add(name, value);
        if (f.Registers is { } any) t.Add("handler_result", any.HandlerResult).Add("message", any.Message);
        return t;
    }

    [LuaName("dev_stream")]
    private int DevStream(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!LuaValues.TryU64(l, 2, out var iova)) return Misuse(l, $"bad argument #1 to 'stream' (iova expected, got {LuaValues.TypeOf(l, 2)})");
        if (!LuaValues.TryU64(l, 3, out var size) || size == 0) return Misuse(l, "bad argument #2 to 'stream' (size > 0 expected)");
        ulong stride = 0x1000, count = 0;
        bool write = false, hasCount = false;
        if (!l.IsNoneOrNil(4))
        {
            if (!l.IsTable(4)) return Misuse(l, "bad argument #3 to 'stream' (options table {stride, count, write} expected)");
            LuaValues.RawField(l, 4, "stride");
            bool okStride = l.IsNil(-1) || (LuaValues.TryU64(l, -1, out stride) && stride > 0);
            l.Pop(1);
            LuaValues.RawField(l, 4, "count");
            hasCount = !l.IsNil(-1);
            bool okCount = !hasCount || LuaValues.TryU64(l, -1, out count);
            l.Pop(1);
            LuaValues.RawField(l, 4, "write");
            write = l.ToBoolean(-1);
            l.Pop(1);
            if (!okStride || !okCount) return Misuse(l, "bad argument #3 to 'stream' (stride > 0 and count must be integers)");
        }
        if (!hasCount) count = (size + stride - 1) / stride;
        if (count > 1UL << 40) return Misuse(l, "bad argument #3 to 'stream' (count too large)");
        if (!_sandbox.TryPay(count)) return Misuse(l, $"stream: {count} accesses exceed the instruction budget left (each access counts as one instruction)");
        var r = DeviceAccess.Stream(_core, dev, iova, size, stride, (long)count, write);
        _log.Step(line, $"{dev.Name}:stream", $"{Show(iova)}, {Show(size)}, {{stride = {Show(stride)}, count = {count}{(write ? ", write = true" : "")}}}",
            $"{r.Accesses} accesses: {r.Hits} hits, {r.Misses} misses, {r.Faults} faults, {r.Stale} stale", r.Faults + r.Stale > 0 ? (r.Faults > 0 ? "fault" : "stale") : null,
            r.Faults + r.Stale > 0 ? "see Faults and hazards" : null, iova, iova + size - 1);
        return Values(l, new LuaTable().Add("accesses", r.Accesses).Add("hits", r.Hits).Add("misses", r.Misses).Add("faults", r.Faults).Add("stale", r.Stale));
    });

    [LuaName("dev_boot")]
    private int DevBoot(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        var results = new List<object?>();
        int ok = 0, faults = 0;
        foreach (var fw in dev.Spec.Firmware)
            foreach (var a in fw.Boot)
            {
                var r = DeviceAccess.Perform(_core, dev, a.Iova, a.Size, a.Write);
                var row = new LuaTable().Add("window", fw.Name).Add("iova", a.Iova).Add("size", a.Size).Add("write", a.Write);
                if (r.Ok) { ok++; row.Add("pa", r.Pa); }
                else { faults++; row.Add("fault", FaultTable(r.Fault!)); }
                results.Add(row);
            }
        _log.Step(line, $"{dev.Name}:boot_firmware", "", $"{ok} ok, {faults} faulted", faults > 0 ? "fault" : null,
            faults > 0 ? "the firmware's boot accesses fault where nothing is mapped (see Faults and hazards)" : null);
        return Values(l, results);
    });
}
