using ScenarioEngine.Model;

namespace ScenarioEngine.Record;

/// <summary>
/// The kernel and hardware state at the end of a run as plain, immutable data (built by
/// Running.EndStateBuilder from the live core): what the Markdown report, its pictures and the JSON
/// output read. Reporting reads only this, the scenario (Model) and the run log — never the core.
/// Every list is in the order the report prints it.
/// </summary>
public sealed record EndState(
    string GlobalDefaultType,
    IReadOnlyList<IommuCells> Iommus,
    IReadOnlyList<string> Boot,
    IReadOnlyList<DeviceState> Devices,
    IReadOnlyList<GroupState> Groups,
    IReadOnlyList<DomainState> Domains,
    IReadOnlyList<TableState> Tables,
    IReadOnlyList<DmaCookieState> Dma,
    IReadOnlyList<RecordedEvent> Events,
    int DroppedEvents,
    int MaxEvents)
{
    /// <summary>The PCI topology (none for an SoC without the pci key).</summary>
    public PciState Pci { get; init; } = PciState.None;
}

/// <summary>An IOMMU instance's cells in the report's IOMMUs table, as its family describes them (region and note lines unescaped).</summary>
public sealed record IommuCells(string Name, string Banks, IReadOnlyList<string> Regions, IReadOnlyList<string> FlagNotes);

/// <summary>
/// A master: its instance, the driver's description of where it sits, its group (or, without one,
/// whether the instance's registration or its own probe failed, with the errno) and its DMA mask.
/// </summary>
public sealed record DeviceState(string Name, string Iommu, string Location, string? Group, bool RegistrationFailed, string ProbeErrno, int DmaMask);

/// <summary>A group: the hardware slot the driver names, its devices, its default and current domains (names) and owner_cnt; the reserved regions of its devices.</summary>
public sealed record GroupState(int Id, string Name, string Slot, string Iommu, IReadOnlyList<string> Devices, string? DefaultDomain, string? CurrentDomain, int OwnerCnt, IReadOnlyList<ResvState> Resv);

/// <summary>One reserved region (iommu_resv_region): [Start, Last] and its sysfs type name.</summary>
public sealed record ResvState(ulong Start, ulong Last, string Type);

/// <summary>
/// A domain: handle name, type name, whether it was freed and is a paging type, the page table it
/// translates with (index into <see cref="EndState.Tables"/>) and its aperture once set.
/// </summary>
public sealed record DomainState(int Id, string Name, string Type, bool Freed, bool Paging, int? Table, ulong? ApertureStart, ulong? ApertureEnd)
{
    /// <summary>The leaves this domain reaches through its table, as the CPU sees their PAs; null unless it is a live paging domain with a table.</summary>
    public IReadOnlyList<MappingState>? Mappings { get; init; }
}

/// <summary>One io-pgtable: format, TTBR, widths, the bytes of tables it holds and its WARNs.</summary>
public sealed record TableState(string Format, ulong Ttbr, int Ias, int Oas, ulong TableBytes, int Warnings);

/// <summary>A run of leaves (coalesced where IOVA and PA continue with the same prot): IOVA, PA, size and prot.</summary>
public readonly record struct MappingState(ulong Iova, ulong Pa, ulong Size, Prot Prot);

/// <summary>dma-iommu's state for one domain with a cookie in use: the IOVA allocator (tree ranges in bytes, cached nodes, rcache) and the flush queue.</summary>
public sealed record DmaCookieState(
    string Domain, string Type, ulong Granule, ulong StartPfn, bool Lazy,
    IReadOnlyList<(ulong Lo, ulong Hi)> Ranges, (ulong Lo, ulong Hi)? Cached, (ulong Lo, ulong Hi)? Cached32, ulong Max32AllocSize,
    IReadOnlyList<(int Order, int Loaded, int Prev, int DepotMagazines)> Rcache, FlushQueueState? Fq);

/// <summary>A flush queue's pending entries, the IOTLB flushes it did, and its timer.</summary>
public sealed record FlushQueueState(int Count, ulong FlushCount, bool TimerOn, long TimerDue);

/// <summary>
/// One event of the machine's log as plain data: kind, script line, device, IOVA, direction, fault
/// kind, the domain it was reported against, why; for faults the registers' report line and the
/// driver's printed message; for stale translations the old PA and the line of the unflushed change.
/// </summary>
public sealed record RecordedEvent(EventKind Kind, int Line, string? Device, ulong Iova, bool Write, string FaultKind, string? Domain, string Why)
{
    public string? RegistersLine { get; init; }
    public string? Message { get; init; }
    public ulong Pa { get; init; }
    public int UnmapLine { get; init; }
}
