using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// The Linux IOMMU core (drivers/iommu/iommu.c, Linux 7.0: groups and default domains, attach and
/// DMA ownership, iommu_map/iommu_unmap, reserved regions). Models: boot one IOMMU instance at a time
/// (iommu_device_register → bus_iommu_probe: every master probed into its group via ops->device_group,
/// then each group's default domain; an error other than -ENODEV unregisters the whole instance),
/// default domain type from the boot knobs and the driver (iommu_get_def_domain_type), direct mappings of DIRECT regions into DMA domains (start rounded up),
/// driver binding (iommu_device_use_default_domain, owner_cnt), iommu_attach_device /
/// iommu_detach_device / iommu_attach_group / iommu_detach_group / iommu_group_claim_dma_owner /
/// iommu_group_release_dma_owner with the kernel's order of checks and all-or-revert, the blocking
/// domain (driver's static one, else an empty paging domain tagged BLOCKED), iommu_map / iommu_unmap
/// with iommu_pgsize splitting and rollback, iova_to_phys short-cuts for IDENTITY and BLOCKED, and
/// group reserved regions merged by iommu_insert_resv_region.
/// Linux 7.0.0's inverted error test in iommu_map_nosync (the errno is lost; 6fc7e8a3b811 fixes it, see
/// KernelFixes) is modelled as released unless the scenario lists the fix.
/// Not modelled: PASID/SVA attach, sysfs group type changes, PCI topology groups and ACS (pci_device_group:
/// every PCI master is a group of its own), hotplug and
/// release of single devices (only the whole-instance release of a failed registration), deferred
/// probe. dma-iommu lives in Engine/Dma, set up per device at probe.
/// </summary>
public sealed partial class IommuCore
{
    private const string Src = "drivers/iommu/iommu.c, Linux 7.0";
    private readonly List<IommuDomain> _domains = new();
    private readonly List<IommuGroup> _groups = new();
    private readonly List<IommuDevice> _devices = new();
    private readonly Dictionary<IommuDomain, IotlbGather> _pendingGather = new();
    private readonly Dictionary<IommuInstance, IIommuDriver> _drivers = new(ReferenceEqualityComparer.Instance);
    private int _nextDomainId = 1;

    /// <summary>A core on a fresh <see cref="Hardware.Machine"/> of the SoC.</summary>
    public IommuCore(Soc soc, KernelKnobs knobs, Func<IommuCore, IommuInstance, IIommuDriver> driverFor, Func<IommuCore, IDmaLayer> dmaLayer)
        : this(new Machine(soc), knobs, driverFor, dmaLayer)
    {
    }

    /// <param name="driverFor">The driver each instance probes with (one per family per SoC).</param>
    /// <param name="dmaLayer">The DMA layer the probe path sets devices up with (dma-iommu: Dma.CoreDma.For).</param>
    public IommuCore(Machine machine, KernelKnobs knobs, Func<IommuCore, IommuInstance, IIommuDriver> driverFor, Func<IommuCore, IDmaLayer> dmaLayer)
    {
        Machine = machine;
        var soc = machine.Soc;
        Soc = soc;
        Knobs = knobs;
        var drivers = _drivers;
        foreach (var inst in soc.Iommus) drivers[inst] = driverFor(this, inst);
        foreach (var spec in soc.Devices)
        {
            var inst = soc.FindIommu(spec.Ids[0].Iommu)!;
            _devices.Add(new IommuDevice(spec, inst, drivers[inst]));
        }
        InitPci();

        DmaLayer = dmaLayer(this);
    }

    /// <summary>The driver an IOMMU instance probes with.</summary>
    public IIommuDriver DriverOf(IommuInstance inst) => _drivers[inst];

    /// <summary>The DMA layer, set up per device at probe (iommu_setup_dma_ops).</summary>
    public IDmaLayer DmaLayer { get; }

    public Soc Soc { get; }
    public KernelKnobs Knobs { get; }
    /// <summary>The machine the core runs on: memory, page allocator, event log.</summary>
    public Machine Machine { get; }
    public IReadOnlyList<IommuDevice> Devices => _devices;
    public IReadOnlyList<IommuGroup> Groups => _groups;
    public IReadOnlyList<IommuDomain> Domains => _domains;
    /// <summary>What happened at boot, one sentence each, for the report.</summary>
    /// <summary>What boot did, in order (the report's Boot section prints each event's text).</summary>
    public IReadOnlyList<BootEvent> BootEvents => _boot;
    private readonly List<BootEvent> _boot = new();

    internal void RecordBoot(BootEventKind kind, string subject, string text, Errno errno = Errno.None) =>
        _boot.Add(new BootEvent(kind, subject, text) { Errno = errno });

