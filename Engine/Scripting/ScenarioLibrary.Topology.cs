using ScenarioEngine.Record;
using KeraLua;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>The soc library and the rows of device, group, IOMMU and domain objects: fields, and device accesses (docs/lua-api.md).</summary>
internal sealed partial class ScenarioLibrary
{
    private static ApiFunction Field(HandleKind kind, string name, ApiBody body) =>
        Fn(kind.Name(), name, ApiShape.Field, [], body) with { Self = kind, Records = false };

    private static ApiFunction Method(HandleKind kind, string name, ApiArg[] args, ApiBody body) =>
        Fn(kind.Name(), name, ApiShape.Method, args, body) with { Self = kind };

    private static ApiFunction[] TopologyRows() =>
    [
        Fn("soc", "name", ApiShape.Field, [], (lib, in c) => Push(c.L, lib._core.Soc.Name)) with { Records = false },
        Fn("soc", "description", ApiShape.Field, [], (lib, in c) => Push(c.L, lib._core.Soc.Description)) with { Records = false },
        Fn("soc", "device", [Arg.Str("name", "device name expected, got {got}")], (lib, in c) => lib.DevFind(c)) with { Returns = HandleKind.Device, Records = false },
        Fn("soc", "devices", [], (lib, in c) => Values(c.L, Enumerable.Range(0, lib._core.Devices.Count).ToList()))
            with { Returns = HandleKind.Device, ReturnsList = true, Records = false },
        Fn("soc", "iommu", [Arg.Any("name")], (lib, in c) => lib.IommuFind(c)) with { Returns = HandleKind.Iommu, Records = false },
        Fn("soc", "groups", [], (lib, in c) => Values(c.L, Enumerable.Range(0, lib._core.Groups.Count).ToList()))
            with { Returns = HandleKind.Group, ReturnsList = true, Records = false },
        Fn("soc", "reserved", [Arg.Any("name")], (lib, in c) => lib.Reserved(c)) with { Records = false },

        Field(HandleKind.Device, "name", (lib, in c) => Push(c.L, lib.Dev(c.Self).Name)),
        Field(HandleKind.Device, "group", (lib, in c) => Push(c.L, lib.Dev(c.Self).Group?.Id)) with { Returns = HandleKind.Group },
        Field(HandleKind.Device, "iommu", (lib, in c) => Push(c.L, lib._core.Soc.IommuIndex(lib.Dev(c.Self).Iommu))) with { Returns = HandleKind.Iommu },
        Field(HandleKind.Device, "bank", (lib, in c) => Push(c.L, lib.Dev(c.Self).Driver.DeviceBank(lib.Dev(c.Self)))),
        Field(HandleKind.Device, "region", (lib, in c) => Push(c.L, lib.Dev(c.Self).Driver.DeviceRegion(lib.Dev(c.Self)))),
        Field(HandleKind.Device, "dma_mask", (lib, in c) => Push(c.L, lib.Dev(c.Self).DmaMask)),
        Field(HandleKind.Device, "firmware", (lib, in c) => Push(c.L, lib.Firmware(lib.Dev(c.Self)))),
        Field(HandleKind.Device, "bdf", (lib, in c) => Push(c.L, lib.Dev(c.Self).Pci?.Address.ToString())),
        Field(HandleKind.Device, "driver_bound", (lib, in c) => Push(c.L, lib.Dev(c.Self).DriverBound)),
        Method(HandleKind.Device, "read", [Arg.Int("iova", "iova expected, got {got}"), Arg.Int("size", "size expected", optional: true)], (lib, in c) => lib.DevAccess(c, write: false)),
        Method(HandleKind.Device, "write", [Arg.Int("iova", "iova expected, got {got}"), Arg.Int("size", "size expected", optional: true)], (lib, in c) => lib.DevAccess(c, write: true)),
        Method(HandleKind.Device, "stream", [Arg.Int("iova", "iova expected, got {got}"), Arg.Int("size", "size > 0 expected"),
            Arg.Table("opts", "{stride: Int?, count: integer?, write: boolean?}", "options table {stride, count, write} expected", optional: true)], (lib, in c) => lib.DevStream(c)),
        Method(HandleKind.Device, "boot_firmware", [], (lib, in c) => lib.DevBoot(c)),

        Field(HandleKind.Group, "name", (lib, in c) => Push(c.L, lib.Grp(c.Self).Name)),
        Field(HandleKind.Group, "devices", (lib, in c) =>
            Push(c.L, lib.Grp(c.Self).Devices.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => lib._core.DeviceIndex(d)).ToList()))
            with { Returns = HandleKind.Device, ReturnsList = true },
        Field(HandleKind.Group, "domain", (lib, in c) => Push(c.L, lib.Grp(c.Self).Domain is { } d ? lib.DomId(d) : null)) with { Returns = HandleKind.Domain },
        Field(HandleKind.Group, "default_domain", (lib, in c) => Push(c.L, lib.Grp(c.Self).DefaultDomain is { } d ? lib.DomId(d) : null)) with { Returns = HandleKind.Domain },
        Field(HandleKind.Group, "owner_cnt", (lib, in c) => Push(c.L, lib.Grp(c.Self).OwnerCnt)),
        Field(HandleKind.Group, "owner", (lib, in c) => Push(c.L, lib.Grp(c.Self).Owner as string)),

