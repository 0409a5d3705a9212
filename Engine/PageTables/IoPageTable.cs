using ScenarioEngine.Model;

namespace ScenarioEngine.PageTables;

/// <summary>io-pgtable quirks (include/linux/io-pgtable.h, Linux 7.0) the formats here accept.</summary>
[Flags]
public enum PgtableQuirks
{
    None = 0,
    ArmNs = 1 << 0,
    NoPerms = 1 << 1,
    ArmTtbr1 = 1 << 2,
    ArmMtkExt = 1 << 3,
    ArmMtkTtbrExt = 1 << 4,
    ArmOuterWbwa = 1 << 5,
    ArmHd = 1 << 6,
    NoWarn = 1 << 7,
    ArmS2Fwb = 1 << 8,
}

/// <summary>struct io_pgtable_cfg: what the driver asked for, narrowed by the format at allocation.</summary>
public sealed record IoPgtableCfg(int Ias, int Oas, ulong PgsizeBitmap, PgtableQuirks Quirks, bool CoherentWalk = false);

/// <summary>One descriptor met on a walk: level (1-based), index in its table, raw value, table PA.</summary>
public readonly record struct WalkStep(int Level, ulong Index, ulong Pte, ulong TablePa);

/// <summary>A leaf found by enumerating a table: [Iova, Iova + Size) → Pa, with decoded prot.</summary>
public readonly record struct Leaf(ulong Iova, ulong Pa, ulong Size, Prot Prot);

/// <summary>
/// struct io_pgtable_ops (include/linux/io-pgtable.h): the table of operations a format provides.
/// map_pages reports bytes mapped even on failure; unmap_pages returns bytes unmapped (0 = refused).
/// </summary>
public interface IIoPageTable
{
    /// <summary>The format's entry of io_pgtable_init_table (io_pgtable_fmt).</summary>
    IoPgtableFormat Fmt { get; }
    /// <summary>The format's name as YAML, Lua and the report print it.</summary>
    string Format => Fmt.Name;
    IoPgtableCfg Cfg { get; }
    /// <summary>The value a driver writes to the translation table base register.</summary>
    ulong Ttbr { get; }
    /// <summary>Count of WARN/WARN_ONCE the kernel code would have printed.</summary>
    int Warnings { get; }
    Outcome MapPages(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, out ulong mapped);
    ulong UnmapPages(ulong iova, ulong pgsize, ulong pgcount);
    ulong IovaToPhys(ulong iova);
    IReadOnlyList<WalkStep> Walk(ulong iova);
    /// <summary>The walk's last step (the leaf, or the entry where it stopped), without the list.</summary>
    WalkStep LastStep(ulong iova) => Walk(iova)[^1];
    /// <summary>Every leaf in ascending IOVA order (replicated entries reported once).</summary>
    IEnumerable<Leaf> Leaves();
    /// <summary>A descriptor's fields in words: type, attributes, output address.</summary>
    string Describe(ulong pte, int level);
    /// <summary>Bytes of table memory currently allocated.</summary>
    ulong TableBytes { get; }
}