    public IommuDevice? Device(string name) => _devices.FirstOrDefault(d => d.Name == name);
    /// <summary>The device's position in the SoC file's device list (the Lua handle's index).</summary>
    public int DeviceIndex(IommuDevice dev) => _devices.IndexOf(dev);

    /// <summary>The global default domain type (iommu_subsys_init, iommu_set_def_domain_type).</summary>
    public DomainType GlobalDefaultType => Knobs.Passthrough ? DomainType.Identity : Knobs.Strict ? DomainType.Dma : DomainType.DmaFq;

    public int NextDomainId() => _nextDomainId++;

    internal IommuDomain Track(IommuDomain d)
    {
        _domains.Add(d);
        return d;
    }

    // ------------------------------------------------------------------ boot

    /// <summary>
    /// Register each IOMMU instance in SoC order: probe its masters in SoC order into groups, then set
    /// up each group's default domain with all its members (a group another instance of the hw_list
    /// already set up attaches the new members to its current domain); a failure unregisters the
    /// instance (<see cref="Unregister"/>). Then bind the drivers marked driver-bound
    /// (iommu_device_use_default_domain).
    /// </summary>
    public void Boot()
    {
        // iommu_device_register → bus_iommu_probe, one IOMMU instance after another (Linux 7.0): every
        // master of the instance is probed into its group first (probe_iommu_group turns only -ENODEV
        // into success: any other error stops bus_for_each_dev), then each group gets its default
        // domain with all its members (iommu_setup_default_domain). An error in either phase fails
        // iommu_device_register: the instance is unregistered and every master behind it is left
        // without an IOMMU — no group, no default domain (what its DMA then meets is the hardware's).
        RecordPciSetup();
        foreach (var inst in Soc.Iommus)
        {
            var devs = _devices.Where(d => d.Iommu == inst).ToList();
            var probed = new List<IommuDevice>();
            var touched = new List<IommuGroup>();
            (IommuDevice Dev, Outcome Why, string Phase)? failure = null;
            foreach (var dev in devs)
            {
                var probe = dev.Driver.ProbeDevice(dev);
                if (!probe.Ok)
                {
                    if (probe.Errno == Errno.ENODEV) { Refuse(dev, probe); continue; }
                    failure = (dev, probe, "probe_device");
                    break;
                }
                probed.Add(dev);
                var key = dev.Driver.DeviceGroup(dev);
                if (!key.Ok) { failure = (dev, key.AsOutcome, "device_group"); break; }
                dev.GroupWhy = key.Why;
                var group = _groups.FirstOrDefault(g => Equals(g.Key, key.Value));
                if (group is null)
                {
                    group = new IommuGroup(NextGroupId(), key.Value!);
                    _groups.Add(group);
                }
                group.Devices.Add(dev);
                dev.Group = group;
                dev.RequireDirect = dev.Driver.GetResvRegions(dev, ScriptSite.None).Any(r => r.Type == ResvType.Direct);
                if (!touched.Contains(group)) touched.Add(group);
            }
            if (failure is null)
                foreach (var group in touched)
                {
                    if (group.DefaultDomain is not null)
                    {
                        // a group shared across a hw_list that another instance already set up
                        foreach (var dev in group.Devices.Where(d => d.Iommu == inst && group.Domain is not null))
                        {
                            CreateDirectMappings(group.DefaultDomain, dev);
                            var r = DeviceSetDomain(group, dev, group.Domain!, null, ScriptSite.None);
                            RecordBoot(BootEventKind.GroupJoined, dev.Name, r.Ok ? $"{dev.Name} joins {group.Name} on {group.Domain!.Name}" + (r.Why is null ? "" : $"; {r.Why}")
                                             : $"{dev.Name}: attach to {group.Domain!.Name} at probe failed: -{r.Errno} ({r.Why})", r.Errno);
                        }
                        continue;
                    }
                    var setup = SetupDefaultDomain(group);
                    if (!setup.Ok) { failure = (group.Devices[0], setup, "iommu_setup_default_domain"); break; }
                }
            if (failure is { } f)
            {
                Unregister(inst, devs, probed, f.Dev, f.Why, f.Phase);
                continue;
            }
            foreach (var dev in devs.Where(d => d.Group is not null)) DmaLayer.SetupDmaOps(dev);
        }
        foreach (var g in _groups)
            RecordBoot(BootEventKind.GroupFormed, g.Name, $"{g.Name} = {string.Join(", ", g.Devices.Select(d => d.Name))}: {g.Devices[0].Driver.GroupRule(g)}");
        RecordPciHazards();
        var bound = new List<string>();
        foreach (var dev in _devices.Where(d => d.Spec.DriverBound && d.Group is not null))
        {
            var r = DeviceUseDefaultDomain(dev);
            if (!r.Ok) RecordBoot(BootEventKind.DriverProbeRefused, dev.Name, $"{dev.Name}: driver probe refused: -{r.Errno} ({r.Why})", r.Errno);
            else bound.Add(dev.Name);
        }
        if (bound.Count > 0)
            RecordBoot(BootEventKind.DmaDriversBound, string.Join(", ", bound), $"DMA-API drivers bound to {string.Join(", ", bound)}: each counts in its group's owner_cnt (iommu_device_use_default_domain)");
    }

