namespace ScenarioEngine.Kernel;

/// <summary>enum iommu_resv_type (include/linux/iommu.h, Linux 7.0), in the kernel's order.</summary>
public enum ResvType { Direct = 0, DirectRelaxable = 1, Reserved = 2, Msi = 3, SwMsi = 4 }

/// <summary>struct iommu_resv_region: [Start, Start + Length), prot, type; Why names who produced it.</summary>
public sealed record ResvRegion(ulong Start, ulong Length, Model.Prot Prot, ResvType Type, string Why)
{
    public ulong Last => Start + Length - 1;
}

public static class ResvTypes
{
    /// <summary>sysfs names (iommu.c iommu_group_resv_type_string) as docs/lua-api.md spells them.</summary>
    public static string Name(this ResvType t) => t switch
    {
        ResvType.Direct => "direct",
        ResvType.DirectRelaxable => "direct-relaxable",
        ResvType.Reserved => "reserved",
        ResvType.Msi => "msi",
        ResvType.SwMsi => "sw-msi",
        _ => "?",
    };

    /// <summary>
    /// iommu_insert_resv_region (drivers/iommu/iommu.c, Linux 7.0): insert sorted by start (ties by
    /// type), then coalesce overlapping or adjacent regions of the new region's type only; regions of
    /// other types are kept even where they overlap.
    /// </summary>
    public static void Insert(List<ResvRegion> regions, ResvRegion nr)
    {
        int at = regions.FindIndex(it => nr.Start < it.Start || (nr.Start == it.Start && nr.Type <= it.Type));
        regions.Insert(at < 0 ? regions.Count : at, nr);
        var stack = new List<ResvRegion>(regions.Count);
        foreach (var it in regions)
        {
            if (it.Type != nr.Type) { stack.Add(it); continue; }
            int top = stack.FindLastIndex(s => s.Type == it.Type);
            if (top < 0) { stack.Add(it); continue; }
            var t = stack[top];
            if (it.Start > t.Last + 1) { stack.Add(it); continue; }
            var end = Math.Max(t.Last, it.Last);
            stack[top] = t with { Length = end - t.Start + 1 };
        }
        regions.Clear();
        regions.AddRange(stack);
    }
}
