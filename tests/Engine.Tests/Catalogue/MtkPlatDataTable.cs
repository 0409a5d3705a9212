namespace ScenarioEngine.Tests.Catalogue;

/// <summary>
/// struct mtk_iommu_plat_data of drivers/iommu/mtk_iommu.c, Linux 7.0, written down while reading the
/// source, in the source's own terms: flag macros, hw_list and inv_sel_reg symbols, banks_enable as
/// booleans, banks_portmsk and iova_region_larb_msk as 32-bit masks per larb index (~0u for ~0),
/// iova_region as (iova_base, size), larbid_remap rows (MTK_INVALID_LARBID = 32). The catalogue
/// (Engine/Drivers/Mediatek/MtkCatalogue.cs) is an independent transcription into SoC-file keys;
/// CatalogueTests loads every compatible and compares the instance with this table.
/// </summary>
internal static class MtkPlatDataTable
{
    public sealed record PlatData(
        string Compatible, string Symbol, string Flags, string? HwList, string InvSel, int BanksNum, bool[] BanksEnable,
        Dictionary<int, uint> BanksPortmsk, (ulong Base, ulong Size)[] Regions, Dictionary<int, Dictionary<int, uint>> RegionLarbMsk, int[][] LarbidRemap);

    private const uint All = ~0u;
    private const int Inv = 32; // MTK_INVALID_LARBID = MTK_LARB_NR_MAX (include/dt-bindings/memory/mtk-memory-port.h)
    private const ulong Sz4G = 0x1_0000_0000UL - 0x80_0000UL; // MTK_IOMMU_IOVA_SZ_4G = SZ_4G - SZ_8M

    private static readonly (ulong, ulong)[] SingleDomain = [(0, Sz4G)];

    private static readonly (ulong, ulong)[] Mt8192MultiDom =
    [
        (0, Sz4G), (0x1_0000_0000, Sz4G), (0x2_0000_0000, Sz4G), (0x3_0000_0000, Sz4G),
        (0x2_4000_0000, 0x400_0000), (0x2_4400_0000, 0x400_0000),
    ];

    private static uint Bits(params int[] bits) => bits.Aggregate(0u, (m, b) => m | (1u << b));

    private static Dictionary<int, uint> Larbs(params (int Larb, uint Mask)[] l) => l.ToDictionary(x => x.Larb, x => x.Mask);

    private static Dictionary<int, uint> AllOf(params int[] larbs) => larbs.ToDictionary(l => l, _ => All);

    private static readonly Dictionary<int, Dictionary<int, uint>> Mt8192LarbRegionMsk = new()
    {
        [0] = AllOf(0, 1),
        [1] = AllOf(4, 5, 7),
        [2] = new Dictionary<int, uint>(AllOf(2, 9, 11, 16, 17, 18, 19, 20)) { [13] = ~Bits(9, 10), [14] = ~Bits(4, 5) },
        [4] = Larbs((13, Bits(9, 10))),
        [5] = Larbs((14, Bits(4, 5))),
    };

    private static readonly Dictionary<int, Dictionary<int, uint>> Mt8186LarbRegionMsk = new()
    {
        [0] = AllOf(0, 1, 2),
        [1] = AllOf(4, 7),
        [2] = new Dictionary<int, uint>(AllOf(8, 9, 11, 16, 17, 19, 20)) { [13] = ~Bits(9, 10) },
        [4] = Larbs((13, Bits(9, 10))),
        [5] = Larbs((14, All)),
    };

    private static readonly Dictionary<int, Dictionary<int, uint>> Mt8188LarbRegionMsk = new()
    {
        [0] = AllOf(0, 1, 2, 3),
        [1] = AllOf(21, 22, 23),
        [2] = AllOf(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 25),
        [4] = Larbs((24, Bits(0, 1))),
        [5] = Larbs((24, Bits(2, 3))),
    };

    private static readonly Dictionary<int, Dictionary<int, uint>> Mt8195LarbRegionMsk = new()
    {
        [0] = AllOf(0, 1, 2, 3),
        [1] = AllOf(19, 20, 21, 22, 23, 24),
        [2] = AllOf(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 25, 26, 27, 28),
        [4] = Larbs((18, Bits(0, 1))),
        [5] = Larbs((18, Bits(2, 3))),
    };