    /// <summary>The lowest group id not in use (iommu_group_alloc takes its id from an IDA, so freed ids come back).</summary>
    private int NextGroupId()
    {
        int id = 0;
        while (_groups.Any(g => g.Id == id)) id++;
        return id;
    }

    /// <summary>IOMMU instances whose iommu_device_register failed at boot, with the reason (their masters have no IOMMU).</summary>
    public IReadOnlyDictionary<string, Outcome> FailedInstances => _failedInstances;
    private readonly Dictionary<string, Outcome> _failedInstances = new(StringComparer.Ordinal);

    /// <summary>
    /// iommu_device_register failed: iommu_device_unregister takes every group and domain of the instance
    /// away again (remove_iommu_group → iommu_release_device for each of its masters: ops->release_device,
    /// the group's domains freed with its last member) and takes the instance off iommu_device_list. The
    /// masters keep no IOMMU at all. Their drivers' probes then defer: of_dma_configure_id →
    /// of_iommu_configure → iommu_fwspec_init finds no registered IOMMU for their iommus and returns
    /// driver_deferred_probe_check_state (drivers/base/dd.c): -EPROBE_DEFER until the deferred-probe
    /// timeout, -ETIMEDOUT after it (-ENODEV once the initcalls are done in a kernel without modules),
    /// which of_dma_configure_id takes as "carry on without an IOMMU": dma-direct. The run's steps come
    /// after that. What their DMA then meets is the hardware's business, which the driver's probe error
    /// path sets (<see cref="IIommuOps.RegistrationFailed"/>; the drivers' Translate).
    /// </summary>
    private void Unregister(IommuInstance inst, List<IommuDevice> devs, List<IommuDevice> probed, IommuDevice culprit, Outcome why, string phase)
    {
        var reason = Outcome.Fail(why.Errno, $"{inst.Name}'s iommu_device_register failed: {culprit.Name}'s {phase} returned -{why.Errno} ({why.Why}); bus_iommu_probe stops at the first error that is not -ENODEV, so the whole instance is unregistered");
        _failedInstances[inst.Name] = reason;
        foreach (var dev in devs)
        {
            if (dev.Group is { } g)
            {
                g.Devices.Remove(dev);
                if (g.Devices.Count == 0)
                {
                    _groups.Remove(g);
                    foreach (var d in new[] { g.DefaultDomain, g.BlockingDomain }.Distinct().Where(d => d is { IsStatic: false, Freed: false }))
                    {
                        d!.Freed = true;
                        d.Driver.DomainFree(d);
                    }
                }
            }
            if (probed.Contains(dev)) dev.Driver.ReleaseDevice(dev);
            dev.Group = null;
            dev.ProbeError = reason;
        }
        RecordBoot(BootEventKind.RegistrationFailed, inst.Name, $"{inst.Name}: IOMMU registration failed: -{why.Errno} — {culprit.Name}'s {phase}: {why.Why} (bus_iommu_probe → iommu_device_register, {Src}); " +
                    $"every master behind {inst.Name} is left without an IOMMU (no group, no domain): {string.Join(", ", devs.Select(d => d.Name))}. " +
                    $"Their drivers do not fall back to dma-direct at once: of_iommu_configure finds {inst.Name} unregistered (iommu_fwspec_init → driver_deferred_probe_check_state, drivers/base/dd.c) and their probes defer " +
                    "until the deferred-probe timeout (deferred_probe_timeout=, CONFIG_DRIVER_DEFERRED_PROBE_TIMEOUT, 10 s by default; at the end of the initcalls without modules), " +
                    "then of_dma_configure_id carries on without an IOMMU and the DMA API is dma-direct (drivers/of/device.c, Linux 7.0); this run's steps come after that", why.Errno);
        if (culprit.Driver.RegistrationFailed(inst) is { } note) RecordBoot(BootEventKind.RegistrationFailed, inst.Name, note, why.Errno);
    }

    private void Refuse(IommuDevice dev, Outcome why)
    {
        dev.ProbeError = why;
        RecordBoot(BootEventKind.ProbeFailed, dev.Name, $"{dev.Name}: IOMMU probe failed: -{why.Errno} ({why.Why}); the device has no IOMMU group", why.Errno);
    }

