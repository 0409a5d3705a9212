using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>The iommu.* functions of docs/lua-api.md, each recorded as a report step.</summary>
internal sealed partial class ScenarioLibrary
{
    private int Record(Lua l, int line, string call, string args, Outcome o, object? okValue = null, string? okText = null, ulong? lo = null, ulong? hi = null)
    {
        _log.Step(line, call, args, o.Ok ? okText ?? "ok" : "-" + o.Errno, o.Ok ? null : o.Errno.ToString(), o.Why, lo, hi);
        return Outcome(l, o, okValue);
    }

    [LuaName("domain_alloc")]
    private int DomainAlloc(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        var ts = LuaValues.Str(l, 2);
        if (ts is null || !DomainTypes.TryParse(ts, out var type))
            return Misuse(l, $"bad argument #2 to 'domain_alloc' (\"unmanaged\", \"dma\", \"dma-fq\", \"identity\" or \"blocked\" expected, got {(ts is null ? LuaValues.TypeOf(l, 2) : $"\"{ts}\"")})");
        var r = _core.DomainAlloc(dev, type);
        var args = $"{dev.Name}, \"{ts}\"";
        if (!r.Ok) return Record(l, line, "iommu.domain_alloc", args, r.AsOutcome);
        int id = DomId(r.Value!);
        _log.Step(line, "iommu.domain_alloc", args, r.Value!.Name, null, r.Why);
        return Values(l, id);
    });

    [LuaName("domain_free")]
    private int DomainFree(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        var misuse = _core.DomainFree(d);
        if (misuse is not null) return Misuse(l, "iommu.domain_free: " + misuse);
        return Record(l, line, "iommu.domain_free", d.Name, Model.Outcome.Success);
    });

    [LuaName("attach_device")]
    private int AttachDevice(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        var dev = Dev(l, 2);
        return Record(l, line, "iommu.attach_device", $"{d.Name}, {dev.Name}", _core.AttachDevice(d, dev));
    });

    [LuaName("detach_device")]
    private int DetachDevice(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        var dev = Dev(l, 2);
        return Record(l, line, "iommu.detach_device", $"{d.Name}, {dev.Name}", _core.DetachDevice(d, dev));
    });

    [LuaName("attach_group")]
    private int AttachGroup(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        var g = Grp(l, 2);
        var o = _core.AttachGroup(d, g);
        if (o.Ok && g.Devices.Count > 1)
            o = Model.Outcome.Note($"every device of {g.Name} moved to {d.Name}: {string.Join(", ", g.Devices.Select(x => x.Name))}" + (o.Why is null ? "" : $"; {o.Why}"));
        return Record(l, line, "iommu.attach_group", $"{d.Name}, {g.Name}", o);
    });

    [LuaName("detach_group")]
    private int DetachGroup(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        var g = Grp(l, 2);
        return Record(l, line, "iommu.detach_group", $"{d.Name}, {g.Name}", _core.DetachGroup(d, g));
    });

    [LuaName("claim")]
    private int Claim(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var g = Grp(l, 1);
        return Record(l, line, "iommu.group_claim_dma_owner", g.Name, _core.ClaimDmaOwner(g));
    });

    [LuaName("release")]
    private int Release(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var g = Grp(l, 1);
        return Record(l, line, "iommu.group_release_dma_owner", g.Name, _core.ReleaseDmaOwner(g));
    });

    [LuaName("get_domain_for_dev")]
    private int GetDomainForDev(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        var d = _core.GetDomainForDev(dev);
        _log.Step(line, "iommu.get_domain_for_dev", dev.Name, d?.Name ?? "nil", null, null);
        return Values(l, d is null ? null : DomId(d));
    });

    private bool Addr(Lua l, int idx, string fname, int argNo, out ulong v, out int misuse)
    {
        misuse = 0;
        if (LuaValues.TryU64(l, idx, out v)) return true;
        misuse = Misuse(l, $"bad argument #{argNo} to '{fname}' (integer expected, got {LuaValues.TypeOf(l, idx)})");
        return false;
    }

    /// <summary>
    /// Domain handles by table identity, filled by the prelude when it creates a domain handle. Handles
    /// stay referenced by the prelude's cache for the state's life, so an identity is never reused.
    /// </summary>
    private readonly Dictionary<IntPtr, int> _domainByHandle = new();
    /// <summary>The last handle iommu.map resolved and its id: a script maps into one domain many times in a row.</summary>
    private IntPtr _lastHandle;
    private int _lastDomId;

    [LuaName("bind_domain")]
    private int BindDomain(IntPtr s)
    {
        if (LuaFast.TryInteger(s, 2, out var id)) _domainByHandle[LuaFast.Identity(s, 1)] = (int)id;
        _lastHandle = IntPtr.Zero;
        return 0;
    }

    /// <summary>
    /// iommu.map: the hottest call, so no closure, no marshaling layer, no formatting when the row
    /// coalesces, and the domain handle itself as argument 1 (resolved here rather than in Lua). Not a
    /// domain handle: (false, nil, "handle"), and the prelude raises the usual bad-argument error.
    /// </summary>
    [LuaName("map")]
    private int Map(IntPtr s)
    {
        try
        {
            int line = Line(s);
            var handle = LuaFast.Identity(s, 1);
            int domId;
            if (handle == _lastHandle && handle != IntPtr.Zero) domId = _lastDomId;
            else if (_domainByHandle.TryGetValue(handle, out domId)) (_lastHandle, _lastDomId) = (handle, domId);
            else
            {
                var l = State(s);
                l.PushBoolean(false);
                l.PushNil();
                l.PushString("handle");
                return 3;
            }
            if (LuaFast.TryInteger(s, 2, out var iova) && LuaFast.TryInteger(s, 3, out var pa)
                && LuaFast.TryInteger(s, 4, out var size) && LuaFast.TryShortProt(s, 5, out var fastProt))
            {
                var dom = _domainIds[domId];
                var fo = _core.Map(dom, iova, pa, size, fastProt);
                ulong fhi = size == 0 ? iova : iova + size - 1;
                if (fo.Ok && fo.Why is null && _log.TryCoalesce(line, "iommu.map", "ok", null, null, iova, fhi))
                    return LuaFast.PushTrueTrue(s);
                return Record(State(s), line, "iommu.map", $"{dom.Name}, {Show(iova)}, {Show(pa)}, {Show(size)}, \"{ProtText.Format(fastProt)}\"", fo, lo: iova, hi: fhi);
            }
            return MapSlow(State(s), line, _domainIds[domId]);
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

    private int MapSlow(Lua l, int line, IommuDomain d)
    {
        if (!Addr(l, 2, "map", 2, out var iova, out var m)) return m;
        if (!Addr(l, 3, "map", 3, out var pa, out m)) return m;
        if (!Addr(l, 4, "map", 4, out var size, out m)) return m;
        var ps = LuaValues.Str(l, 5);
        if (ps is null || !ProtText.TryParse(ps, out var prot))
            return Misuse(l, $"bad argument #5 to 'map' (prot like \"rw\" or \"r|noexec\" expected, got {(ps is null ? LuaValues.TypeOf(l, 5) : $"\"{ps}\"")})");
        var o = _core.Map(d, iova, pa, size, prot);
        return Record(l, line, "iommu.map", $"{d.Name}, {Show(iova)}, {Show(pa)}, {Show(size)}, \"{ps}\"", o, lo: iova, hi: size == 0 ? iova : iova + size - 1);
    }

    [LuaName("unmap")]
    private int Unmap(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        bool fast = l.ToBoolean(4);
        var fname = fast ? "unmap_fast" : "unmap";
        if (!Addr(l, 2, fname, 2, out var iova, out var m)) return m;
        if (!Addr(l, 3, fname, 3, out var size, out m)) return m;
        ulong n = fast ? _core.UnmapFast(d, iova, size) : _core.Unmap(d, iova, size);
        var why = _core.UnmapShortfall(d, iova, size, n);
        _log.Step(line, "iommu." + fname, $"{d.Name}, {Show(iova)}, {Show(size)}", Show(n) + " bytes", null, why, iova, size == 0 ? iova : iova + size - 1);
        return Values(l, n);
    });

    [LuaName("iotlb_sync")]
    private int IotlbSync(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        _core.IotlbSync(d);
        return Record(l, line, "iommu.iotlb_sync", d.Name, Model.Outcome.Success);
    });

    [LuaName("flush_iotlb_all")]
    private int FlushIotlbAll(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        _core.FlushIotlbAll(d);
        return Record(l, line, "iommu.flush_iotlb_all", d.Name, Model.Outcome.Success);
    });

    [LuaName("iova_to_phys")]
    private int IovaToPhys(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        if (!Addr(l, 2, "iova_to_phys", 2, out var iova, out var m)) return m;
        ulong pa = _core.IovaToPhys(d, iova);
        _log.Step(line, "iommu.iova_to_phys", $"{d.Name}, {Show(iova)}", Show(pa), null,
            pa == 0 ? (d.Type == DomainType.Blocked ? "blocked domain: iommu_iova_to_phys returns 0" : "not mapped") : d.Type == DomainType.Identity ? "identity domain: iommu_iova_to_phys returns the iova" : null,
            iova, iova);
        return Values(l, pa);
    });

    [LuaName("get_resv_regions")]
    private int GetResvRegions(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        var regions = dev.Group is null ? [] : _core.GroupResvRegions(dev.Group);
        _log.Step(line, "iommu.get_resv_regions", dev.Name,
            regions.Count == 0 ? "none" : string.Join("; ", regions.Select(r => $"{r.Type.Name()} {Show(r.Start)}+{Show(r.Length)}")), null,
            dev.Driver.ResvRegionsRule);
        return Values(l, regions.Select(r => new LuaTable().Add("type", r.Type.Name()).Add("start", r.Start).Add("length", r.Length).Add("prot", ProtText.Format(r.Prot))).ToList());
    });

    [LuaName("set_fault_handler")]
    private int SetFaultHandler(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        if (!l.IsFunction(2)) return Misuse(l, "bad argument #2 to 'set_fault_handler' (function expected)");
        l.PushCopy(2);
        int reference = l.Ref(LuaRegistry.Index);
        var o = _core.SetFaultHandler(d, reference);
        if (d.FaultHandler is not int kept || kept != reference) l.Unref(LuaRegistry.Index, reference); // refused: the domain keeps no reference to it
        return Record(l, line, "iommu.set_fault_handler", $"{d.Name}, function", o);
    });

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

    [LuaName("walk")]
    private int Walk(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var d = Dom(l, 1);
        if (!Addr(l, 2, "walk", 2, out var iova, out var m)) return m;
        if (d.PageTable is null)
            return Record(l, line, "iommu.walk", $"{d.Name}, {Show(iova)}", Model.Outcome.Fail(Errno.EINVAL, $"{d.Name} has no page table (a {d.Type.Name()} domain, or never attached)"));
        var steps = d.PageTable.Walk(iova);
        _log.Step(line, "iommu.walk", $"{d.Name}, {Show(iova)}", string.Join(" → ", steps.Select(st => $"L{st.Level}[{st.Index}] = 0x{st.Pte:x8}")), null, null);
        return Values(l, steps.Select(st => new LuaTable().Add("level", st.Level).Add("index", st.Index).Add("pte", st.Pte).Add("table_pa", st.TablePa)).ToList());
    });
}
