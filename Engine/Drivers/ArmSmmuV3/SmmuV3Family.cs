using System.Text.Json.Nodes;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// Arm SMMUv3 (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): a stream table indexed by stream ID
/// instead of stream-match registers and context banks, so there are no banks (the YAML has none);
/// stage 1 with the AArch64 4K granule (SZ_4K | SZ_2M | SZ_1G), one CD per master (no substreams), and
/// the ID-register facts of <see cref="SmmuV3Config"/>. Masters name one stream ID each
/// (#iommu-cells = 1). ias is the stage-1 input size, min(48, VA_BITS) (52-bit VAX not modelled); oas
/// IDR5.OAS. The MediaTek and SMMU v2 keys do not apply.
/// </summary>
public sealed partial class SmmuV3Family : IommuFamily
{
    public override string Name => "arm-smmu-v3";
    public override IReadOnlyList<string> Types { get; } = ["smmu-v3"];
    public override IReadOnlyList<string> Pgtables { get; } = [IoPgtableFormat.ArmLpaeS1.Name];
    public override IReadOnlyList<string> Flags { get; } = [];
    public override int MaxBanks => 1;
    public override string BanksMeaning => "SMMUv3 has a stream table, not banks";

    public override IReadOnlyList<string> IommuKeys { get; } =
        [.. YamlKeys.IommuCommon.Where(k => k != "banks"), "sid-bits", "asid-bits", "stream-table", "range-invalidation", "coherent", "stalls", "e2h", "ats", "gbpa-abort"];

    public override IReadOnlyList<string> DeviceIdKeys { get; } = ["stream", "ats"];
    public override IReadOnlyList<string> DeviceIdRequired { get; } = ["stream"];

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaIommuProperties() =>
    [
        new("sid-bits", SchemaNodes.Int(1, 32, "stream-ID bits (SMMU_IDR1.SIDSIZE); required")),
        new("asid-bits", SchemaNodes.Int(8, 16, "ASID bits: 16 with SMMU_IDR0.ASID16, else 8; default 16")),
        new("stream-table", new JsonObject { ["enum"] = SchemaNodes.Strings("2-level", "linear"), ["description"] = "SMMU_IDR0.ST_LVL: 2-level (default; used only when sid-bits > 8) or linear" }),
        new("range-invalidation", SchemaNodes.Bool("SMMU_IDR3.RIL: TLBI commands with SCALE/NUM ranges; default false")),
        new("coherent", SchemaNodes.Bool("coherent table walks (SMMU_IDR0.COHACC / dma-coherent): IOMMU_CAP_CACHE_COHERENCY and write-back walk attributes; default false")),
        new("stalls", SchemaNodes.Bool("SMMU_IDR0.STALL_MODEL allows stalling: STEs of masters without dma-can-stall set S1STALLD; default false")),
        new("e2h", SchemaNodes.Bool("SMMU_IDR0.HYP with a VHE kernel (ARM_SMMU_FEAT_E2H): EL2 stream world, TLBI_EL2_VA/ASID; default false")),
        new("ats", SchemaNodes.Bool("SMMU_IDR0.ATS (ARM_SMMU_FEAT_ATS): PCIe ATS for masters whose id says ats; default false")),
        new("gbpa-abort", SchemaNodes.Bool("SMMU_GBPA.ABORT as the kernel finds it (IMPLEMENTATION DEFINED at reset, or set by firmware; arm_smmu_device_reset sets it when firmware left the SMMU enabled): with SMMUEN clear, after a failed registration, traffic is terminated instead of bypassing; default false")),
    ];

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaDeviceIdProperties() =>
    [
        new("stream", SchemaNodes.Num("stream ID, 0 to 0xffffffff (below 2^sid-bits to probe)")),
        new("ats", SchemaNodes.Bool("arm-smmu-v3, PCI masters: the endpoint has the ATS capability and its host bridge says ats-supported (IOMMU_FWSPEC_PCI_RC_ATS); default false")),
    ];

    public override string DescribeBanks(IommuInstance i)
    {
        var c = SmmuV3Config.Of(i);
        return c.UsesTwoLevel ? $"stream table 2-level, {c.L1Entries} L1 entries ({Hex.Of(c.Covered)} stream IDs)" : $"stream table linear, {Hex.Of(c.Covered)} STEs";
    }

