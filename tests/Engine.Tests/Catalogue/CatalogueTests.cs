using ScenarioEngine.Config;
using ScenarioEngine.Drivers;
using ScenarioEngine.Drivers.Mediatek;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.Catalogue;

/// <summary>
/// `compatible:` fills an IOMMU from the catalogue of Linux 7.0's platform data. Each MediaTek entry is
/// loaded and compared, field by field, with <see cref="MtkPlatDataTable"/> (the plat_data as the source
/// writes it); keys beside a compatible override it and are reported; unknown compatibles are located
/// errors naming the closest known ones.
/// </summary>
public class CatalogueTests
{
    private const string Mem = "soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 8GiB }\n";

    private static Soc Load(string iommus, string devices = "") =>
        SocLoader.Load(YamlTree.Parse(Mem + "iommus:\n" + iommus + (devices.Length > 0 ? "devices:\n" + devices : ""), "s.yaml"), "s.yaml");

    private static ScenarioLoadException LoadFails(string iommus) => Assert.Throws<ScenarioLoadException>(() => Load(iommus));

    private static string Kebab(string macro) => macro.ToLowerInvariant().Replace('_', '-');

    public static TheoryData<string> MediatekCompatibles() => new(MtkPlatDataTable.Rows.Select(r => r.Compatible));

