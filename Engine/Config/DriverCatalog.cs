using ScenarioEngine.Model;

namespace ScenarioEngine.Config;

/// <summary>
/// What the SoC YAML accepts for each IOMMU driver family: type names, page-table formats, flag
/// names, defaults. The behaviour itself lives in Engine/Drivers; this is only the schema.
/// </summary>
public abstract class DriverFamily
{
    public abstract string Name { get; }
    public abstract IReadOnlyList<string> Types { get; }
    public abstract IReadOnlyList<string> Pgtables { get; }
    public abstract IReadOnlyList<string> Flags { get; }
    public abstract int MaxBanks { get; }
    /// <summary>The number of banks (MediaTek banks, SMMU context banks) when the YAML gives none.</summary>
    public virtual int DefaultBanks => 1;
    /// <summary>The report's "banks" cell for an instance of this family.</summary>
    public virtual string DescribeBanks(IommuInstance i)
    {
        var banks = $"{i.Banks} ({string.Join(", ", i.BanksEnabled)})";
        foreach (var (b, p) in i.BankPorts) banks += $"<br>bank{b} ports {p}";
        return banks;
    }

    /// <summary>The IOMMU keys this family reads; any other key of YamlKeys.Iommu is refused (SE1003).</summary>
    public virtual IReadOnlyList<string> IommuKeys => YamlKeys.Iommu;
    public abstract int DefaultIas(IReadOnlySet<string> flags);
    public abstract int DefaultOas(IReadOnlySet<string> flags);
    public abstract void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt);
    public abstract IEnumerable<IovaRegion> DefaultRegions(SourceSpan at);
    internal abstract DeviceId ReadId(MappingReader id, string iommu);
}

public static class DriverCatalog
{
    public static IReadOnlyList<DriverFamily> Families { get; } = [new MediatekFamily(), new ArmSmmuFamily()];

    /// <summary>Families planned but not modelled yet: loading one is SE1013.</summary>
    public static IReadOnlyList<string> Planned { get; } = ["arm-smmu-v3", "apple-dart"];

    public static DriverFamily? Find(string name) => Families.FirstOrDefault(f => f.Name == name);
}

/// <summary>
/// MediaTek M4U (drivers/iommu/mtk_iommu.c, ≈v6.8 and ≈v6.19: struct mtk_iommu_plat_data and its flags).
/// Flags are the MTK_IOMMU plat_data flag names in kebab-case (HAS_4GB_MODE → has-4gb-mode).
/// ias is 34 with IOVA_34_EN else 32; the v7s oas is chosen by mtk_iommu_domain_finalise: 32/33 for
/// HAS_4GB_MODE SoCs (33 when 4GB mode is on), else 35. Up to 5 banks (MTK_IOMMU_BANK_MAX).
/// Default region: single_domain [0, 4 GiB − 8 MiB) (MTK_IOMMU_IOVA_SZ_4G, since v6.4).
/// </summary>
public sealed class MediatekFamily : DriverFamily
{
    public override string Name => "mediatek";
    public override IReadOnlyList<string> Types { get; } = ["mm", "infra", "apu"];
    public override IReadOnlyList<string> Pgtables { get; } = ["arm-v7s"];
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
