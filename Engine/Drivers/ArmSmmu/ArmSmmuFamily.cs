using System.Text.Json.Nodes;
using ScenarioEngine.PageTables;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// Arm SMMU v2 (drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux 7.0): the generic
/// "arm,smmu-v2" / "arm,mmu-500" programming model without an implementation's quirks. Context banks
/// are the family's banks (SMMU_IDR1.NUMCB, at most ARM_SMMU_MAX_CBS = 128; default 8 here, an
/// assumption); the first `s2-banks` of them (SMMU_IDR1.NUMS2CB, default 0) hold stage-2 contexts only,
/// so stage-1 contexts start after them. Stage 1 only, AArch64 LPAE with
/// the 4K granule (ARM_SMMU_FEAT_FMT_AARCH64_4K): ias is SMMU_IDR2.UBS and oas SMMU_IDR2.IAS as the
/// driver takes them for stage 1, both 48 unless the YAML says otherwise. Masters are named by stream
/// ID and an optional SMR mask (#iommu-cells = 2); `smrs` is SMMU_IDR0.NUMSMRG (default and maximum
/// ARM_SMMU_MAX_SMRS = 128). The MediaTek keys (regions, bank ports, larbs, shared tables) do not apply.
/// </summary>
public sealed partial class ArmSmmuFamily : IommuFamily
{
    public override string Name => "arm-smmu";
    public override IReadOnlyList<string> Types { get; } = ["smmu-v2"];
    public override IReadOnlyList<string> Pgtables { get; } = [IoPgtableFormat.ArmLpaeS1.Name];
    public override IReadOnlyList<string> Flags { get; } = [];
    public override int MaxBanks => 128;
    public override int DefaultBanks => 8;
    public override IReadOnlyList<string> IommuKeys { get; } = [.. YamlKeys.IommuCommon, "smrs", "s2-banks"];
    public override string BanksMeaning => "context banks (SMMU_IDR1.NUMCB, ARM_SMMU_MAX_CBS)";
    public override IReadOnlyList<string> DeviceIdKeys { get; } = ["stream", "mask"];
    public override IReadOnlyList<string> DeviceIdRequired { get; } = ["stream"];

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaIommuProperties() =>
    [
        new("smrs", SchemaNodes.Int(1, MaxSmrs, $"stream-match registers (SMMU_IDR0.NUMSMRG), default and most {MaxSmrs} (ARM_SMMU_MAX_SMRS)")),
        new("s2-banks", SchemaNodes.Int(0, MaxBanks, "stage-2-only context banks (SMMU_IDR1.NUMS2CB), at most banks; stage-1 contexts start after them; default 0")),
    ];

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaDeviceIdProperties() =>
    [
        new("stream", SchemaNodes.Num("stream ID, 0 to 0xffff")),
        new("mask", SchemaNodes.Num("SMR mask (the specifier's second cell), 0 to 0xffff; default 0")),
    ];
    /// <summary>ARM_SMMU_MAX_SMRS (the architectural limit of SMMU_IDR0.NUMSMRG); also the default here.</summary>
    public const int MaxSmrs = 128;

    public override string DescribeBanks(IommuInstance i) => $"{i.Banks} context banks" + (SmmuConfig.Of(i).S2Banks is > 0 and var s2 ? $" (cb0..cb{s2 - 1} stage-2 only)" : "");

    public override int DefaultIas(IReadOnlySet<string> flags) => 48;
    public override int DefaultOas(IReadOnlySet<string> flags) => 48;

    public override void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt)
    {
        // 32..48 is checked by the loader; arm_64_lpae_alloc_pgtable_s1 takes any of them with 4K.
    }


    public override IIommuDriver CreateDriver(IommuCore core) => new ArmSmmu(core);

    private const string Src = "drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux 7.0: arm_smmu_of_match";

    /// <summary>
    /// arm,smmu-v2 and arm,mmu-500: both ARM_SMMU_V2 (ARM_SMMU_MATCH_DATA), so the same programming
    /// model here. The context-bank and SMR counts are the hardware's (SMMU_IDR1.NUMCB,
    /// SMMU_IDR0.NUMSMRG, read by arm_smmu_device_cfg_probe), so the YAML must give them.
    /// </summary>
    public override IReadOnlyList<SocEdit> SocEdits => SmmuSocEdits.All;

    public override IReadOnlyList<CompatibleEntry> Compatibles { get; } =
    [
        new("arm,smmu-v2", $"{Src} → smmu_generic_v2 (ARM_SMMU_V2, GENERIC_SMMU)", "{driver: arm-smmu, type: smmu-v2, pgtable: arm-lpae-s1}")
        { Required = ["banks", "smrs"] },
        new("arm,mmu-500", $"{Src} → arm_mmu500 (ARM_SMMU_V2, ARM_MMU500)", "{driver: arm-smmu, type: smmu-v2, pgtable: arm-lpae-s1}")
        { Required = ["banks", "smrs"], Note = "the MMU-500 implementation hooks of arm-smmu-impl.c (reset quirks, errata) are not modelled" },
    ];

    /// <summary>smrs (SMMU_IDR0.NUMSMRG) and s2-banks (SMMU_IDR1.NUMS2CB).</summary>
    internal override IommuInstance ReadSpecific(MappingReader r, IommuInstance inst) =>
        inst with { Config = new SmmuConfig(r.OptInt("smrs", MaxSmrs, 1, MaxSmrs), r.OptInt("s2-banks", 0, 0, inst.Banks)) };

    /// <summary>
    /// arm_smmu_of_xlate (arm-smmu.c, Linux 7.0) with one cell: FIELD_PREP(ARM_SMMU_SMR_ID, args[0]) keeps
    /// the low 16 bits; the mask would come from the SMMU node's stream-match-mask, which is not modelled (0).
    /// </summary>
    /// <summary>arm_smmu_device_group (arm-smmu.c) calls pci_device_group for PCI masters (Linux 7.0).</summary>
    public override bool UsesPciDeviceGroup => true;

    public override DeviceId? PciId(string iommu, uint id, bool ats) => new SmmuStreamId(iommu, id & 0xffff, 0);

    internal override DeviceId ReadId(MappingReader id, string iommu)
    {
        foreach (var k in new[] { "larb", "port" })
            if (id.Has(k))
                throw YamlTree.Error(ErrorCode.BadValue, $"arm-smmu masters are named by stream ID (iommus = <&smmu SID>), not {k}", id.KeySpan(k));
        var stream = MappingReader.AsInt(id.Required("stream"), "stream", 0, 0xffff);
        var mask = id.Has("mask") ? MappingReader.AsInt(id.Node("mask")!, "mask", 0, 0xffff) : 0;
        return new SmmuStreamId(iommu, (uint)stream, (uint)mask);
    }
}
