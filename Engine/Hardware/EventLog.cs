using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// Guest-visible events in the order they happened: faults as the hardware reports them, kernel
/// WARNs, stale translations. Never exceptions. Every event is logged with the
/// <see cref="ScriptSite"/> of the call that caused it, which the caller passes down.
/// </summary>
public sealed class EventLog
{
    private readonly List<SimEvent> _events = new();

    public IReadOnlyList<SimEvent> Events => _events;

    /// <summary>Told the approximate bytes of each event, so host-side memory counts against the script's budget.</summary>
    public Action<long>? Charge { get; set; }

    /// <summary>Most events a log keeps; later ones are counted (<see cref="Dropped"/>), so a polling loop of faults stays bounded.</summary>
    public const int MaxEvents = 10_000;

    /// <summary>Events after <see cref="MaxEvents"/>, counted only.</summary>
    public int Dropped { get; set; }

    private void Add(SimEvent e)
    {
        if (_events.Count >= MaxEvents) { Dropped++; return; }
        Charge?.Invoke(160 + 2L * (e.Why.Length + (e.Registers?.Message?.Length ?? 0) + (e.Device?.Length ?? 0) + (e.Domain?.Length ?? 0)));
        _events.Add(e);
    }

    public void Fault(ScriptSite at, string device, ulong iova, bool write, string kind, string? domain, string why, FaultRegisters? regs = null) =>
        Add(new SimEvent(EventKind.Fault, at.Line, device, iova, write, kind, domain, why) { Registers = regs });

    public void Warn(ScriptSite at, string why) => Add(new SimEvent(EventKind.Warn, at.Line, null, 0, false, "warn", null, why));

    /// <summary>
    /// A hazard: kernel state that is not what its name says (a "blocking" domain that translates), or
    /// memory the kernel reads after freeing it ("use-after-free", as KASAN would name it).
    /// </summary>
    public void Hazard(ScriptSite at, EventKind kind, string? device, string? domain, string why) => Add(new SimEvent(kind, at.Line, device, 0, false, kind.Name(), domain, why));

    /// <summary>A hit on an IOTLB entry whose mapping changed since it was filled (no flush in between).</summary>
    public void Stale(ScriptSite at, string device, ulong iova, bool write, ulong pa, int unmapLine, string? domain, string why) =>
        Add(new SimEvent(EventKind.StaleTranslation, at.Line, device, iova, write, "stale", domain, why) { Pa = pa, UnmapLine = unmapLine });

    /// <summary>A hit on the device's own ATC (PCIe ATS) whose mapping changed since it was filled, with no ATC invalidation in between.</summary>
    public void StaleAtc(ScriptSite at, string device, ulong iova, bool write, ulong pa, int unmapLine, string? domain, string why) =>
        Add(new SimEvent(EventKind.StaleAtc, at.Line, device, iova, write, "stale", domain, why) { Pa = pa, UnmapLine = unmapLine });
}

/// <summary>One event: its <see cref="EventKind"/>, the script line, and details.</summary>
public sealed record SimEvent(EventKind Kind, int Line, string? Device, ulong Iova, bool Write, string FaultKind, string? Domain, string Why)
{
    /// <summary>Faults: what the fault registers held and what the interrupt handler did with them.</summary>
    public FaultRegisters? Registers { get; init; }
    /// <summary>Stale translations: the old physical address reached, and the line of the change left unflushed.</summary>
    public ulong Pa { get; init; }
    public int UnmapLine { get; init; }
}
