using ScenarioEngine.Hardware;

namespace ScenarioEngine.PageTables;

/// <summary>
/// enum io_pgtable_fmt (include/linux/io-pgtable.h, Linux 7.0): the formats the engine models —
/// ARM_V7S, ARM_64_LPAE_S1 and ARM_64_LPAE_S2. Every other place names a format through this enum;
/// the kebab-case names are what YAML, Lua and the report print.
/// </summary>
public enum IoPgtableFormat { ArmV7s, ArmLpaeS1, ArmLpaeS2 }

/// <summary>Names and the one factory: alloc_io_pgtable_ops (drivers/iommu/io-pgtable.c, Linux 7.0).</summary>
public static class IoPgtableFormats
{
    public static IReadOnlyList<IoPgtableFormat> All { get; } = Enum.GetValues<IoPgtableFormat>();

    public static string Name(this IoPgtableFormat f) => f switch
    {
        IoPgtableFormat.ArmV7s => "arm-v7s",
        IoPgtableFormat.ArmLpaeS1 => "arm-lpae-s1",
        _ => "arm-lpae-s2",
    };

    public static bool TryParse(string? name, out IoPgtableFormat format)
    {
        foreach (var f in All)
            if (f.Name() == name) { format = f; return true; }
        format = default;
        return false;
    }

    /// <summary>The pgsize_bitmap a caller that gives none starts from: ARMv7s's 4K/64K/1M/16M, LPAE's 4K granule (4K/2M/1G).</summary>
    public static ulong DefaultPgsizeBitmap(this IoPgtableFormat f) => f == IoPgtableFormat.ArmV7s ? ArmV7sPageTable.SupportedSizes : 0x4020_1000;

    /// <summary>
    /// alloc_io_pgtable_ops(fmt, cfg, cookie): the format's alloc, which may narrow cfg (pgsize_bitmap,
    /// ias/oas) or refuse it (null: the kernel's NULL return).
    /// </summary>
    public static IIoPageTable? Alloc(IoPgtableFormat f, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator pages) => f switch
    {
        IoPgtableFormat.ArmV7s => ArmV7sPageTable.Alloc(cfg, mem, pages),
        IoPgtableFormat.ArmLpaeS1 => ArmLpaePageTable.Alloc(LpaeStage.S1, cfg, mem, pages),
        _ => ArmLpaePageTable.Alloc(LpaeStage.S2, cfg, mem, pages),
    };
}
