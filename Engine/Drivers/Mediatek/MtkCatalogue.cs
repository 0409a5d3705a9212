namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// Every struct mtk_iommu_plat_data of drivers/iommu/mtk_iommu.c in Linux 7.0, by the compatible
/// mtk_iommu_of_ids maps to it, written as the SoC file's MediaTek keys: type (MTK_IOMMU_TYPE_*),
/// flags (the plat_data flag names in kebab-case), hw-list (the hw_list a SHARE_PGTABLE instance
/// joins: m4ulist, apulist or infralist), inv-sel (inv_sel_reg: REG_MMU_INV_SEL_GEN1/GEN2), banks
/// (banks_num), banks-enabled (banks_enable), bank-ports (banks_portmsk), regions (iova_region with
/// CONFIG_ARCH_DMA_ADDR_T_64BIT, as on arm64: single_domain, mt8192_multi_dom or
/// mt8189_multi_dom_apu), region-ports (iova_region_larb_msk, ~0 as "all") and larbid-remap (32 is
/// MTK_INVALID_LARBID, MTK_LARB_NR_MAX of include/dt-bindings/memory/mtk-memory-port.h). Regions are
/// named r0… in the kernel's order. Not from the plat_data: pericfg_comp_str (a syscon lookup, not
/// modelled).
/// </summary>
internal static class MtkCatalogue
{
    private const string Src = "drivers/iommu/mtk_iommu.c, Linux 7.0";

    // mt8192_multi_dom: 0~4G, 4G~8G, 8G~12G, 12G~16G (MTK_IOMMU_IOVA_SZ_4G each), then CCU0 and CCU1.
    private const string Mt8192Regions =
        "regions: [{name: r0, base: 0x0, size: 0xff80_0000}, {name: r1, base: 0x1_0000_0000, size: 0xff80_0000}, " +
        "{name: r2, base: 0x2_0000_0000, size: 0xff80_0000}, {name: r3, base: 0x3_0000_0000, size: 0xff80_0000}, " +
        "{name: r4, base: 0x2_4000_0000, size: 0x400_0000}, {name: r5, base: 0x2_4400_0000, size: 0x400_0000}]";

    private const string Mt8192RegionPorts =
        "region-ports: {r0: {larb0: all, larb1: all}, r1: {larb4: all, larb5: all, larb7: all}, " +
        "r2: {larb2: all, larb9: all, larb11: all, larb13: [0-8, 11-31], larb14: [0-3, 6-31], larb16: all, larb17: all, larb18: all, larb19: all, larb20: all}, " +
        "r4: {larb13: [9, 10]}, r5: {larb14: [4, 5]}}";

    private const string Mt8192Remap = "larbid-remap: [[0], [1], [4, 5], [7], [2], [9, 11, 19, 20], [0, 14, 16], [0, 13, 18, 17]]";

    private const string Mt8188RegionPorts =
        "region-ports: {r0: {larb0: all, larb1: all, larb2: all, larb3: all}, r1: {larb21: all, larb22: all, larb23: all}, " +
        "r2: {larb4: all, larb5: all, larb6: all, larb7: all, larb8: all, larb9: all, larb10: all, larb11: all, larb12: all, larb13: all, " +
        "larb14: all, larb15: all, larb16: all, larb17: all, larb18: all, larb19: all, larb20: all, larb25: all}, " +
        "r4: {larb24: [0, 1]}, r5: {larb24: [2, 3]}}";

    private const string Mt8195RegionPorts =
        "region-ports: {r0: {larb0: all, larb1: all, larb2: all, larb3: all}, r1: {larb19: all, larb20: all, larb21: all, larb22: all, larb23: all, larb24: all}, " +
        "r2: {larb4: all, larb5: all, larb6: all, larb7: all, larb8: all, larb9: all, larb10: all, larb11: all, larb12: all, larb13: all, " +
        "larb14: all, larb15: all, larb16: all, larb17: all, larb25: all, larb26: all, larb27: all, larb28: all}, " +
        "r4: {larb18: [0, 1]}, r5: {larb18: [2, 3]}}";

    private static CompatibleEntry Mm(string compatible, string symbol, string body) =>
        new(compatible, $"{Src}: {symbol}", "{driver: mediatek, type: mm, " + body + "}");