    /// <summary>iommu_setup_default_domain (iommu.c): pick the type, allocate, map direct regions, attach.</summary>
    private Outcome SetupDefaultDomain(IommuGroup group)
    {
        var first = group.Devices[0];
        var driverType = DriverDefaultType(group);
        DomainType type = driverType ?? GlobalDefaultType;
        var res = AllocDefaultDomain(first, type);
        if (!res.Ok && driverType is null && type != DomainType.Dma)
        {
            RecordBoot(BootEventKind.DefaultDomainFallback, group.Name, $"{group.Name}: {type.Name()} default domain failed (-{res.Errno}); falling back to IOMMU_DOMAIN_DMA (iommu_group_alloc_default_domain)", res.Errno);
            res = AllocDefaultDomain(first, DomainType.Dma);
        }
        if (!res.Ok) return res.AsOutcome;
        var dom = res.Value!;
        bool directFailed = false;
        foreach (var d in group.Devices)
            if (!CreateDirectMappings(dom, d, quiet: true))
            {
                directFailed = true;
                RecordBoot(BootEventKind.DirectMappingRetried, d.Name, $"{d.Name}: IOMMU driver was not able to establish FW requested direct mapping (before the first attach); retried after it (iommu_setup_default_domain)");
            }
        group.DefaultDomain = dom;
        var attach = GroupSetDomainInternal(group, dom, mustSucceed: false, ScriptSite.None);
        if (!attach.Ok)
        {
            group.DefaultDomain = null;
            return attach;
        }
        // "Drivers are supposed to allow mappings to be installed in a domain before device attachment,
        // but some don't": the second try after the attach must succeed, or the setup fails.
        if (directFailed)
            foreach (var d in group.Devices)
                if (!CreateDirectMappings(dom, d, quiet: false))
                {
                    group.DefaultDomain = null;
                    return Outcome.Fail(Errno.EINVAL, $"the direct mappings of {d.Name} failed again after the attach (iommu_setup_default_domain, {Src})");
                }
        RecordBoot(BootEventKind.DefaultDomainAttached, group.Name, $"{group.Name}: default domain {dom.Name} ({dom.Type.Name()}) attached to {string.Join(", ", group.Devices.Select(d => d.Name))}" +
                    (attach.Why is null ? "" : $"; {attach.Why}"));
        return Outcome.Success;
    }

    /// <summary>iommu_get_def_domain_type across the group: first non-zero wins, IDENTITY wins a conflict.</summary>
    private static DomainType? DriverDefaultType(IommuGroup group)
    {
        DomainType? best = null;
        foreach (var d in group.Devices)
        {
            var t = d.Driver.DefDomainType(d);
            if (t is null) continue;
            if (best is null || t == DomainType.Identity) best = t;
        }
        return best;
    }

    private Result<IommuDomain> AllocDefaultDomain(IommuDevice dev, DomainType type)
    {
        if (type == DomainType.Identity)
            return dev.Driver.IdentityDomain is { } id
                ? Result<IommuDomain>.Of(id)
                : Result<IommuDomain>.Fail(Errno.EOPNOTSUPP, $"{dev.Driver.Name} has no identity domain (__iommu_group_alloc_default_domain, {Src})");
        if (!type.IsPaging())
            return Result<IommuDomain>.Fail(Errno.EINVAL, $"a {type.Name()} domain cannot be a default domain ({Src})");
        var r = dev.Driver.DomainAllocPaging(dev, NextDomainId());
        if (!r.Ok) return r;
        r.Value!.Type = type;
        return Result<IommuDomain>.Of(Track(r.Value));
    }