        Field(HandleKind.Domain, "name", (lib, in c) => Push(c.L, lib._domainIds[c.Self].Name)),
        Field(HandleKind.Domain, "type", (lib, in c) => Push(c.L, lib._domainIds[c.Self].Type.Name())),
        Field(HandleKind.Domain, "pgsize_bitmap", (lib, in c) => Push(c.L, lib._domainIds[c.Self].PgsizeBitmap)),
        Field(HandleKind.Domain, "aperture", (lib, in c) => Push(c.L, lib._domainIds[c.Self] is { GeometrySet: true } d
            ? new LuaTable().Add("start", d.ApertureStart).Add("last", d.ApertureEnd) : null)),
        Method(HandleKind.Domain, "mappings", [], (lib, in c) => Values(c.L, lib.Mappings(lib._domainIds[c.Self])
            .Select(m => new LuaTable().Add("iova", m.Iova).Add("pa", m.Pa).Add("size", m.Size).Add("prot", ProtText.Format(m.Prot))).ToList())) with { Records = false },

        Field(HandleKind.Iommu, "name", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Name)),
        Field(HandleKind.Iommu, "driver", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Driver)),
        Field(HandleKind.Iommu, "type", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Type)),
        Field(HandleKind.Iommu, "pgtable", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Pgtable)),
        Field(HandleKind.Iommu, "ias", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Ias)),
        Field(HandleKind.Iommu, "oas", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Oas)),
        Field(HandleKind.Iommu, "banks", (lib, in c) => Push(c.L, lib._core.Soc.Iommus[c.Self].Banks)),
        Field(HandleKind.Iommu, "regions", (lib, in c) => Push(c.L, Drivers.Families.Find(lib._core.Soc.Iommus[c.Self].Driver)!.RegionsOf(lib._core.Soc.Iommus[c.Self])
            .Select(r => new LuaTable().Add("name", r.Name).Add("base", r.Base).Add("size", r.Size)).ToList())),
        Method(HandleKind.Iommu, "commands", [], (lib, in c) => Values(c.L, lib._core.DriverOf(lib._core.Soc.Iommus[c.Self]).TakeCommands(lib._core.Soc.Iommus[c.Self])
            .Select(q => new LuaTable().Add("op", q.Op).Add("text", q.Text).Add("dw0", q.Dw0).Add("dw1", q.Dw1)).ToList())),
    ];

    /// <summary>Pushes one value: a field's answer.</summary>
    private static int Push(Lua l, object? v)
    {
        LuaValues.Push(l, v);
        return 1;
    }

    private int DevFind(in ApiCall c)
    {
        var name = c.Str(0)!;
        for (int i = 0; i < _core.Devices.Count; i++)
            if (_core.Devices[i].Name == name) return Values(c.L, i);
        return Misuse(c.L, $"no device named '{name}'" + SocLoader.DeviceHint(name, _core.Soc.Devices));
    }

    private int IommuFind(in ApiCall c)
    {
        var name = LuaValues.Str(c.L, c.At(0));
        var names = _core.Soc.Iommus.Select(i => i.Name).ToList();
        int i = name is null ? -1 : names.IndexOf(name);
        if (i < 0) return Misuse(c.L, $"no IOMMU named '{name}' (IOMMUs: {string.Join(", ", names)})");
        return Values(c.L, i);
    }

    private int Reserved(in ApiCall c)
    {
        var name = LuaValues.Str(c.L, c.At(0));
        var r = _core.Soc.ReservedMemory.FirstOrDefault(x => x.Name == name);
        if (r is null) return Misuse(c.L, $"no reserved-memory node named '{name}' (nodes: {string.Join(", ", _core.Soc.ReservedMemory.Select(x => x.Name))})");
        return Values(c.L, new LuaTable().Add("name", r.Name).Add("base", r.Base).Add("size", r.Size)
            .Add("iommu_addresses", r.IommuAddresses.Select(a => new LuaTable().Add("device", a.Device).Add("iova", a.Iova).Add("size", a.Size)).ToList()));
    }

    private LuaTable Firmware(IommuDevice dev)
    {
        var t = new LuaTable();
        foreach (var fw in dev.Spec.Firmware)
            t.Add(fw.Name, new LuaTable().Add("name", fw.Name).Add("iova", fw.Iova).Add("size", fw.Size));
        return t;
    }

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

    private int DevAccess(in ApiCall c, bool write)
    {
        var dev = Dev(c.Self);
        var fname = c.Fn.Name;
        ulong iova = c.U64(0), size = c.Has(1) ? c.U64(1) : 4;
        if (size == 0) return Misuse(c.L, $"bad argument #2 to '{fname}' (size expected)");
        var call = $"{dev.Name}:{fname}";
        var args = size == 4 ? Show(iova) : $"{Show(iova)}, {Show(size)}";
        DeviceAccess.Access r;
        try { r = DeviceAccess.Perform(_core, dev, iova, size, write, c.Site); }
        catch (NotModelledException ex)
        {
            // the refused access stays in the report's steps; the script stops at this line (SE2002)
            _log.Step(c.Line, call, args, "not modelled", null, ex.Message, iova, iova + size - 1);
            throw;
        }
        if (r.Ok)
        {
            _log.Step(c.Line, call, args, "pa " + Show(r.Pa), r.Stale > 0 ? "stale" : null,
                r.Stale > 0 ? (r.StaleAtc ? "STALE: the device's own ATC (ATS) translated it, never asking the IOMMU (see Faults and hazards)" : "STALE: a stale IOTLB entry translated it (see Faults and hazards)") : null, iova, iova + size - 1);
            return Values(c.L, r.Pa);
        }
        var f = r.Fault!;
        _log.Step(c.Line, call, args, "fault", "fault", $"{f.FaultKind} fault at {Show(f.Iova)}: {f.Why}", iova, iova + size - 1);
        return Values(c.L, null, FaultTable(f));
    }

    private static LuaTable FaultTable(SimEvent f)
    {
        var t = new LuaTable().Add("kind", f.FaultKind).Add("iova", f.Iova).Add("write", f.Write).Add("device", f.Device).Add("domain", f.Domain).Add("line", f.Line);
        if (f.Registers is { } regs)
            foreach (var (name, value) in regs.Fields) t.Add(name, value);
        if (f.Registers is { } any) t.Add("handler_result", any.HandlerResult).Add("message", any.Message);
        return t;
    }

    private int DevStream(in ApiCall c)
    {
        var l = c.L;
        var dev = Dev(c.Self);
        ulong iova = c.U64(0), size = c.U64(1);
        if (size == 0) return Misuse(l, "bad argument #2 to 'stream' (size > 0 expected)");
        ulong stride = 0x1000, count = 0;
        bool write = false, hasCount = false;
        if (c.Has(2))
        {
            int opts = c.At(2);
            LuaValues.RawField(l, opts, "stride");
            bool okStride = l.IsNil(-1) || (LuaValues.TryU64(l, -1, out stride) && stride > 0);
            l.Pop(1);
            LuaValues.RawField(l, opts, "count");
            hasCount = !l.IsNil(-1);
            bool okCount = !hasCount || LuaValues.TryU64(l, -1, out count);
            l.Pop(1);
            LuaValues.RawField(l, opts, "write");
            write = l.ToBoolean(-1);
            l.Pop(1);
            if (!okStride || !okCount) return Misuse(l, "bad argument #3 to 'stream' (stride > 0 and count must be integers)");
        }
        if (!hasCount) count = (size + stride - 1) / stride;
        if (count > 1UL << 40) return Misuse(l, "bad argument #3 to 'stream' (count too large)");
        if (!_sandbox.TryPay(count)) return Misuse(l, $"stream: {count} accesses exceed the instruction budget left (each access counts as one instruction)");
        var r = DeviceAccess.Stream(_core, dev, iova, size, stride, (long)count, write, c.Site);
        _log.Step(c.Line, $"{dev.Name}:stream", $"{Show(iova)}, {Show(size)}, {{stride = {Show(stride)}, count = {count}{(write ? ", write = true" : "")}}}",
            $"{r.Accesses} accesses: {r.Hits} hits, {r.Misses} misses, {r.Faults} faults, {r.Stale} stale", r.Faults + r.Stale > 0 ? (r.Faults > 0 ? "fault" : "stale") : null,
            r.Faults + r.Stale > 0 ? "see Faults and hazards" : null, iova, iova + size - 1);
        return Values(l, new LuaTable().Add("accesses", r.Accesses).Add("hits", r.Hits).Add("misses", r.Misses).Add("faults", r.Faults).Add("stale", r.Stale));
    }

    private int DevBoot(in ApiCall c)
    {
        var dev = Dev(c.Self);
        var results = new List<object?>();
        int ok = 0, faults = 0;
        foreach (var fw in dev.Spec.Firmware)
            foreach (var a in fw.Boot)
            {
                var r = DeviceAccess.Perform(_core, dev, a.Iova, a.Size, a.Write, c.Site);
                var row = new LuaTable().Add("window", fw.Name).Add("iova", a.Iova).Add("size", a.Size).Add("write", a.Write);
                if (r.Ok) { ok++; row.Add("pa", r.Pa); }
                else { faults++; row.Add("fault", FaultTable(r.Fault!)); }
                results.Add(row);
            }
        _log.Step(c.Line, $"{dev.Name}:boot_firmware", "", $"{ok} ok, {faults} faulted", faults > 0 ? "fault" : null,
            faults > 0 ? "the firmware's boot accesses fault where nothing is mapped (see Faults and hazards)" : null);
        return Values(c.L, results);
    }
}
