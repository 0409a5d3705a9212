namespace ScenarioEngine.PageTables;

/// <summary>
/// Where a block-sized map or unmap of an LPAE table meets a table instead of a leaf: io-pgtable-arm
/// frees that table and calls tlb_flush_walk for it at once, queued gather or not
/// (io-pgtable-arm.c __arm_lpae_unmap for an unmap, arm_lpae_init_pte for a map over a table; 4K
/// granule). The SMMU drivers turn each chunk into their walk invalidation.
/// </summary>
public static class LpaeTableChunks
{
    /// <summary>The size a level's entry maps with the 4K granule: 1 GiB, 2 MiB, 4 KiB at levels 1, 2, 3.</summary>
    public static ulong BlockSize(int level) => 1UL << (12 + 9 * (3 - level));

    /// <summary>The pgsize chunks of [iova, iova + pgsize·pgcount) where a table sits now; null for 4 KiB chunks (a leaf or nothing).</summary>
    public static List<(ulong Iova, ulong Size)>? At(IIoPageTable pt, ulong iova, ulong pgsize, ulong pgcount)
    {
        if (pgsize == 0x1000) return null;
        var list = new List<(ulong, ulong)>();
        for (ulong i = 0; i < pgcount; i++)
        {
            ulong at = iova + i * pgsize;
            foreach (var step in pt.Walk(at))
                if (BlockSize(step.Level) == pgsize && step.Level < 3 && (step.Pte & 3) == 3) list.Add((at, pgsize));
        }
        return list;
    }
}