    /// <summary>iommu_create_device_direct_mappings: DMA domains only; start rounded UP to the page size. False when a map failed.</summary>
    private bool CreateDirectMappings(IommuDomain domain, IommuDevice dev, bool quiet = false)
    {
        if (!domain.Type.IsDmaApi() || domain.PgsizeBitmap == 0) return true;
        ulong pg = PageSizes.MinPageSize(domain.PgsizeBitmap);
        foreach (var r in dev.Driver.GetResvRegions(dev, ScriptSite.None))
        {
            if (r.Type is not (ResvType.Direct or ResvType.DirectRelaxable)) continue;
            ulong start = (r.Start + pg - 1) & ~(pg - 1);
            ulong end = (r.Start + r.Length + pg - 1) & ~(pg - 1);
            ulong mapStart = start;
            for (ulong a = start; a <= end; a += pg)
            {
                bool mapped = a < end && IovaToPhys(domain, a == 0 ? 1 : a) != 0;
                if (a == end || mapped)
                {
                    if (a > mapStart)
                    {
                        var m = Map(domain, mapStart, mapStart, a - mapStart, r.Prot);
                        if (m.Ok && LastLostErrno != Errno.None)
                            RecordBoot(BootEventKind.DirectMappingFailed, dev.Name, $"{dev.Name}: direct mapping {Hex.Of(mapStart)}+{Hex.Size(a - mapStart)} failed with -{LastLostErrno}, but Linux 7.0.0's iommu_map_nosync returned 0 for it (upstream fix {KernelFixes.MapErrno}): the core saw success and does not retry after the attach");
                        if (!m.Ok)
                        {
                            if (!quiet) RecordBoot(BootEventKind.DirectMappingFailed, dev.Name, $"{dev.Name}: direct mapping {Hex.Of(mapStart)}+{Hex.Size(a - mapStart)} failed: -{m.Errno}", m.Errno);
                            return false;
                        }
                    }
                    mapStart = a + pg;
                }
                if (a == end) break;
            }
        }
        return true;
    }