    [Theory]
    [MemberData(nameof(MediatekCompatibles))]
    public void Every_MediaTek_compatible_of_Linux_7_0_gives_exactly_its_platform_data(string compatible)
    {
        var row = MtkPlatDataTable.Rows.Single(r => r.Compatible == compatible);
        // mt6893_data cannot probe on 7.0 as written (SHARE_PGTABLE, no hw_list): load it with a hw_list given
        var extra = compatible == "mediatek,mt6893-iommu-mm" ? ", hw-list: m4ulist" : "";
        var inst = Load($"  - {{ name: m, compatible: \"{compatible}\"{extra} }}\n").Iommus.Single();
        var c = MtkConfig.Of(inst);
        var macros = row.Flags.Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal("mediatek", inst.Driver);
        Assert.Equal(macros.Contains("MTK_IOMMU_TYPE_INFRA") ? "infra" : macros.Contains("MTK_IOMMU_TYPE_APU") ? "apu" : "mm", inst.Type);
        Assert.Equal(macros.Where(m => !m.StartsWith("MTK_IOMMU_TYPE_", StringComparison.Ordinal)).Select(Kebab).Order(StringComparer.Ordinal), inst.Flags.Order(StringComparer.Ordinal));
        Assert.Equal(macros.Contains("IOVA_34_EN") ? 34 : 32, inst.Ias);
        Assert.Equal(extra.Length > 0 ? "m4ulist" : row.HwList, c.HwList);
        Assert.Equal(row.InvSel["REG_MMU_INV_SEL_".Length..].ToLowerInvariant(), c.InvSel);
        Assert.Equal(row.BanksNum, inst.Banks);
        Assert.Equal(Enumerable.Range(0, row.BanksEnable.Length).Where(i => row.BanksEnable[i]), c.BanksEnabled);
        Assert.Equal(row.BanksPortmsk.OrderBy(kv => kv.Key), c.BankPorts.Select(kv => KeyValuePair.Create(kv.Key, (uint)kv.Value.Mask)).OrderBy(kv => kv.Key));
        Assert.Equal(row.Regions, c.Regions.Select(r => (r.Base, r.Size)));
        var regionMasks = c.RegionPorts.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(l => l.Key, l => (uint)l.Value.Mask));
        Assert.Equal(row.RegionLarbMsk.Keys.Order(), regionMasks.Keys.Order());
        foreach (var (region, larbs) in row.RegionLarbMsk)
            Assert.True(larbs.OrderBy(kv => kv.Key).SequenceEqual(regionMasks[region].OrderBy(kv => kv.Key)),
                $"region {region}: table {string.Join(", ", larbs.Select(kv => $"larb{kv.Key}=0x{kv.Value:x}"))} vs catalogue {string.Join(", ", regionMasks[region].Select(kv => $"larb{kv.Key}=0x{kv.Value:x}"))}");
        if (row.LarbidRemap.Length == 0) Assert.Null(c.LarbIdRemap);
        else Assert.Equal(row.LarbidRemap.Select(r => string.Join(",", r)), c.LarbIdRemap!.Select(r => string.Join(",", r)));
        Assert.Equal(compatible, inst.Compatible!.Compatible);
        Assert.Contains(row.Symbol, inst.Compatible.Source, StringComparison.Ordinal);
        Assert.Contains("Linux 7.0", inst.Compatible.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalogue_holds_the_nineteen_MediaTek_compatibles_of_7_0_and_the_three_Arm_SMMU_ones_and_every_entry_parses()
    {
        Assert.Equal(19, MtkPlatDataTable.Rows.Length);
        Assert.Equal(MtkPlatDataTable.Rows.Select(r => r.Compatible).Concat(["arm,smmu-v2", "arm,mmu-500", "arm,smmu-v3"]).Order(StringComparer.Ordinal),
            Families.AllCompatibles.Select(e => e.Compatible).Order(StringComparer.Ordinal));
        foreach (var e in Families.AllCompatibles) Assert.NotEmpty(CompatibleMerge.EntryKeys(e).Entries);
    }

    [Fact]
    public void An_unknown_compatible_is_a_located_error_naming_the_closest_known_ones()
    {
        var ex = LoadFails("  - { name: m, compatible: \"mediatek,mt8192-iommu\" }\n");
        Assert.Equal(ErrorCode.UnknownReference, ex.Error.Code);
        Assert.Equal(5, ex.Error.Where.Line);
        Assert.Contains("mediatek,mt8192-m4u", ex.Error.Message, StringComparison.Ordinal);
        Assert.Contains("closest:", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_beside_the_compatible_overrides_the_entry_and_the_report_says_so()
    {
        var inst = Load("  - { name: m, compatible: \"mediatek,mt8192-m4u\", banks: 2, flags: [has-bclk, iova-34-en] }\n").Iommus.Single();
        Assert.Equal(2, inst.Banks);
        Assert.Equal(["has-bclk", "iova-34-en"], inst.Flags);
        Assert.Equal(["flags", "banks"], inst.Compatible!.Overridden);
        Assert.Equal(6, MtkConfig.Of(inst).Regions.Count); // the rest still from mt8192_data
        var cells = Running.EndStateBuilder.FlagNotes(inst);
        Assert.Contains(cells, n => n == "compatible mediatek,mt8192-m4u (drivers/iommu/mtk_iommu.c, Linux 7.0: mt8192_data); overridden here: flags, banks");
    }

    [Fact]
    public void An_override_that_no_longer_fits_the_entry_is_an_error_at_the_compatible_line()
    {
        // without IOVA_34_EN the IOVA space is 32 bits and mt8192_multi_dom's regions above 4 GiB do not fit
        var ex = LoadFails("  - { name: m, compatible: \"mediatek,mt8192-m4u\", flags: [has-bclk] }\n");
        Assert.Equal(ErrorCode.OutOfRange, ex.Error.Code);
        Assert.Equal(("s.yaml", 5), (ex.Error.Where.File, ex.Error.Where.Line));
    }

    [Fact]
    public void A_driver_beside_a_compatible_must_be_the_one_that_matches_it()
    {
        Assert.Equal(ErrorCode.BadValue, LoadFails("  - { name: m, compatible: \"mediatek,mt8192-m4u\", driver: arm-smmu }\n").Error.Code);
        Assert.Equal("mediatek", Load("  - { name: m, compatible: \"mediatek,mt8192-m4u\", driver: mediatek }\n").Iommus.Single().Driver);
    }

    [Fact]
    public void An_Arm_SMMU_compatible_needs_the_context_bank_and_SMR_counts_the_ID_registers_would_give()
    {
        var ex = LoadFails("  - { name: smmu, compatible: \"arm,mmu-500\", banks: 16 }\n");
        Assert.Equal(ErrorCode.MissingKey, ex.Error.Code);
        Assert.Contains("smrs", ex.Error.Message, StringComparison.Ordinal);
        var inst = Load("  - { name: smmu, compatible: \"arm,mmu-500\", banks: 16, smrs: 32 }\n").Iommus.Single();
        Assert.Equal(("arm-smmu", "smmu-v2", "arm-lpae-s1", 16), (inst.Driver, inst.Type, inst.Pgtable, inst.Banks));
        Assert.Empty(inst.Compatible!.Overridden);
    }

    [Fact]
    public void MT6893_as_Linux_7_0_writes_it_is_refused_for_its_NULL_hw_list_unless_the_file_overrides_it()
    {
        var ex = LoadFails("  - { name: m, compatible: \"mediatek,mt6893-iommu-mm\" }\n");
        Assert.Equal(ErrorCode.BadValue, ex.Error.Code);
        Assert.Contains("list_add_tail", ex.Error.Message, StringComparison.Ordinal);
        var fixedFlags = Load("  - { name: m, compatible: \"mediatek,mt6893-iommu-mm\", flags: [has-bclk, out-order-wr-en, has-sub-comm-2bits, wr-throt-en, iova-34-en] }\n");
        Assert.DoesNotContain("share-pgtable", fixedFlags.Iommus.Single().Flags);
    }

    [Fact]
    public void SHARE_PGTABLE_instances_on_one_hw_list_share_one_page_table_and_others_do_not()
    {
        const string devices =
            "  - { name: disp, ids: [ { iommu: vdo, larb: 0, port: 0 } ] }\n" +
            "  - { name: mdp, ids: [ { iommu: vpp, larb: 1, port: 0 } ] }\n" +
            "  - { name: pcie, ids: [ { iommu: infra, larb: 0, port: 16 } ] }\n";
        var soc = Load("  - { name: vdo, compatible: \"mediatek,mt8195-iommu-vdo\" }\n  - { name: vpp, compatible: \"mediatek,mt8195-iommu-vpp\" }\n  - { name: infra, compatible: \"mediatek,mt8195-iommu-infra\" }\n", devices);
        MediatekIommu? drv = null;
        var core = new IommuCore(soc, KernelKnobs.Default, (c, _) => drv ??= new MediatekIommu(c), Dma.CoreDma.For);
        core.Boot();
        var table = (string dev) => core.Device(dev)!.Group!.DefaultDomain!.PageTable;
        Assert.NotNull(table("disp"));
        Assert.Same(table("disp"), table("mdp"));        // vdo and vpp: SHARE_PGTABLE on m4ulist
        Assert.NotSame(table("disp"), table("pcie"));    // infra: no SHARE_PGTABLE, a list of its own
    }
}
