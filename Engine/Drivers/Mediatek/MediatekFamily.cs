using ScenarioEngine.PageTables;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// MediaTek M4U (drivers/iommu/mtk_iommu.c, ≈v6.8 and ≈v6.19: struct mtk_iommu_plat_data and its flags).
/// Flags are the MTK_IOMMU plat_data flag names in kebab-case (HAS_4GB_MODE → has-4gb-mode).
/// ias is 34 with IOVA_34_EN else 32; the v7s oas is chosen by mtk_iommu_domain_finalise: 32/33 for
/// HAS_4GB_MODE SoCs (33 when 4GB mode is on), else 35. Up to 5 banks (MTK_IOMMU_BANK_MAX).
/// Default region: single_domain [0, 4 GiB − 8 MiB) (MTK_IOMMU_IOVA_SZ_4G, since v6.4).
/// </summary>
public sealed class MediatekFamily : IommuFamily
{
    public override string Name => "mediatek";
    public override IReadOnlyList<string> Types { get; } = ["mm", "infra", "apu"];
    public override IReadOnlyList<string> Pgtables { get; } = [IoPgtableFormat.ArmV7s.Name()];
    public override IReadOnlyList<string> Flags { get; } =
    [
        "has-4gb-mode", "has-bclk", "has-vld-pa-rng", "reset-axi", "out-order-wr-en", "wr-throt-en",
        "has-sub-comm-2bits", "has-sub-comm-3bits", "int-id-port-width-6", "has-legacy-ivrp-paddr",
        "iova-34-en", "share-pgtable", "dcm-disable", "std-axi-mode", "pm-clk-ao", "ifa-iommu-pcie-support",
        "pgtable-pa-35-en", "tf-port-to-addr-mt8173", "cfg-ifa-master-in-atf", "dl-with-multi-larb",
    ];
    public override int MaxBanks => 5;
    public override IReadOnlyList<string> IommuKeys { get; } = YamlKeys.Iommu.Where(k => k != "smrs").ToArray();
    public const ulong SingleRegionSize = 0x1_0000_0000UL - 0x80_0000UL;

    public override int DefaultIas(IReadOnlySet<string> flags) => flags.Contains("iova-34-en") ? 34 : 32;
    public override int DefaultOas(IReadOnlySet<string> flags) => flags.Contains("has-4gb-mode") ? 33 : 35;

    public override void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt)
    {
        int wantIas = DefaultIas(flags);
        if (ias != wantIas)
            throw YamlTree.Error(ErrorCode.BadValue, $"ias {ias} does not match the driver: mtk_iommu_domain_finalise uses {wantIas} ({(wantIas == 34 ? "iova-34-en is set" : "no iova-34-en flag")})", iasAt);
        bool fourGb = flags.Contains("has-4gb-mode");
        if (fourGb ? oas is not (32 or 33) : oas != 35)
            throw YamlTree.Error(ErrorCode.BadValue, $"oas {oas} does not match the driver: mtk_iommu_domain_finalise uses {(fourGb ? "32, or 33 in 4GB mode (has-4gb-mode)" : "35")}", oasAt);
    }

    public override IEnumerable<IovaRegion> DefaultRegions(SourceSpan at) => [new IovaRegion("r0", 0, SingleRegionSize, at)];

    public override IIommuDriver CreateDriver(IommuCore core) => new MediatekIommu(core);

    /// <summary>larbid-remap: mtk_iommu_plat_data.larbid_remap, [larb in the fault register] → [larbs it stands for].</summary>
    internal override IommuInstance ReadSpecific(MappingReader r, IommuInstance inst)
    {
        if (!r.Has("larbid-remap")) return inst;
        var remap = new List<IReadOnlyList<int>>();
        foreach (var row in r.List("larbid-remap"))
            remap.Add(MappingReader.AsList(row, "larbid-remap").Select(x => MappingReader.AsInt(x, "larbid-remap", 0, 31)).ToList());
        return inst with { LarbIdRemap = remap };
    }

    internal override DeviceId ReadId(MappingReader id, string iommu)
    {
        foreach (var k in new[] { "stream", "mask" })
            if (id.Has(k))
                throw YamlTree.Error(ErrorCode.BadValue, $"mediatek masters are named by larb and port, not {k} (MTK_M4U_ID(larb, port))", id.KeySpan(k));
        var larb = MappingReader.AsInt(id.Required("larb"), "larb", 0, 31);
        var port = MappingReader.AsInt(id.Required("port"), "port", 0, 31);
        return new DeviceId(iommu, larb, port, null);
    }
}
