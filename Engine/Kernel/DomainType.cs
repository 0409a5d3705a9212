namespace ScenarioEngine.Kernel;

/// <summary>
/// IOMMU_DOMAIN_* (include/linux/iommu.h, Linux 7.0): a bit set of __IOMMU_DOMAIN_PAGING (1),
/// DMA_API (2), PT (4), DMA_FQ (8), SVA (16). BLOCKED is 0.
/// </summary>
public enum DomainType
{
    Blocked = 0,
    Unmanaged = 1,
    Dma = 3,
    Identity = 4,
    DmaFq = 11,
    Sva = 16,
}

public static class DomainTypes
{
    public const int Paging = 1, DmaApi = 2, Pt = 4, Fq = 8;

    public static bool IsPaging(this DomainType t) => ((int)t & Paging) != 0;
    public static bool IsDmaApi(this DomainType t) => ((int)t & DmaApi) != 0;

    /// <summary>The names scripts use (docs/lua-api.md) and the report prints.</summary>
    public static string Name(this DomainType t) => t switch
    {
        DomainType.Blocked => "blocked",
        DomainType.Unmanaged => "unmanaged",
        DomainType.Dma => "dma",
        DomainType.DmaFq => "dma-fq",
        DomainType.Identity => "identity",
        DomainType.Sva => "sva",
        _ => ((int)t).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static bool TryParse(string s, out DomainType t)
    {
        t = s switch
        {
            "unmanaged" => DomainType.Unmanaged,
            "dma" => DomainType.Dma,
            "dma-fq" => DomainType.DmaFq,
            "identity" => DomainType.Identity,
            "blocked" => DomainType.Blocked,
            _ => (DomainType)(-1),
        };
        return (int)t >= 0;
    }
}