    /// <summary>The ID-register facts a reader of the report needs beside the stream table: ASID width and the features that change commands, STEs or TLB maintenance.</summary>
    public override IEnumerable<string> FlagNotes(IommuInstance i)
    {
        var c = SmmuV3Config.Of(i);
        var facts = new List<string> { $"{c.AsidBits}-bit ASIDs" };
        if (c.RangeInv) facts.Add("range invalidation (IDR3.RIL)");
        if (c.Coherent) facts.Add("coherent walks");
        if (c.Stalls) facts.Add("stalls (S1STALLD set)");
        if (c.E2h) facts.Add("E2H (TLBI_EL2_*)");
        if (c.Ats) facts.Add("ATS");
        if (c.GbpaAbort) facts.Add("GBPA.ABORT");
        yield return string.Join(", ", facts);
    }

    public override int DefaultIas(IReadOnlySet<string> flags) => 48;
    public override int DefaultOas(IReadOnlySet<string> flags) => 48;

    public override void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt)
    {
        // 32..48 is checked by the loader: pgtbl_cfg.ias = min(48, VA_BITS), oas = IDR5.OAS.
    }

    public override IIommuDriver CreateDriver(IommuCore core) => new ArmSmmuV3(core);

    /// <summary>own-stream: a stream ID of its own for a master that shares one (and so lost its IOMMU).</summary>
    public override IReadOnlyList<SocEdit> SocEdits => SmmuV3SocEdits.All;

    public override IReadOnlyList<CompatibleEntry> Compatibles { get; } =
    [
        new("arm,smmu-v3", "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_of_match", "{driver: arm-smmu-v3, type: smmu-v3, pgtable: arm-lpae-s1}")
        { Required = ["sid-bits"], Note = "the stream-table, ASID and queue facts are the ID registers'; implementation options (hisilicon,broken-prefetch-cmd, cavium,cn9900-broken-page1-regspace, the Tegra241 CMDQV) are not modelled" },
    ];

    internal override IommuInstance ReadSpecific(MappingReader r, IommuInstance inst)
    {
        int sidBits = MappingReader.AsInt(r.Required("sid-bits"), "sid-bits", 1, 32);
        int asidBits = r.OptInt("asid-bits", 16, 8, 16);
        if (asidBits is not (8 or 16))
            throw YamlTree.Error(ErrorCode.BadValue, $"asid-bits is 8 or 16 (SMMU_IDR0.ASID16), not {asidBits}", r.KeySpan("asid-bits"));
        var table = r.OptString("stream-table") ?? "2-level";
        if (table is not ("2-level" or "linear"))
            throw YamlTree.Error(ErrorCode.BadValue, $"stream-table is 2-level or linear (SMMU_IDR0.ST_LVL), not '{table}'", r.KeySpan("stream-table"));
        return inst with
        {
            Config = new SmmuV3Config(sidBits, asidBits, table == "2-level", r.OptBool("range-invalidation") ?? false,
                r.OptBool("coherent") ?? false, r.OptBool("stalls") ?? false, r.OptBool("e2h") ?? false, r.OptBool("ats") ?? false, r.OptBool("gbpa-abort") ?? false),
        };
    }

    /// <summary>arm_smmu_of_xlate (arm-smmu-v3.c, Linux 7.0): the ID as the stream ID; ATS when the function and its root complex have it.</summary>
    /// <summary>arm_smmu_device_group (arm-smmu-v3.c) calls pci_device_group for PCI masters (Linux 7.0).</summary>
    public override bool UsesPciDeviceGroup => true;

    public override DeviceId? PciId(string iommu, uint id, bool ats) => new SmmuV3StreamId(iommu, id) { Ats = ats };

    internal override DeviceId ReadId(MappingReader id, string iommu)
    {
        foreach (var k in new[] { "larb", "port", "mask" })
            if (id.Has(k))
                throw YamlTree.Error(ErrorCode.BadValue, $"arm-smmu-v3 masters are named by one stream ID each (iommus = <&smmu SID>), not {k}", id.KeySpan(k));
        var stream = MappingReader.AsNumber(id.Required("stream"), "stream");
        if (stream > uint.MaxValue)
            throw YamlTree.Error(ErrorCode.BadValue, $"stream {Hex.Of(stream)} is wider than 32 bits (a stream ID is a u32)", id.KeySpan("stream"));
        return new SmmuV3StreamId(iommu, (uint)stream) { Ats = id.OptBool("ats") ?? false };
    }
}
