using ScenarioEngine.Hardware;

namespace ScenarioEngine.PageTables;

/// <summary>
/// One entry of Linux's <c>io_pgtable_init_table</c> (drivers/iommu/io-pgtable.c, Linux 7.0): a page-table
/// format as <c>alloc_io_pgtable_ops</c> finds it — its name (what YAML, Lua and the report print, in
/// place of <c>enum io_pgtable_fmt</c>), the page sizes a caller that gives none starts from, the width
/// of one descriptor, and the format's <c>alloc</c> (<c>struct io_pgtable_init_fns</c>). A format is
/// declared once, beside its code; <see cref="IoPgtableFormats.All"/> lists the entries.
/// </summary>
public sealed class IoPgtableFormat
{
    private readonly Func<IoPgtableCfg, PhysicalMemory, PageAllocator, IIoPageTable?> _alloc;

    public IoPgtableFormat(string name, ulong defaultPgsizeBitmap, int descriptorBytes, string allocRules,
                           Func<IoPgtableCfg, PhysicalMemory, PageAllocator, IIoPageTable?> alloc)
    {
        Name = name;
        DefaultPgsizeBitmap = defaultPgsizeBitmap;
        DescriptorBytes = descriptorBytes;
        AllocRules = allocRules;
        _alloc = alloc;
    }

    /// <summary>The format's name as YAML, Lua and the report print it (kebab-case).</summary>
    public string Name { get; }

    /// <summary>The pgsize_bitmap a caller that gives none starts from.</summary>
    public ulong DefaultPgsizeBitmap { get; }

    /// <summary>Bytes of one descriptor (how a report prints a raw entry).</summary>
    public int DescriptorBytes { get; }

    /// <summary>What the format's alloc refuses, in words, with the kernel function: the located error of a NULL return says it.</summary>
    public string AllocRules { get; }

    /// <summary>
    /// The format's <c>io_pgtable_init_fns.alloc</c>, which may narrow cfg (pgsize_bitmap, ias/oas) or refuse
    /// it: null is the kernel's NULL return.
    /// </summary>
    public IIoPageTable? Alloc(IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator pages) => _alloc(cfg, mem, pages);

    public override string ToString() => Name;

    /// <summary>ARM_V7S (io-pgtable-arm-v7s.c).</summary>
    public static IoPgtableFormat ArmV7s => ArmV7sPageTable.InitFns;

    /// <summary>ARM_64_LPAE_S1 (io-pgtable-arm.c).</summary>
    public static IoPgtableFormat ArmLpaeS1 => ArmLpaePageTable.InitFnsS1;

    /// <summary>ARM_64_LPAE_S2 (io-pgtable-arm.c).</summary>
    public static IoPgtableFormat ArmLpaeS2 => ArmLpaePageTable.InitFnsS2;
}

/// <summary>
/// io_pgtable_init_table and alloc_io_pgtable_ops (drivers/iommu/io-pgtable.c, Linux 7.0): the formats the
/// engine models, in the order Lua's and the schema's lists print them. A new format is one entry here (its
/// <see cref="IoPgtableFormat"/> is declared beside its code); nothing else names formats.
/// </summary>
public static class IoPgtableFormats
{
    public static IReadOnlyList<IoPgtableFormat> All { get; } =
    [
        ArmV7sPageTable.InitFns,
        ArmLpaePageTable.InitFnsS1,
        ArmLpaePageTable.InitFnsS2,
    ];

    /// <summary>The entry of that name; false for a name no entry has (alloc_io_pgtable_ops returns NULL for a format it has no init_fns for).</summary>
    public static bool TryParse(string? name, out IoPgtableFormat format)
    {
        foreach (var f in All)
            if (f.Name == name) { format = f; return true; }
        format = null!;
        return false;
    }

    /// <summary>alloc_io_pgtable_ops(fmt, cfg, cookie): the entry's alloc (null: the kernel's NULL return).</summary>
    public static IIoPageTable? Alloc(IoPgtableFormat f, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator pages) => f.Alloc(cfg, mem, pages);
}