    public static readonly IReadOnlyList<CompatibleEntry> Entries =
    [
        Mm("mediatek,mt2712-m4u", "mt2712_data",
            "flags: [has-4gb-mode, has-bclk, has-vld-pa-rng, share-pgtable], hw-list: m4ulist, inv-sel: gen1, banks: 1, " +
            "larbid-remap: [[0], [1], [2], [3], [4], [5], [6], [7]]"),
        Mm("mediatek,mt6779-m4u", "mt6779_data",
            "flags: [has-sub-comm-2bits, out-order-wr-en, wr-throt-en, pgtable-pa-35-en], inv-sel: gen2, banks: 1, " +
            "larbid-remap: [[0], [1], [2], [3], [5], [7, 8], [10], [9]]"),
        Mm("mediatek,mt6795-m4u", "mt6795_data",
            "flags: [has-4gb-mode, has-bclk, reset-axi, has-legacy-ivrp-paddr, tf-port-to-addr-mt8173], inv-sel: gen1, banks: 1, " +
            "larbid-remap: [[0], [1], [2], [3], [4]]"),
        Mm("mediatek,mt6893-iommu-mm", "mt6893_data",
            $"flags: [has-bclk, out-order-wr-en, has-sub-comm-2bits, wr-throt-en, iova-34-en, share-pgtable], inv-sel: gen2, banks: 1, {Mt8192Regions}, {Mt8192RegionPorts}, {Mt8192Remap}")
        with
        {
            Refusal = "Linux 7.0's mt6893_data sets SHARE_PGTABLE but no hw_list, so mtk_iommu_probe's list_add_tail(&data->list, data->plat_data->hw_list) dereferences NULL: the kernel oopses at probe",
            RefusalCuredBy = ["flags", "hw-list"],
            Note = "SHARE_PGTABLE without a hw_list: probe oopses on 7.0; override flags (without share-pgtable) or hw-list to model a fixed kernel",
        },
        Mm("mediatek,mt8167-m4u", "mt8167_data",
            "flags: [reset-axi, has-legacy-ivrp-paddr], inv-sel: gen1, banks: 1, larbid-remap: [[0], [1], [2]]"),
        Mm("mediatek,mt8173-m4u", "mt8173_data",
            "flags: [has-4gb-mode, has-bclk, reset-axi, has-legacy-ivrp-paddr, tf-port-to-addr-mt8173], inv-sel: gen1, banks: 1, " +
            "larbid-remap: [[0], [1], [2], [3], [4], [5]]"),
        Mm("mediatek,mt8183-m4u", "mt8183_data",
            "flags: [reset-axi], inv-sel: gen1, banks: 1, larbid-remap: [[0], [4], [5], [6], [7], [2], [3], [1]]"),
        Mm("mediatek,mt8186-iommu-mm", "mt8186_data_mm",
            $"flags: [has-bclk, has-sub-comm-2bits, out-order-wr-en, wr-throt-en, iova-34-en, pgtable-pa-35-en], inv-sel: gen2, banks: 1, {Mt8192Regions}, " +
            "region-ports: {r0: {larb0: all, larb1: all, larb2: all}, r1: {larb4: all, larb7: all}, " +
            "r2: {larb8: all, larb9: all, larb11: all, larb13: [0-8, 11-31], larb16: all, larb17: all, larb19: all, larb20: all}, " +
            "r4: {larb13: [9, 10]}, r5: {larb14: all}}, " +
            "larbid-remap: [[0], [1, 32, 8], [4], [7], [2], [9, 11, 19, 20], [32, 14, 16], [32, 13, 32, 17]]"),
        new("mediatek,mt8188-iommu-infra", $"{Src}: mt8188_data_infra",
            "{driver: mediatek, type: infra, flags: [wr-throt-en, dcm-disable, std-axi-mode, pm-clk-ao, ifa-iommu-pcie-support, pgtable-pa-35-en, cfg-ifa-master-in-atf], " +
            "inv-sel: gen2, banks: 1}"),
        Mm("mediatek,mt8188-iommu-vdo", "mt8188_data_vdo",
            $"flags: [has-bclk, has-sub-comm-3bits, out-order-wr-en, wr-throt-en, iova-34-en, share-pgtable, pgtable-pa-35-en], hw-list: m4ulist, inv-sel: gen2, banks: 1, " +
            $"{Mt8192Regions}, {Mt8188RegionPorts}, larbid-remap: [[2], [0], [21], [0], [19], [9, 10, 11, 25], [13, 0, 29, 30, 0], [5]]"),
        Mm("mediatek,mt8188-iommu-vpp", "mt8188_data_vpp",
            $"flags: [has-bclk, has-sub-comm-3bits, out-order-wr-en, wr-throt-en, iova-34-en, share-pgtable, pgtable-pa-35-en], hw-list: m4ulist, inv-sel: gen2, banks: 1, " +
            $"{Mt8192Regions}, {Mt8188RegionPorts}, larbid-remap: [[1], [3], [23], [7], [32], [12, 15, 24], [14, 32, 16, 17, 32, 27, 28, 32], [4, 6]]"),
        new("mediatek,mt8189-iommu-apu", $"{Src}: mt8189_data_apu",
            "{driver: mediatek, type: apu, flags: [iova-34-en, dcm-disable, pgtable-pa-35-en], hw-list: apulist, inv-sel: gen2, banks: 1, " +
            "regions: [{name: r0, base: 0x20_0000, size: 0x2000_0000}, {name: r1, base: 0x4000_0000, size: 0xc000_0000}, " +
            "{name: r2, base: 0x7000_0000, size: 0x1260_0000}, {name: r3, base: 0x1_0000_0000, size: 0x3_0000_0000}], " +
            "region-ports: {r0: {larb0: [2]}, r1: {larb0: [1]}, r2: {larb0: [3]}, r3: {larb0: [0]}}, " +
            "larbid-remap: [[0], [1], [2], [3], [4], [5], [6], [7]]}")
        { Note = "APU SECURE, CODE, VLM and VPU regions; the masters are ports of a fake larb 0" },
        new("mediatek,mt8189-iommu-infra", $"{Src}: mt8189_data_infra",
            "{driver: mediatek, type: infra, flags: [wr-throt-en, dcm-disable, cfg-ifa-master-in-atf, share-pgtable, pgtable-pa-35-en], hw-list: infralist, inv-sel: gen2, banks: 1}"),
        Mm("mediatek,mt8189-iommu-mm", "mt8189_data_mm",
            $"flags: [has-bclk, has-sub-comm-3bits, out-order-wr-en, wr-throt-en, iova-34-en, pgtable-pa-35-en, dl-with-multi-larb], hw-list: m4ulist, inv-sel: gen2, " +
            $"banks: 5, banks-enabled: [0], {Mt8192Regions}, " +
            "region-ports: {r0: {larb0: all, larb1: all, larb2: all, larb22: [0]}, r1: {larb3: all, larb4: all}, " +
            "r2: {larb5: all, larb6: all, larb7: all, larb8: all, larb9: all, larb10: all, larb11: all, larb12: all, larb21: all}}, " +
            "larbid-remap: [[0], [1], [21, 21, 2], [19, 20, 9, 11], [7], [4], [13, 17], [14, 16]]"),
        Mm("mediatek,mt8192-m4u", "mt8192_data",
            $"flags: [has-bclk, has-sub-comm-2bits, out-order-wr-en, wr-throt-en, iova-34-en], inv-sel: gen2, banks: 1, {Mt8192Regions}, {Mt8192RegionPorts}, {Mt8192Remap}"),
        new("mediatek,mt8195-iommu-infra", $"{Src}: mt8195_data_infra",
            "{driver: mediatek, type: infra, flags: [wr-throt-en, dcm-disable, std-axi-mode, pm-clk-ao, ifa-iommu-pcie-support], inv-sel: gen2, " +
            "banks: 5, banks-enabled: [0, 4], bank-ports: {0: [16-19], 4: [20-31]}}")
        { Note = "bank 0 serves PCIe (ports 16-19), bank 4 USB (ports 20-31); pericfg_comp_str mediatek,mt8195-pericfg_ao" },
        Mm("mediatek,mt8195-iommu-vdo", "mt8195_data_vdo",
            $"flags: [has-bclk, has-sub-comm-2bits, out-order-wr-en, wr-throt-en, iova-34-en, share-pgtable], hw-list: m4ulist, inv-sel: gen2, banks: 1, " +
            $"{Mt8192Regions}, {Mt8195RegionPorts}, larbid-remap: [[2, 0], [21], [24], [7], [19], [9, 10, 11], [13, 17, 15, 25], [5]]"),
        Mm("mediatek,mt8195-iommu-vpp", "mt8195_data_vpp",
            $"flags: [has-bclk, has-sub-comm-3bits, out-order-wr-en, wr-throt-en, iova-34-en, share-pgtable], hw-list: m4ulist, inv-sel: gen2, banks: 1, " +
            $"{Mt8192Regions}, {Mt8195RegionPorts}, " +
            "larbid-remap: [[1], [3], [22, 32, 32, 32, 23], [8], [20], [12], [14, 16, 29, 26, 30, 31, 18], [4, 32, 32, 32, 6]]"),
        Mm("mediatek,mt8365-m4u", "mt8365_data",
            "flags: [reset-axi, int-id-port-width-6], inv-sel: gen1, banks: 1, larbid-remap: [[0], [1], [2], [3], [4], [5]]"),
    ];
}
