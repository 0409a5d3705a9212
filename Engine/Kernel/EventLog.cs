namespace ScenarioEngine.Kernel;

/// <summary>
/// Guest-visible events in the order they happened: faults as the hardware reports them, kernel
/// WARNs, stale translations. Never exceptions (ARCHITECTURE style 6). The scripting layer sets
/// <see cref="Line"/> before each call so every event carries the script line that caused it.
/// </summary>
public sealed class EventLog
{
    private readonly List<SimEvent> _events = new();

    public int Line { get; set; }
    public IReadOnlyList<SimEvent> Events => _events;

    public void Fault(string device, ulong iova, bool write, string kind, string? domain, string why) =>
        _events.Add(new SimEvent("fault", Line, device, iova, write, kind, domain, why));

    public void Warn(string why) => _events.Add(new SimEvent("warn", Line, null, 0, false, "warn", null, why));
}

/// <summary>One event: kind "fault" | "warn" | "stale-translation", the script line, and details.</summary>
public sealed record SimEvent(string Kind, int Line, string? Device, ulong Iova, bool Write, string FaultKind, string? Domain, string Why);
