using ScenarioEngine.PageTables;
using System.Text.Json.Nodes;
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
public sealed partial class MediatekFamily : IommuFamily
{
    public override string Name => "mediatek";
    public override IReadOnlyList<string> Types { get; } = ["mm", "infra", "apu"];
    public override IReadOnlyList<string> Pgtables { get; } = [IoPgtableFormat.ArmV7s.Name];
    public override IReadOnlyList<string> Flags { get; } =
    [
        "has-4gb-mode", "has-bclk", "has-vld-pa-rng", "reset-axi", "out-order-wr-en", "wr-throt-en",
        "has-sub-comm-2bits", "has-sub-comm-3bits", "int-id-port-width-6", "has-legacy-ivrp-paddr",
        "iova-34-en", "share-pgtable", "dcm-disable", "std-axi-mode", "pm-clk-ao", "ifa-iommu-pcie-support",
        "pgtable-pa-35-en", "tf-port-to-addr-mt8173", "cfg-ifa-master-in-atf", "dl-with-multi-larb",
    ];
    public override int MaxBanks => 5;
    public override IReadOnlyList<string> IommuKeys { get; } =
        [.. YamlKeys.IommuCommon, "banks-enabled", "bank-ports", "regions", "region-ports", "flags", "shares-pgtable-with", "larbid-remap", "hw-list", "inv-sel"];
    public override string BanksMeaning => "banks (MTK_IOMMU_BANK_MAX)";
    public override IReadOnlyList<string> DeviceIdKeys { get; } = ["larb", "port"];
    /// <summary>The keys of one IOVA region (mtk_iommu_iova_region).</summary>
    public static readonly string[] RegionKeys = ["name", "base", "size"];