    /// <summary>iommu_device_use_default_domain (iommu.c): bound DMA-API drivers count as owners.</summary>
    public Outcome DeviceUseDefaultDomain(IommuDevice dev)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Success;
        if (g.DefaultDomain is null)
            return Outcome.Fail(Errno.EPROBE_DEFER, $"{g.Name} has no default domain yet (iommu_device_use_default_domain, {Src})");
        if (g.OwnerCnt > 0 && (g.Domain != g.DefaultDomain || g.Owner is not null))
            return Outcome.Fail(Errno.EBUSY, $"{g.Name} is owned or not on its default domain (iommu_device_use_default_domain, {Src})");
        g.OwnerCnt++;
        dev.DriverBound = true;
        return Outcome.Success;
    }

    // ------------------------------------------------------------------ domains

    /// <summary>
    /// Domain allocation for scripts: "unmanaged" is iommu_paging_domain_alloc(dev); "dma"/"dma-fq"
    /// are paging domains tagged as the core tags default domains; "identity" and "blocked" are the
    /// driver's static domains, or (blocked, no static one) an empty paging domain tagged BLOCKED as
    /// __iommu_group_alloc_blocking_domain makes.
    /// </summary>
    public Result<IommuDomain> DomainAlloc(IommuDevice dev, DomainType type)
    {
        if (dev.Group is null)
            return Result<IommuDomain>.Fail(Errno.ENODEV, $"{dev.Name} has no IOMMU ({(FailedInstances.ContainsKey(dev.Iommu.Name) ? $"{dev.Iommu.Name}'s registration failed" : "probe failed")}) (iommu_paging_domain_alloc, {Src})");
        switch (type)
        {
            case DomainType.Identity:
                return dev.Driver.IdentityDomain is { } id ? Result<IommuDomain>.Of(id)
                    : Result<IommuDomain>.Fail(Errno.EOPNOTSUPP, $"{dev.Driver.Name} provides no identity domain");
            case DomainType.Blocked:
                if (dev.Driver.BlockedDomain is { } b) return Result<IommuDomain>.Of(b);
                break;
            case DomainType.Sva:
                return Result<IommuDomain>.Fail(Errno.EOPNOTSUPP, "SVA domains are not modelled");
        }
        var r = dev.Driver.DomainAllocPaging(dev, NextDomainId());
        if (!r.Ok) return r;
        r.Value!.Type = type;
        return Result<IommuDomain>.Of(Track(r.Value), type == DomainType.Blocked
            ? $"{dev.Driver.Name} has no static blocked domain: an empty paging domain tagged BLOCKED (__iommu_group_alloc_blocking_domain, {Src})" : null);
    }

    /// <summary>iommu_domain_free. Freeing a domain a group still uses is refused as misuse.</summary>
    public string? DomainFree(IommuDomain d, ScriptSite site = default)
    {
        if (d.IsStatic) return null;
        if (d.Freed) return $"{d.Name} was already freed; freeing it again is a double free (iommu_domain_free → ops->free on freed memory)";
        var user = _groups.FirstOrDefault(g => g.Domain == d || g.DefaultDomain == d || g.BlockingDomain == d);
        if (user is not null)
            return $"{d.Name} is still in use by {user.Name}; the kernel would leave the group pointing at freed memory";
        d.Freed = true;
        d.FreedLine = site.Line;
        d.Driver.DomainFree(d);
        return null;
    }

    public IommuDomain? GetDomainForDev(IommuDevice dev) => dev.Group?.Domain;

    // ------------------------------------------------------------------ attach / detach

    /// <summary>iommu_attach_device: -ENODEV without group, -EINVAL unless the group is a singleton, then __iommu_attach_group.</summary>
    public Outcome AttachDevice(IommuDomain domain, IommuDevice dev, ScriptSite site = default)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Fail(Errno.ENODEV, $"{dev.Name} has no IOMMU group (iommu_attach_device, {Src})");
        if (g.Devices.Count != 1)
            return Outcome.Fail(Errno.EINVAL, $"{g.Name} holds {g.Devices.Count} devices ({string.Join(", ", g.Devices.Select(x => x.Name))}); iommu_attach_device only attaches singleton groups ({Src})");
        return AttachGroupInternal(domain, g, site);
    }

    /// <summary>iommu_attach_group: __iommu_attach_group for every device of the group, all or revert.</summary>
    public Outcome AttachGroup(IommuDomain domain, IommuGroup group, ScriptSite site = default) => AttachGroupInternal(domain, group, site);

    private Outcome AttachGroupInternal(IommuDomain domain, IommuGroup g, ScriptSite site)
    {
        if (g.Domain is not null && g.Domain != g.DefaultDomain && g.Domain != g.BlockingDomain)
            return Outcome.Fail(Errno.EBUSY, $"{g.Name} is already attached to {g.Domain.Name}, which is neither its default nor its blocking domain (__iommu_attach_group, {Src})");
        var dev = g.Devices[0];
        if (domain.Driver != dev.Driver)
            return Outcome.Fail(Errno.EINVAL, $"{domain.Name} belongs to another IOMMU driver (domain_iommu_ops_compatible, __iommu_attach_group, {Src})");
        if (domain.Freed)
            return Outcome.Fail(Errno.EINVAL, $"{domain.Name} was freed");
        return GroupSetDomainInternal(g, domain, mustSucceed: false, site);
    }

    /// <summary>iommu_detach_device: WARN and nothing unless the domain is the group's current one and the group a singleton.</summary>
    public Outcome DetachDevice(IommuDomain domain, IommuDevice dev, ScriptSite site = default)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Note("no group: nothing to do (iommu_detach_device)");
        if (domain != g.Domain)
        {
            Machine.Log.Warn(site, $"iommu_detach_device: {domain.Name} is not {g.Name}'s current domain ({g.Domain?.Name ?? "none"}); WARN_ON, nothing done ({Src})");
            return Outcome.Note($"WARN_ON: {domain.Name} is not the current domain of {g.Name}; nothing done");
        }
        if (g.Devices.Count != 1)
        {
            Machine.Log.Warn(site, $"iommu_detach_device: {g.Name} is not a singleton; WARN_ON, nothing done ({Src})");
            return Outcome.Note($"WARN_ON: {g.Name} holds {g.Devices.Count} devices; nothing done");
        }
        return SetCoreDomain(g, site);
    }

    /// <summary>iommu_detach_group ignores its domain argument and returns the group to its core domain.</summary>
    public Outcome DetachGroup(IommuDomain domain, IommuGroup g, ScriptSite site = default) => SetCoreDomain(g, site);

    /// <summary>__iommu_group_set_core_domain: the blocking domain if the group has an owner, else the default.</summary>
    private Outcome SetCoreDomain(IommuGroup g, ScriptSite site)
    {
        var target = g.Owner is not null ? g.BlockingDomain : g.DefaultDomain;
        if (target is null) return Outcome.Note("no core domain to return to");
        var r = GroupSetDomainInternal(g, target, mustSucceed: true, site);
        return r.Ok ? Outcome.Note($"{g.Name} back on its {(g.Owner is not null ? "blocking" : "default")} domain {target.Name}" + (r.Why is null ? "" : $"; {r.Why}")) : r;
    }

    /// <summary>
    /// __iommu_group_set_domain_internal: no-op if already current; otherwise every device in turn;
    /// on failure the devices already moved go back to the old domain and group->domain is unchanged.
    /// </summary>
    private Outcome GroupSetDomainInternal(IommuGroup g, IommuDomain newDomain, bool mustSucceed, ScriptSite site)
    {
        if (g.Domain == newDomain) return Outcome.Note($"{g.Name} is already on {newDomain.Name}");
        var old = g.Domain;
        var notes = new List<string>();
        for (int i = 0; i < g.Devices.Count; i++)
        {
            var r = DeviceSetDomain(g, g.Devices[i], newDomain, old, site);
            if (r.Why is not null && r.Ok) notes.AddRange(r.Why.Split("; "));
            if (r.Ok) continue;
            if (mustSucceed)
            {
                Machine.Log.Warn(site, $"{g.Devices[i].Name}: attach to {newDomain.Name} failed on a must-succeed path: -{r.Errno} ({Src})");
                continue;
            }
            if (old is not null)
                for (int j = 0; j < i; j++) DeviceSetDomain(g, g.Devices[j], old, newDomain, site);
            return r;
        }
        g.Domain = newDomain;
        return notes.Count == 0 ? Outcome.Success : Outcome.Note(string.Join("; ", notes.Distinct()));
    }

    /// <summary>__iommu_device_set_domain: require_direct refuses blocking; then the driver's attach_dev.</summary>
    private Outcome DeviceSetDomain(IommuGroup g, IommuDevice dev, IommuDomain newDomain, IommuDomain? old, ScriptSite site)
    {
        if (dev.RequireDirect && (newDomain.Type == DomainType.Blocked || newDomain == g.BlockingDomain))
            return Outcome.Fail(Errno.EINVAL, $"{dev.Name} has an IOMMU_RESV_DIRECT region (require_direct); it cannot be blocked (__iommu_device_set_domain, {Src})");
        return newDomain.AttachDev(dev, old, site);
    }

    // ------------------------------------------------------------------ DMA ownership

    /// <summary>iommu_group_claim_dma_owner: -EPERM if owner_cnt ≠ 0; -EBUSY if not on the default domain; then block.</summary>
    public Outcome ClaimDmaOwner(IommuGroup g, ScriptSite site = default, string? owner = null)
    {
        if (g.OwnerCnt != 0)
            return Outcome.Fail(Errno.EPERM, $"{g.Name} owner_cnt is {g.OwnerCnt} ({(g.Owner is not null ? $"already claimed by {g.Owner}" : $"a DMA-API driver is bound: {BoundIn(g)}")}) (iommu_group_claim_dma_owner, {Src})");
        return TakeDmaOwnership(g, site, owner ?? ScriptOwner);
    }

    /// <summary>__iommu_take_dma_ownership: -EBUSY unless on the default domain; the blocking domain attached; owner set, owner_cnt 1.</summary>
    private Outcome TakeDmaOwnership(IommuGroup g, ScriptSite site, string owner)
    {
        if (g.Domain is not null && g.Domain != g.DefaultDomain)
            return Outcome.Fail(Errno.EBUSY, $"{g.Name} is on {g.Domain.Name}, not its default domain (__iommu_take_dma_ownership, {Src})");
        var blocking = AllocBlockingDomain(g);
        if (!blocking.Ok) return blocking.AsOutcome;
        var r = GroupSetDomainInternal(g, g.BlockingDomain!, mustSucceed: false, site);
        if (!r.Ok) return r;
        g.Owner = owner;
        g.OwnerCnt = 1;
        // The fallback blocking domain is an "empty" paging domain only if the driver gives it a table of
        // its own. MediaTek's mtk_iommu_domain_finalise hands every domain of the hw_list the one shared
        // ARMv7s table, so the group's "blocking" domain translates every live mapping of that table.
        var shared = g.BlockingDomain!.PageTable is { } pt
            ? Domains.Where(x => x != g.BlockingDomain && !x.Freed && ReferenceEquals(x.PageTable, pt)).Select(x => x.Name).ToList() : [];
        if (shared.Count > 0)
            Machine.Log.Hazard(site, EventKind.BlockingDomainTranslates, g.Devices[0].Name, g.BlockingDomain.Name,
                $"the blocking domain shares the live table: {g.Name} is not blocked; {g.BlockingDomain.Name} is an IOMMU_DOMAIN_UNMANAGED domain (__iommu_group_alloc_blocking_domain) that {g.Devices[0].Driver.Name} attached to the table of {string.Join(", ", shared)}, so every mapping there still translates for {string.Join(", ", g.Devices.Select(d => d.Name))}");
        return Outcome.Note($"{g.Name} moved to its blocking domain {g.BlockingDomain!.Name}" + (blocking.Why is null ? "" : $" ({blocking.Why})") + (r.Why is null ? "" : $"; {r.Why}")
            + (shared.Count > 0 ? $"; HAZARD: it shares the live table of {string.Join(", ", shared)}, so the group is not blocked" : ""));
    }

    private Result<IommuDomain> AllocBlockingDomain(IommuGroup g)
    {
        if (g.BlockingDomain is not null) return Result<IommuDomain>.Of(g.BlockingDomain);
        var dev = g.Devices[0];
        if (dev.Driver.BlockedDomain is { } b)
        {
            g.BlockingDomain = b;
            return Result<IommuDomain>.Of(b);
        }
        // __iommu_group_alloc_blocking_domain (drivers/iommu/iommu.c, Linux 7.0): without ops->blocked_domain
        // the core uses iommu_paging_domain_alloc, an IOMMU_DOMAIN_UNMANAGED domain it expects to be empty.
        var r = dev.Driver.DomainAllocPaging(dev, NextDomainId());
        if (!r.Ok) return r;
        r.Value!.Type = DomainType.Unmanaged;
        g.BlockingDomain = Track(r.Value);
        return Result<IommuDomain>.Of(g.BlockingDomain, $"{dev.Driver.Name} has no static blocked domain, so an IOMMU_DOMAIN_UNMANAGED paging domain stands in for it (__iommu_group_alloc_blocking_domain)");
    }

    /// <summary>iommu_group_release_dma_owner: WARN if not owned; else clear the owner and return to the default domain.</summary>
    public Outcome ReleaseDmaOwner(IommuGroup g, ScriptSite site = default)
    {
        if (g.OwnerCnt == 0 || g.Owner is null)
        {
            Machine.Log.Warn(site, $"iommu_group_release_dma_owner: {g.Name} is not claimed; WARN_ON, nothing done ({Src})");
            return Outcome.Note($"WARN_ON: {g.Name} was not claimed; nothing done");
        }
        g.OwnerCnt = 0;
        g.Owner = null;
        var r = GroupSetDomainInternal(g, g.DefaultDomain!, mustSucceed: true, site);
        return Outcome.Note($"{g.Name} back on its default domain {g.DefaultDomain!.Name}" + (r.Why is null ? "" : $"; {r.Why}"));
    }

    // ------------------------------------------------------------------ faults (iommu.c, Linux 7.0)

    /// <summary>Calls a domain's fault handler (set by the scripting layer): (domain, IOMMU instance, iova, write) → int.</summary>
    public Func<IommuDomain, IommuInstance?, ulong, bool, int>? FaultHandlerInvoker { get; set; }

    /// <summary>
    /// iommu_set_fault_handler (drivers/iommu/iommu.c, Linux 7.0): WARN_ON(!domain || domain->cookie_type
    /// != IOMMU_COOKIE_NONE) and return — nothing else is checked. A DMA domain's cookie
    /// (IOMMU_COOKIE_DMA_IOVA) WARNs; a static identity or blocked domain has no cookie and takes the
    /// handler silently, on the one domain every group of that driver shares, so a later call on it (from
    /// any group) WARNs. (A NULL domain cannot reach here from Lua; the MSI cookie is not modelled.)
    /// </summary>
    public Outcome SetFaultHandler(IommuDomain d, object handler, ScriptSite site = default)
    {
        if (DmaLayer.HasCookie(d))
        {
            Machine.Log.Warn(site, $"iommu_set_fault_handler: {d.Name} has a DMA cookie (cookie_type IOMMU_COOKIE_DMA_IOVA); WARN_ON, handler ignored ({Src})");
            return Outcome.Note($"WARN_ON: {d.Name} is a {d.Type.Name()} domain with a DMA cookie (cookie_type IOMMU_COOKIE_DMA_IOVA): the handler is ignored (iommu_set_fault_handler, {Src})");
        }
        // iommu_set_fault_handler (drivers/iommu/iommu.c, Linux 7.0): WARN_ON(domain->cookie_type !=
        // IOMMU_COOKIE_NONE) and return. The first call set cookie_type to IOMMU_COOKIE_FAULT_HANDLER,
        // so a second call WARNs and changes nothing: the first handler stays.
        if (d.FaultHandler is not null)
        {
            Machine.Log.Warn(site, $"iommu_set_fault_handler: {d.Name} already has a fault handler (cookie_type IOMMU_COOKIE_FAULT_HANDLER); WARN_ON, the new handler is ignored ({Src})");
            return Outcome.Note($"WARN_ON: {d.Name} already has a fault handler (cookie_type is IOMMU_COOKIE_FAULT_HANDLER): this one is ignored and the first stays (iommu_set_fault_handler, {Src})");
        }
        d.FaultHandler = handler;
        return Outcome.Success;
    }

    /// <summary>report_iommu_fault: -ENOSYS without a handler, otherwise the handler's return value.</summary>
    public int ReportIommuFault(IommuDomain d, IommuInstance? iommu, ulong iova, bool write) =>
        d.FaultHandler is null || FaultHandlerInvoker is null ? -(int)Errno.ENOSYS : FaultHandlerInvoker(d, iommu, iova, write);

    // ------------------------------------------------------------------ reserved regions

    /// <summary>iommu_get_group_resv_regions: every device's regions merged by iommu_insert_resv_region.</summary>
    public IReadOnlyList<ResvRegion> GroupResvRegions(IommuGroup g, ScriptSite site = default)
    {
        var list = new List<ResvRegion>();
        foreach (var d in g.Devices)
            foreach (var r in d.Driver.GetResvRegions(d, site))
                ResvTypes.Insert(list, r);
        return list;
    }
}
