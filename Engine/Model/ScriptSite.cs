namespace ScenarioEngine.Model;

/// <summary>
/// Where a kernel call came from: the script chunk (null for the scenario's own script) and its line.
/// The scripting layer passes one into every core, DMA-layer and device-access call it makes; what the
/// call logs (faults, WARNs, hazards, stale IOTLB entries, a domain's free) carries that line. Boot and
/// calls made by the engine itself have <see cref="None"/> (line 0).
/// </summary>
public readonly record struct ScriptSite(string? Chunk, int Line)
{
    public static readonly ScriptSite None = new(null, 0);
}