    private static readonly JsonObject Ports = new()
    {
        ["anyOf"] = new JsonArray(
            new JsonObject { ["enum"] = SchemaNodes.Strings("all") },
            new JsonObject
            {
                ["type"] = "array",
                ["items"] = new JsonObject { ["anyOf"] = new JsonArray(SchemaNodes.Int(0, 31), new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+ *- *[0-9]+$" }) },
            }),
        ["description"] = "'all', or a list of ports (0-31) and ranges like 0-7",
    };

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaIommuProperties() =>
    [
        new("banks-enabled", SchemaNodes.Array(SchemaNodes.Int(0, MaxBanks - 1))),
        new("bank-ports", new JsonObject
        {
            ["type"] = "object", ["description"] = "bank number → ports (bank_portmsk)",
            ["patternProperties"] = new JsonObject { [$"^[0-{MaxBanks - 1}]$"] = Ports.DeepClone() }, ["additionalProperties"] = false,
        }),
        new("regions", SchemaNodes.Array(SchemaNodes.Ref("region"), minItems: 1)),
        new("region-ports", new JsonObject
        {
            ["type"] = "object", ["description"] = "region name or index → {larbN: ports} (iova_region_larb_msk)",
            ["additionalProperties"] = new JsonObject
            {
                ["type"] = "object", ["patternProperties"] = new JsonObject { ["^larb([0-9]|[12][0-9]|3[01])$"] = Ports.DeepClone() }, ["additionalProperties"] = false,
            },
        }),
        new("shares-pgtable-with", SchemaNodes.Array(SchemaNodes.Str())),
        new("larbid-remap", SchemaNodes.Array(SchemaNodes.Array(SchemaNodes.Int(0, 32)))),
        new("hw-list", new JsonObject { ["enum"] = SchemaNodes.Strings(MtkConfig.HwLists), ["description"] = "plat_data->hw_list: SHARE_PGTABLE instances on the same list share one page table" }),
        new("inv-sel", new JsonObject { ["enum"] = SchemaNodes.Strings(MtkConfig.InvSels), ["description"] = "plat_data->inv_sel_reg: REG_MMU_INV_SEL_GEN1 or GEN2 (reported, not modelled)" }),
    ];

    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaDeviceIdProperties() =>
        [new("larb", SchemaNodes.Int(0, 31)), new("port", SchemaNodes.Int(0, 31))];

    public override IEnumerable<KeyValuePair<string, JsonObject>> SchemaDefinitions() =>
        [new("region", SchemaNodes.Obj("A MediaTek IOVA region (mtk_iommu_iova_region).", new() { ["name"] = SchemaNodes.Str(), ["base"] = SchemaNodes.Num("first IOVA"), ["size"] = SchemaNodes.Num("bytes, not 0") }, RegionKeys))];

    public override IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> SchemaDefinitionKeys => [new("region", RegionKeys)];
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


    public override IIommuDriver CreateDriver(IommuCore core) => new MediatekIommu(core);

    /// <summary>
    /// The keys only MediaTek has, into <see cref="MtkConfig"/>: banks-enabled, bank-ports, regions
    /// (the single [0, 4 GiB − 8 MiB) region when none are given), region-ports, shares-pgtable-with
    /// and larbid-remap (mtk_iommu_plat_data.larbid_remap: [larb in the fault register] → larbs).
    /// </summary>
    internal override IommuInstance ReadSpecific(MappingReader r, IommuInstance inst)
    {
        int banks = inst.Banks, ias = inst.Ias;
        var enabled = new List<int>();
        if (r.Has("banks-enabled"))
        {
            foreach (var b in r.List("banks-enabled"))
            {
                var bank = MappingReader.AsInt(b, "banks-enabled", 0, banks - 1);
                if (enabled.Contains(bank)) throw YamlTree.Error(ErrorCode.DuplicateName, $"bank {bank} is listed twice", b.Span);
                enabled.Add(bank);
            }
            enabled.Sort();
        }
        else enabled.AddRange(Enumerable.Range(0, banks));

        var bankPorts = new SortedDictionary<int, PortSet>();
        if (r.Node("bank-ports") is { } bpNode)
        {
            var bp = YamlChecks.AsMap(bpNode, "bank-ports");
            foreach (var (k, v) in bp.Entries)
            {
                var bank = MappingReader.AsInt(k, "bank-ports key", 0, banks - 1);
                bankPorts[bank] = MtkConfig.ReadPorts(v, $"bank-ports {bank}");
            }
        }

        var regions = new List<IovaRegion>();
        if (r.Has("regions"))
        {
            foreach (var rn in r.List("regions"))
            {
                var rr = MappingReader.Of(rn, "an IOVA region", RegionKeys);
                var reg = new IovaRegion(rr.String("name"), rr.Number("base"), YamlChecks.NonZero(rr, "size"), rr.Span);
                YamlChecks.CheckNoWrap(reg.Base, reg.Size, rr);
                if (ias < 64 && reg.Last >> ias != 0)
                    throw YamlTree.Error(ErrorCode.OutOfRange, $"region '{reg.Name}' ends at {Hex.Of(reg.Last)}, beyond the {ias}-bit IOVA space", rr.Span);
                regions.Add(reg);
            }
            if (regions.Count == 0)
                throw YamlTree.Error(ErrorCode.BadValue, "regions: at least one IOVA region is needed", r.Node("regions")!.Span);
        }
        else regions.Add(new IovaRegion("r0", 0, SingleRegionSize, r.Span));
        YamlChecks.CheckUnique(regions.Select(x => (x.Name, x.Span)).ToList(), "region", r.Span.File);
        // Nesting is legal (MediaTek nests the CCU windows inside region 2); partial overlap is not.
        for (int i = 0; i < regions.Count; i++)
            for (int j = 0; j < i; j++)
            {
                var a = regions[j];
                var b = regions[i];
                bool overlap = a.Base <= b.Last && b.Base <= a.Last;
                if (overlap && !a.Contains(b) && !b.Contains(a))
                    throw YamlTree.Error(ErrorCode.OverlappingRanges, $"region '{b.Name}' [{Hex.Of(b.Base)}, {Hex.Of(b.Last)}] partially overlaps region '{a.Name}' [{Hex.Of(a.Base)}, {Hex.Of(a.Last)}]; regions may nest but not straddle", b.Span);
            }

        var regionPorts = new SortedDictionary<int, IReadOnlyDictionary<int, PortSet>>();
        if (r.Node("region-ports") is { } rpNode)
        {
            var rp = YamlChecks.AsMap(rpNode, "region-ports");
            foreach (var (k, v) in rp.Entries)
            {
                int idx = regions.FindIndex(x => x.Name == k.Value);
                if (idx < 0 && Numbers.TryParse(k.Value, out var n) && n < (ulong)regions.Count) idx = (int)n;
                if (idx < 0)
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"region-ports: no region '{k.Value}' (regions: {string.Join(", ", regions.Select(x => x.Name))})", k.Span);
                if (regionPorts.ContainsKey(idx))
                    throw YamlTree.Error(ErrorCode.DuplicateKey, $"region-ports: region '{regions[idx].Name}' is given twice", k.Span);
                var larbs = new SortedDictionary<int, PortSet>();
                foreach (var (lk, lv) in YamlChecks.AsMap(v, $"region-ports {k.Value}").Entries)
                {
                    if (!lk.Value.StartsWith("larb", StringComparison.Ordinal) || !Numbers.TryParse(lk.Value[4..], out var larb) || larb >= 32)
                        throw YamlTree.Error(ErrorCode.BadValue, $"region-ports: '{lk.Value}' is not a larb key (larb0 … larb31)", lk.Span);
                    larbs[(int)larb] = MtkConfig.ReadPorts(lv, lk.Value);
                }
                regionPorts[idx] = larbs;
            }
        }

        var shares = new List<string>();
        foreach (var s in r.List("shares-pgtable-with")) shares.Add(MappingReader.AsString(s, "shares-pgtable-with"));

        List<IReadOnlyList<int>>? remap = null;
        if (r.Has("larbid-remap"))
        {
            remap = new List<IReadOnlyList<int>>();
            foreach (var row in r.List("larbid-remap"))
                remap.Add(MappingReader.AsList(row, "larbid-remap").Select(x => MappingReader.AsInt(x, "larbid-remap", 0, 32)).ToList());
        }
        var hwList = r.OptString("hw-list");
        if (hwList is not null && !MtkConfig.HwLists.Contains(hwList))
            throw YamlTree.Error(ErrorCode.BadValue, $"hw-list '{hwList}' is not one of mtk_iommu.c's lists: {string.Join(", ", MtkConfig.HwLists)}", r.Node("hw-list")!.Span);
        var invSel = r.OptString("inv-sel");
        if (invSel is not null && !MtkConfig.InvSels.Contains(invSel))
            throw YamlTree.Error(ErrorCode.BadValue, $"inv-sel '{invSel}' is not gen1 or gen2 (REG_MMU_INV_SEL_GEN1/GEN2)", r.Node("inv-sel")!.Span);
        return inst with { Config = new MtkConfig(enabled, bankPorts, regions, regionPorts, shares) { LarbIdRemap = remap, HwList = hwList, InvSel = invSel } };
    }

    /// <summary>shares-pgtable-with names another MediaTek instance of the same SoC.</summary>
    internal override void CheckSoc(IReadOnlyList<IommuInstance> iommus)
    {
        foreach (var inst in iommus.Where(i => i.Driver == Name))
            foreach (var other in MtkConfig.Of(inst).SharesPgtableWith)
            {
                var target = iommus.FirstOrDefault(i => i.Name == other);
                if (target is null || target == inst)
                    throw YamlTree.Error(ErrorCode.UnknownReference, $"shares-pgtable-with: no other IOMMU named '{other}' (IOMMUs: {string.Join(", ", iommus.Select(i => i.Name))})", inst.Span);
                if (target.Driver != inst.Driver)
                    throw YamlTree.Error(ErrorCode.BadValue, $"shares-pgtable-with: '{other}' uses driver {target.Driver}, not {inst.Driver}", inst.Span);
            }
    }

    public override IReadOnlyList<IovaRegion> RegionsOf(IommuInstance i) => MtkConfig.Of(i).Regions;
    /// <summary>Without `regions` the instance has the one single_domain region.</summary>
    public override string CatalogueRegionsWhenNone => "1 (single_domain)";

    public override IEnumerable<string> DescribeRegions(IommuInstance i)
    {
        var c = MtkConfig.Of(i);
        foreach (var r in c.Regions) yield return $"{r.Name} [{Hex.Of(r.Base)}, {Hex.Of(r.Last)}]";
        foreach (var (r, larbs) in c.RegionPorts)
            yield return $"{c.Regions[r].Name}: " + string.Join(", ", larbs.Select(kv => $"larb{kv.Key} {kv.Value}"));
    }

    public override IEnumerable<string> FlagNotes(IommuInstance i)
    {
        var c = MtkConfig.Of(i);
        if (c.SharesPgtableWith.Count > 0) yield return $"shares table with {string.Join(", ", c.SharesPgtableWith)}";
        if (c.HwList is { } list) yield return $"hw_list {list}" + (i.HasFlag("share-pgtable") ? " (SHARE_PGTABLE: one table for the list)" : " (no SHARE_PGTABLE: a list of its own)");
        if (c.InvSel is { } sel) yield return $"inv_sel_reg REG_MMU_INV_SEL_{sel.ToUpperInvariant()}";
    }

    public override IReadOnlyList<CompatibleEntry> Compatibles => MtkCatalogue.Entries;
    public override IReadOnlyList<SocEdit> SocEdits => MtkSocEdits.All;

    public override string DescribeBanks(IommuInstance i)
    {
        var c = MtkConfig.Of(i);
        var banks = $"{i.Banks} ({string.Join(", ", c.BanksEnabled)})";
        foreach (var (b, p) in c.BankPorts) banks += $"<br>bank{b} ports {p}";
        return banks;
    }

    /// <summary>
    /// mtk_iommu_of_xlate (mtk_iommu.c, Linux 7.0) keeps the cell as the fwspec ID, read as
    /// MTK_M4U_TO_LARB(id) = (id &gt;&gt; 5) &amp; 0x1f and MTK_M4U_TO_PORT(id) = id &amp; 0x1f
    /// (include/dt-bindings/memory/mtk-memory-port.h): a PCIe host's iommu-map names an infra port this way.
    /// </summary>
    public override DeviceId? PciId(string iommu, uint id, bool ats) => new MtkPortId(iommu, (int)(id >> 5) & 0x1f, (int)id & 0x1f);

    internal override DeviceId ReadId(MappingReader id, string iommu)
    {
        foreach (var k in new[] { "stream", "mask" })
            if (id.Has(k))
                throw YamlTree.Error(ErrorCode.BadValue, $"mediatek masters are named by larb and port, not {k} (MTK_M4U_ID(larb, port))", id.KeySpan(k));
        var larb = MappingReader.AsInt(id.Required("larb"), "larb", 0, 31);
        var port = MappingReader.AsInt(id.Required("port"), "port", 0, 31);
        return new MtkPortId(iommu, larb, port);
    }
}
