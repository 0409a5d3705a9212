using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>The iommu.* rows of the API table (docs/lua-api.md), each recorded as a report step.</summary>
internal sealed partial class ScenarioLibrary
{
    private const string ProtBad = "prot like \"rw\" or \"r|noexec\" expected, got {got}";

    private static ApiFunction[] IommuRows() =>
    [
        Fn("iommu", "domain_alloc", [Arg.Device(), Arg.Enum("type", ["unmanaged", "dma", "dma-fq", "identity", "blocked"],
            "\"unmanaged\", \"dma\", \"dma-fq\", \"identity\" or \"blocked\" expected, got {got}", annotation: "DomainType")],
            (lib, in c) => lib.DomainAlloc(c)) with { Returns = HandleKind.Domain },
        Fn("iommu", "domain_free", [Arg.Domain()], (lib, in c) =>
        {
            var d = lib._domainIds[c.Id(0)];
            var misuse = lib._core.DomainFree(d, c.Site);
            return misuse is not null ? Misuse(c.L, "iommu.domain_free: " + misuse) : lib.Record(c, Model.Outcome.Success);
        }),
        Fn("iommu", "attach_device", [Arg.Domain(), Arg.Device()], (lib, in c) => lib.Record(c, lib._core.AttachDevice(lib._domainIds[c.Id(0)], lib.Dev(c.Id(1)), c.Site))),
        Fn("iommu", "detach_device", [Arg.Domain(), Arg.Device()], (lib, in c) => lib.Record(c, lib._core.DetachDevice(lib._domainIds[c.Id(0)], lib.Dev(c.Id(1)), c.Site))),
        Fn("iommu", "attach_group", [Arg.Domain(), Arg.Group()], (lib, in c) => lib.AttachGroup(c)),
        Fn("iommu", "detach_group", [Arg.Domain(), Arg.Group()], (lib, in c) => lib.Record(c, lib._core.DetachGroup(lib._domainIds[c.Id(0)], lib.Grp(c.Id(1)), c.Site))),
        Fn("iommu", "group_claim_dma_owner", [Arg.Group(), new ApiArg("owner", ArgKind.Str, Optional: true, Bad: "owner name (a string) expected, got {got}")],
            (lib, in c) => lib.Record(c, lib._core.ClaimDmaOwner(lib.Grp(c.Id(0)), c.Site, c.Has(1) ? c.Str(1) : null))),
        Fn("iommu", "group_release_dma_owner", [Arg.Group()], (lib, in c) => lib.Record(c, lib._core.ReleaseDmaOwner(lib.Grp(c.Id(0)), c.Site))),
        // DMA ownership by device (iommufd_device_bind) and the driver core's count of DMA-API drivers
        Fn("iommu", "device_claim_dma_owner", [Arg.Device(), Arg.Str("owner", "owner name (a string) expected, got {got}")],
            (lib, in c) => lib.Record(c, lib._core.DeviceClaimDmaOwner(lib.Dev(c.Id(0)), c.Str(1)!, c.Site))),
        Fn("iommu", "device_release_dma_owner", [Arg.Device()], (lib, in c) => lib.Record(c, lib._core.DeviceReleaseDmaOwner(lib.Dev(c.Id(0)), c.Site))),
        Fn("iommu", "device_use_default_domain", [Arg.Device()], (lib, in c) => lib.Record(c, lib._core.DeviceUseDefaultDomain(lib.Dev(c.Id(0))))),
        Fn("iommu", "device_unuse_default_domain", [Arg.Device()], (lib, in c) => lib.Record(c, lib._core.DeviceUnuseDefaultDomain(lib.Dev(c.Id(0)), c.Site))),
        Fn("iommu", "get_domain_for_dev", [Arg.Device()], (lib, in c) =>
        {
            var d = lib._core.GetDomainForDev(lib.Dev(c.Id(0)));
            return lib.Step(c, lib.ArgsText(c), d?.Name ?? "nil", null, null, null, null, d is null ? null : lib.DomId(d));
        }) with { Returns = HandleKind.Domain },
        Fn("iommu", "map", [Arg.Domain(), Arg.Int("iova"), Arg.Int("pa"), Arg.Int("size"), Arg.Prot("prot", ProtBad)], (lib, in c) => lib.Map(c))
            with { Fast = (lib, row) => s => lib.MapFast(s, row) },
        Fn("iommu", "unmap", [Arg.Domain(), Arg.Int("iova"), Arg.Int("size")], (lib, in c) => lib.Unmap(c, fast: false)),
        Fn("iommu", "unmap_fast", [Arg.Domain(), Arg.Int("iova"), Arg.Int("size")], (lib, in c) => lib.Unmap(c, fast: true)),
        Fn("iommu", "iotlb_sync", [Arg.Domain()], (lib, in c) =>
        {
            lib._core.IotlbSync(lib._domainIds[c.Id(0)]);
            return lib.Record(c, Model.Outcome.Success);
        }),
        Fn("iommu", "flush_iotlb_all", [Arg.Domain()], (lib, in c) =>
        {
            lib._core.FlushIotlbAll(lib._domainIds[c.Id(0)]);
            return lib.Record(c, Model.Outcome.Success);
        }),
        Fn("iommu", "iova_to_phys", [Arg.Domain(), Arg.Int("iova")], (lib, in c) => lib.IovaToPhys(c)),
        Fn("iommu", "get_resv_regions", [Arg.Device()], (lib, in c) => lib.GetResvRegions(c)),
        Fn("iommu", "walk", [Arg.Domain(), Arg.Int("iova")], (lib, in c) => lib.Walk(c)),
        Fn("iommu", "set_fault_handler", [Arg.Domain(), Arg.Function("fn", "function expected, got {got}")], (lib, in c) => lib.SetFaultHandler(c)) with
        {
            // the host keeps this closure and calls it from the fault path with raw ids
            Lua = """
                function(domain, fn)
                    local call = fn
                    if type(fn) == "function" then
                      call = function(domid, iommuid, iova, write)
                        local r = fn(handle("domain", domid), handle("iommu", iommuid), iova, write)
                        if math.type(r) ~= "integer" then error("a fault handler must return an integer (0 handled, -ENOSYS not)", 2) end
                        return r
                      end
                    end
                    local ok, a, b, c = f(domain, call)
                    if ok then return a, b, c end
                    return ret(ok, a, b, c)
                  end
                """,
        },
    ];

