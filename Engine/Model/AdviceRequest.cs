namespace ScenarioEngine.Model;

/// <summary>
/// What `scenario advise` (or a scenario's <c>advise:</c> key) is asked about: a device of the SoC and
/// its firmware's fixed IOVA window, named (one of the device's <c>firmware</c> entries) or given by
/// address and size (docs/advise.md).
/// </summary>
public sealed record AdviceRequest(string Device, string? Window = null, ulong? Iova = null, ulong? Size = null)
{
    /// <summary>Where the scenario file asked (its <c>advise:</c> key); errors point there.</summary>
    public SourceSpan Span { get; init; }
}
