using System.Numerics;

namespace ScenarioEngine.Kernel;

/// <summary>
/// iommu_pgsize (drivers/iommu/iommu.c, Linux 7.0): the largest page size
/// from the bitmap that fits both the remaining size and the alignment of iova|paddr; if the next
/// larger size could be used later (iova ≡ paddr mod next) and the range reaches past the next
/// boundary by a whole next-size page, only map up to that boundary now.
/// </summary>
public static class PageSizes
{
    public static (ulong PgSize, ulong Count) Pick(ulong bitmap, ulong iova, ulong paddr, ulong size)
    {
        ulong addrMerge = paddr | iova;
        ulong pgsizes = bitmap & GenMask(Fls(size));
        if (addrMerge != 0) pgsizes &= GenMask(BitOperations.TrailingZeroCount(addrMerge));
        if (pgsizes == 0)
            throw new InvalidOperationException($"iommu_pgsize: no page size fits (BUG_ON in the kernel): bitmap 0x{bitmap:x} iova 0x{iova:x} pa 0x{paddr:x} size 0x{size:x}");
        int idx = Fls(pgsizes);
        ulong pgsize = 1UL << idx;
        ulong larger = idx == 63 ? 0 : bitmap & ~GenMask(idx);
        if (larger != 0)
        {
            ulong next = 1UL << BitOperations.TrailingZeroCount(larger);
            if (((iova ^ paddr) & (next - 1)) == 0)
            {
                ulong offset = next - (addrMerge & (next - 1));
                // offset + next <= size, without the overflow the kernel's size_t arithmetic cannot have
                if (offset <= size && size - offset >= next) size = offset;
            }
        }
        return (pgsize, size >> idx);
    }

    /// <summary>Index of the most significant set bit (__fls).</summary>
    public static int Fls(ulong v) => 63 - BitOperations.LeadingZeroCount(v);

    /// <summary>GENMASK(h, 0).</summary>
    private static ulong GenMask(int h) => h >= 63 ? ulong.MaxValue : (1UL << (h + 1)) - 1;

    public static ulong MinPageSize(ulong bitmap) => bitmap & (~bitmap + 1);
}
