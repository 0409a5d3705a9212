namespace ScenarioEngine.Reporting.Pictures;

/// <summary>
/// The pictures of one report, built once from the end state of a run (<see cref="PictureBuilder"/>)
/// and drawn two ways from the same records: Mermaid blocks inside the Markdown report
/// (<see cref="MermaidWriter"/>) and SVG the dashboard shows (<see cref="SvgWriter"/>). Both
/// writers are pure functions of these records, so the text is deterministic.
/// </summary>
public sealed record ReportPictures(TopologyPicture? Topology, IReadOnlyList<IovaMapPicture> IovaMaps)
{
    public static ReportPictures None { get; } = new(null, []);

    /// <summary>The PCI tree (drawn with the topology), null for an SoC without PCI or without the topology picture.</summary>
    public PciTreePicture? PciTree { get; init; }

    /// <summary>Every picture in the order the report shows them (the topology and the PCI tree first, then one IOVA map per domain).</summary>
    public IEnumerable<object> InReportOrder()
    {
        if (Topology is not null) yield return Topology;
        if (PciTree is not null) yield return PciTree;
        foreach (var m in IovaMaps) yield return m;
    }
}

/// <summary>
/// IOMMU instance → banks or context banks (the hardware slot a group's translation goes through)
/// → groups → devices, the domain each group is on (current and, when different, default), and the
/// page table each paging domain translates with: two domains pointing at one table share it.
/// </summary>
public sealed record TopologyPicture(IReadOnlyList<TopoInstance> Instances, IReadOnlyList<TopoDomain> Domains, IReadOnlyList<TopoTable> Tables, int Omitted);

/// <summary>One IOMMU instance: its slots with their groups, and the masters left without a group (with why).</summary>
public sealed record TopoInstance(string Name, string Driver, IReadOnlyList<TopoSlot> Slots, IReadOnlyList<TopoLoose> Ungrouped);

/// <summary>A bank (MediaTek) or a context bank / S2CR state (Arm SMMU), as the driver names it.</summary>
public sealed record TopoSlot(string Label, IReadOnlyList<TopoGroup> Groups);

/// <summary>A group (its id and name), its devices, and indices into <see cref="TopologyPicture.Domains"/> (null: none).</summary>
public sealed record TopoGroup(int Id, string Name, IReadOnlyList<string> Devices, int? Current, int? Default);

public sealed record TopoLoose(string Device, string Why);

/// <summary>A domain (name and type) and the index of its page table in <see cref="TopologyPicture.Tables"/>.</summary>
public sealed record TopoDomain(string Name, string Type, bool Freed, int? Table);

/// <summary>An io-pgtable: format and TTBR.</summary>
public sealed record TopoTable(string Format, ulong Ttbr);

/// <summary>What covers a stretch of IOVA space, in drawing priority (a later kind is drawn over an earlier one).</summary>
public enum IovaKind { Gap, Window, Reserved, Dma, Mapping, Fault }

/// <summary>
/// One domain's IOVA space, cut at every boundary of what lies in it (reserved regions, firmware
/// windows, the DMA API's IOVA-tree ranges (allocated or parked in the rcache), page-table mappings, faults). Stretches nothing covers are
/// <see cref="IovaKind.Gap"/>s drawn short whatever their size: the picture is ordered, not to scale.
/// </summary>
public sealed record IovaMapPicture(string Domain, string Type, ulong? ApertureStart, ulong? ApertureEnd, IReadOnlyList<IovaSegment> Segments, int Omitted);

/// <summary>[Lo, Hi] (inclusive), the kind drawn, and every label of what covers it.</summary>
public sealed record IovaSegment(ulong Lo, ulong Hi, IovaKind Kind, IReadOnlyList<string> Labels);