    private int DomainAlloc(in ApiCall c)
    {
        DomainTypes.TryParse(c.Choice(1, ""), out var type);
        var r = _core.DomainAlloc(Dev(c.Id(0)), type);
        if (!r.Ok) return Record(c, r.AsOutcome);
        int id = DomId(r.Value!);
        return Step(c, ArgsText(c), r.Value!.Name, null, r.Why, null, null, id);
    }

    private int AttachGroup(in ApiCall c)
    {
        var d = _domainIds[c.Id(0)];
        var g = Grp(c.Id(1));
        var o = _core.AttachGroup(d, g, c.Site);
        if (o.Ok && g.Devices.Count > 1)
            o = Model.Outcome.Note($"every device of {g.Name} moved to {d.Name}: {string.Join(", ", g.Devices.Select(x => x.Name))}" + (o.Why is null ? "" : $"; {o.Why}"));
        return Record(c, o);
    }

    /// <summary>
    /// iommu.map's hot path: a domain handle (the last one resolved is kept), three integers and "r",
    /// "w" or "rw" — no marshaling layer, no closure, no formatting when the row coalesces with the
    /// previous one. Anything else goes through the generic invoker.
    /// </summary>
    private int MapFast(IntPtr s, ApiFunction row)
    {
        try
        {
            var handle = LuaFast.Identity(s, 1);
            int domId;
            if (handle == _lastHandle && handle != IntPtr.Zero) domId = _lastDomId;
            else if (_handles.TryGetValue(handle, out var h) && h.Kind == HandleKind.Domain) (_lastHandle, _lastDomId, domId) = (handle, h.Id, h.Id);
            else return Invoke(s, row);
            if (!LuaFast.TryInteger(s, 2, out var iova) || !LuaFast.TryInteger(s, 3, out var pa)
                || !LuaFast.TryInteger(s, 4, out var size) || !LuaFast.TryShortProt(s, 5, out var prot))
                return Invoke(s, row);
            var site = Site(s);
            int line = site.Line;
            var dom = _domainIds[domId];
            var o = _core.Map(dom, iova, pa, size, prot, site);
            ulong hi = size == 0 ? iova : iova + size - 1;
            if (o.Ok && o.Why is null && _log.TryCoalesce(line, "iommu.map", "ok", null, null, iova, hi))
                return LuaFast.PushTrueTrue(s);
            return Record(State(s), line, "iommu.map", $"{dom.Name}, {Show(iova)}, {Show(pa)}, {Show(size)}, \"{ProtText.Format(prot)}\"", o, lo: iova, hi: hi);
        }
        catch (KernelOopsException ex)
        {
            return Oops(State(s), ex);
        }
        catch (Exception ex)
        {
            return Misuse(State(s), $"internal engine error: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private int Map(in ApiCall c)
    {
        ulong iova = c.U64(1), size = c.U64(3);
        var o = _core.Map(_domainIds[c.Id(0)], iova, c.U64(2), size, (Prot)c.U64(4), c.Site);
        return Record(c, o, lo: iova, hi: size == 0 ? iova : iova + size - 1);
    }

    private int Unmap(in ApiCall c, bool fast)
    {
        var d = _domainIds[c.Id(0)];
        ulong iova = c.U64(1), size = c.U64(2);
        ulong n = fast ? _core.UnmapFast(d, iova, size, c.Site) : _core.Unmap(d, iova, size, c.Site);
        return Step(c, ArgsText(c), Show(n) + " bytes", null, _core.UnmapShortfall(d, iova, size, n), iova, size == 0 ? iova : iova + size - 1, n);
    }

    private int IovaToPhys(in ApiCall c)
    {
        var d = _domainIds[c.Id(0)];
        ulong iova = c.U64(1);
        ulong pa = _core.IovaToPhys(d, iova);
        return Step(c, ArgsText(c), Show(pa), null,
            pa == 0 ? (d.Type == DomainType.Blocked ? "blocked domain: iommu_iova_to_phys returns 0" : "not mapped") : d.Type == DomainType.Identity ? "identity domain: iommu_iova_to_phys returns the iova" : null,
            iova, iova, pa);
    }

    private int GetResvRegions(in ApiCall c)
    {
        var dev = Dev(c.Id(0));
        var regions = dev.Group is null ? [] : _core.GroupResvRegions(dev.Group, c.Site);
        return Step(c, dev.Name, regions.Count == 0 ? "none" : string.Join("; ", regions.Select(r => $"{r.Type.Name()} {Show(r.Start)}+{Show(r.Length)}")), null,
            dev.Driver.ResvRegionsRule, null, null,
            regions.Select(r => new LuaTable().Add("type", r.Type.Name()).Add("start", r.Start).Add("length", r.Length).Add("prot", ProtText.Format(r.Prot))).ToList());
    }

    private int SetFaultHandler(in ApiCall c)
    {
        var l = c.L;
        var d = _domainIds[c.Id(0)];
        l.PushCopy(c.At(1));
        int reference = l.Ref(LuaRegistry.Index);
        var o = _core.SetFaultHandler(d, reference, c.Site);
        if (d.FaultHandler is not int kept || kept != reference) l.Unref(LuaRegistry.Index, reference); // refused: the domain keeps no reference to it
        return Record(c, o);
    }

    /// <summary>report_iommu_fault's call into a Lua handler: (domain, iommu or nil when the driver passes no device, iova, write) → integer.</summary>
    private int InvokeFaultHandler(IommuDomain d, Model.IommuInstance? inst, ulong iova, bool write)
    {
        var l = _lastState ?? throw new InvalidOperationException("no Lua state for a fault handler");
        int top = l.GetTop();
        l.RawGetInteger(LuaRegistry.Index, (int)d.FaultHandler!);
        l.PushInteger(DomId(d));
        if (inst is null) l.PushNil();
        else l.PushInteger(_core.Soc.IommuIndex(inst));
        l.PushInteger((long)iova);
        l.PushBoolean(write);
        var status = _sandbox.AsScript(() => l.PCall(4, 1, 0));
        if (status != LuaStatus.OK)
        {
            var msg = l.ToString(-1, false) ?? "error in a fault handler";
            l.SetTop(top);
            throw new ScriptRaisedException(msg);
        }
        long r = l.ToIntegerX(-1) ?? 0;
        l.SetTop(top);
        return (int)r;
    }

    private int Walk(in ApiCall c)
    {
        var d = _domainIds[c.Id(0)];
        ulong iova = c.U64(1);
        if (d.PageTable is null)
            return Record(c, Model.Outcome.Fail(Errno.EINVAL, $"{d.Name} has no page table (a {d.Type.Name()} domain, or never attached)"));
        var steps = d.PageTable.Walk(iova);
        return Step(c, ArgsText(c), string.Join(" → ", steps.Select(st => $"L{st.Level}[{st.Index}] = 0x{st.Pte:x8}")), null, null, null, null,
            steps.Select(st => new LuaTable().Add("level", st.Level).Add("index", st.Index).Add("pte", st.Pte).Add("table_pa", st.TablePa)).ToList());
    }
}