    private static readonly int[][] Mt8192Remap = [[0], [1], [4, 5], [7], [2], [9, 11, 19, 20], [0, 14, 16], [0, 13, 18, 17]];

    private static readonly bool[] OneBank = [true];

    public static readonly PlatData[] Rows =
    [
        new("mediatek,mt2712-m4u", "mt2712_data", "HAS_4GB_MODE | HAS_BCLK | HAS_VLD_PA_RNG | SHARE_PGTABLE | MTK_IOMMU_TYPE_MM", "m4ulist", "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2], [3], [4], [5], [6], [7]]),
        new("mediatek,mt6779-m4u", "mt6779_data", "HAS_SUB_COMM_2BITS | OUT_ORDER_WR_EN | WR_THROT_EN | MTK_IOMMU_TYPE_MM | PGTABLE_PA_35_EN", null, "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2], [3], [5], [7, 8], [10], [9]]),
        new("mediatek,mt6795-m4u", "mt6795_data", "HAS_4GB_MODE | HAS_BCLK | RESET_AXI | HAS_LEGACY_IVRP_PADDR | MTK_IOMMU_TYPE_MM | TF_PORT_TO_ADDR_MT8173", null, "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2], [3], [4]]),
        new("mediatek,mt6893-iommu-mm", "mt6893_data", "HAS_BCLK | OUT_ORDER_WR_EN | HAS_SUB_COMM_2BITS | WR_THROT_EN | IOVA_34_EN | SHARE_PGTABLE | MTK_IOMMU_TYPE_MM", null, "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8192LarbRegionMsk, Mt8192Remap),
        new("mediatek,mt8167-m4u", "mt8167_data", "RESET_AXI | HAS_LEGACY_IVRP_PADDR | MTK_IOMMU_TYPE_MM", null, "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2]]),
        new("mediatek,mt8173-m4u", "mt8173_data", "HAS_4GB_MODE | HAS_BCLK | RESET_AXI | HAS_LEGACY_IVRP_PADDR | MTK_IOMMU_TYPE_MM | TF_PORT_TO_ADDR_MT8173", null, "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2], [3], [4], [5]]),
        new("mediatek,mt8183-m4u", "mt8183_data", "RESET_AXI | MTK_IOMMU_TYPE_MM", null, "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [4], [5], [6], [7], [2], [3], [1]]),
        new("mediatek,mt8186-iommu-mm", "mt8186_data_mm", "HAS_BCLK | HAS_SUB_COMM_2BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | MTK_IOMMU_TYPE_MM | PGTABLE_PA_35_EN", null, "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8186LarbRegionMsk, [[0], [1, Inv, 8], [4], [7], [2], [9, 11, 19, 20], [Inv, 14, 16], [Inv, 13, Inv, 17]]),
        new("mediatek,mt8188-iommu-infra", "mt8188_data_infra", "WR_THROT_EN | DCM_DISABLE | STD_AXI_MODE | PM_CLK_AO | MTK_IOMMU_TYPE_INFRA | IFA_IOMMU_PCIE_SUPPORT | PGTABLE_PA_35_EN | CFG_IFA_MASTER_IN_ATF", null, "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], SingleDomain, [], []),
        new("mediatek,mt8188-iommu-vdo", "mt8188_data_vdo", "HAS_BCLK | HAS_SUB_COMM_3BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | SHARE_PGTABLE | PGTABLE_PA_35_EN | MTK_IOMMU_TYPE_MM", "m4ulist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8188LarbRegionMsk, [[2], [0], [21], [0], [19], [9, 10, 11, 25], [13, 0, 29, 30, 0], [5]]),
        new("mediatek,mt8188-iommu-vpp", "mt8188_data_vpp", "HAS_BCLK | HAS_SUB_COMM_3BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | SHARE_PGTABLE | PGTABLE_PA_35_EN | MTK_IOMMU_TYPE_MM", "m4ulist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8188LarbRegionMsk, [[1], [3], [23], [7], [Inv], [12, 15, 24], [14, Inv, 16, 17, Inv, 27, 28, Inv], [4, 6]]),
        new("mediatek,mt8189-iommu-apu", "mt8189_data_apu", "IOVA_34_EN | DCM_DISABLE | MTK_IOMMU_TYPE_APU | PGTABLE_PA_35_EN", "apulist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], [(0x200000, 0x2000_0000), (0x4000_0000, 0xc000_0000), (0x7000_0000, 0x1260_0000), (0x1_0000_0000, 0x3_0000_0000)],
            new() { [0] = Larbs((0, Bits(2))), [1] = Larbs((0, Bits(1))), [2] = Larbs((0, Bits(3))), [3] = Larbs((0, Bits(0))) },
            [[0], [1], [2], [3], [4], [5], [6], [7]]),
        new("mediatek,mt8189-iommu-infra", "mt8189_data_infra", "WR_THROT_EN | DCM_DISABLE | MTK_IOMMU_TYPE_INFRA | CFG_IFA_MASTER_IN_ATF | SHARE_PGTABLE | PGTABLE_PA_35_EN", "infralist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], SingleDomain, [], []),
        new("mediatek,mt8189-iommu-mm", "mt8189_data_mm", "HAS_BCLK | HAS_SUB_COMM_3BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | MTK_IOMMU_TYPE_MM | PGTABLE_PA_35_EN | DL_WITH_MULTI_LARB", "m4ulist", "REG_MMU_INV_SEL_GEN2",
            5, [true, false, false, false, false], [], Mt8192MultiDom,
            new() { [0] = new Dictionary<int, uint>(AllOf(0, 1, 2)) { [22] = Bits(0) }, [1] = AllOf(3, 4), [2] = AllOf(5, 6, 7, 8, 9, 10, 11, 12, 21) },
            [[0], [1], [21, 21, 2], [19, 20, 9, 11], [7], [4], [13, 17], [14, 16]]),
        new("mediatek,mt8192-m4u", "mt8192_data", "HAS_BCLK | HAS_SUB_COMM_2BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | MTK_IOMMU_TYPE_MM", null, "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8192LarbRegionMsk, Mt8192Remap),
        new("mediatek,mt8195-iommu-infra", "mt8195_data_infra", "WR_THROT_EN | DCM_DISABLE | STD_AXI_MODE | PM_CLK_AO | MTK_IOMMU_TYPE_INFRA | IFA_IOMMU_PCIE_SUPPORT", null, "REG_MMU_INV_SEL_GEN2",
            5, [true, false, false, false, true], new() { [0] = 0x000F_0000u /* GENMASK(19, 16) */, [4] = 0xFFF0_0000u /* GENMASK(31, 20) */ }, SingleDomain, [], []),
        new("mediatek,mt8195-iommu-vdo", "mt8195_data_vdo", "HAS_BCLK | HAS_SUB_COMM_2BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | SHARE_PGTABLE | MTK_IOMMU_TYPE_MM", "m4ulist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8195LarbRegionMsk, [[2, 0], [21], [24], [7], [19], [9, 10, 11], [13, 17, 15, 25], [5]]),
        new("mediatek,mt8195-iommu-vpp", "mt8195_data_vpp", "HAS_BCLK | HAS_SUB_COMM_3BITS | OUT_ORDER_WR_EN | WR_THROT_EN | IOVA_34_EN | SHARE_PGTABLE | MTK_IOMMU_TYPE_MM", "m4ulist", "REG_MMU_INV_SEL_GEN2",
            1, OneBank, [], Mt8192MultiDom, Mt8195LarbRegionMsk, [[1], [3], [22, Inv, Inv, Inv, 23], [8], [20], [12], [14, 16, 29, 26, 30, 31, 18], [4, Inv, Inv, Inv, 6]]),
        new("mediatek,mt8365-m4u", "mt8365_data", "RESET_AXI | INT_ID_PORT_WIDTH_6", null, "REG_MMU_INV_SEL_GEN1",
            1, OneBank, [], SingleDomain, [], [[0], [1], [2], [3], [4], [5]]),
    ];
}
