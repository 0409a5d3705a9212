namespace ScenarioEngine.Hardware;

/// <summary>
/// A fault as a driver's interrupt handler reads and reports it: the raw registers and decoded fields
/// are the family's own (a record in its Engine/Drivers/FAMILY/ folder), shown family-neutrally as
/// <see cref="Fields"/> (the Lua fault table) and <see cref="ReportLine"/> (the report's detail
/// cell); every family reports the report_iommu_fault result and the rate-limited message the driver
/// prints when no handler took the fault (null when it printed nothing).
/// </summary>
public abstract record FaultRegisters(int HandlerResult, string? Message)
{
    /// <summary>The registers and what the driver decoded from them, in order, as the Lua fault table's fields.</summary>
    public abstract IEnumerable<KeyValuePair<string, object?>> Fields { get; }
    /// <summary>One line for the report: the registers as the driver prints or reads them, and the handler's result.</summary>
    public abstract string ReportLine { get; }
}
