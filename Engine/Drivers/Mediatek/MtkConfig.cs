using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// What a MediaTek instance's YAML holds beyond the common keys (struct mtk_iommu_plat_data and the
/// DT, drivers/iommu/mtk_iommu.c, Linux 7.0): the banks enabled (banks_enable), each bank's port
/// mask (bank_portmsk), the IOVA regions (iova_region) and the larb ports each one serves
/// (iova_region_larb_msk), the instances sharing one page table (SHARE_PGTABLE on a hw_list), and
/// larbid_remap.
/// </summary>
public sealed record MtkConfig(
    IReadOnlyList<int> BanksEnabled,
    IReadOnlyDictionary<int, PortSet> BankPorts,
    IReadOnlyList<IovaRegion> Regions,
    IReadOnlyDictionary<int, IReadOnlyDictionary<int, PortSet>> RegionPorts,
    IReadOnlyList<string> SharesPgtableWith) : FamilyConfig
{
    /// <summary>
    /// larbid_remap[common][sub-common] → larb, used to decode the fault INT_ID register (YAML
    /// <c>larbid-remap</c>, a list per common id). Null: linear (common id i → larb i).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>>? LarbIdRemap { get; init; }

    /// <summary>
    /// plat_data->hw_list (YAML <c>hw-list</c>: m4ulist, apulist or infralist): mtk_iommu_probe adds a
    /// SHARE_PGTABLE instance to it, so every SHARE_PGTABLE instance on the same list shares one table.
    /// Null: the plat_data names none.
    /// </summary>
    public string? HwList { get; init; }

    /// <summary>plat_data->inv_sel_reg (YAML <c>inv-sel</c>: gen1 = REG_MMU_INV_SEL_GEN1 0x038, gen2 = REG_MMU_INV_SEL_GEN2 0x02c); recorded and reported, the register write itself is not modelled.</summary>
    public string? InvSel { get; init; }

    /// <summary>The hw_list names plat_data uses (mtk_iommu.c: LIST_HEAD(apulist), infralist, m4ulist).</summary>
    public static readonly string[] HwLists = ["m4ulist", "apulist", "infralist"];

    /// <summary>The invalidation-select registers (inv_sel_reg).</summary>
    public static readonly string[] InvSels = ["gen1", "gen2"];

    /// <summary>The MediaTek part of an instance this family loaded.</summary>
    public static MtkConfig Of(IommuInstance inst) => (MtkConfig)inst.Config;

    /// <summary>
    /// mtk_iommu_get_iova_region_id (drivers/iommu/mtk_iommu.c, Linux 7.0): with one region, region 0;
    /// else the first region whose larb mask (of the first specifier's larb) holds all the master's
    /// ports; null when none does (the driver's -EINVAL).
    /// </summary>
    internal static int? RegionOf(IommuInstance inst, IReadOnlyList<DeviceId> ids)
    {
        var c = Of(inst);
        if (c.Regions.Count == 1) return 0;
        int larb = ((MtkPortId)ids[0]).Larb;
        ulong portmsk = 0;
        foreach (MtkPortId id in ids) portmsk |= 1UL << id.Port;
        for (int i = 0; i < c.Regions.Count; i++)
            if (c.RegionPorts.TryGetValue(i, out var larbs) && larbs.TryGetValue(larb, out var ports) && ports.ContainsAll(portmsk))
                return i;
        return null;
    }

    /// <summary>
    /// mtk_iommu_get_bank_id (drivers/iommu/mtk_iommu.c, Linux 7.0): the first enabled bank whose
    /// banks_portmsk meets the master's ports (port numbers only, whatever the larb); else bank 0.
    /// </summary>
    internal static int BankOf(IommuInstance inst, IEnumerable<DeviceId> ids)
    {
        if (inst.Banks == 1) return 0;
        ulong portmsk = 0;
        foreach (MtkPortId id in ids) portmsk |= 1UL << id.Port;
        var c = Of(inst);
        for (int i = 0; i < inst.Banks; i++)
        {
            if (!c.BanksEnabled.Contains(i)) continue;
            if (c.BankPorts.TryGetValue(i, out var ports) && ports.Intersects(portmsk)) return i;
        }
        return 0;
    }

    /// <summary>A port list: integers and "a-b" ranges, or the word "all" (ports are 5 bits: MTK_M4U_TO_PORT).</summary>
    internal static PortSet ReadPorts(YamlNode node, string what)
    {
        if (node is YamlScalar { Value: "all", Quoted: false }) return PortSet.Everything;
        ulong mask = 0;
        foreach (var item in MappingReader.AsList(node, what))
        {
            if (item is not YamlScalar s)
                throw YamlTree.Error(ErrorCode.WrongType, $"'{what}': a port is a number or a range like 0-7", item.Span);
            var dash = s.Value.IndexOf('-', StringComparison.Ordinal);
            ulong lo, hi;
            if (dash > 0)
            {
                if (!Numbers.TryParse(s.Value[..dash], out lo) || !Numbers.TryParse(s.Value[(dash + 1)..], out hi) || hi < lo)
                    throw YamlTree.Error(ErrorCode.BadNumber, $"'{what}': '{s.Value}' is not a port range like 0-7", s.Span);
            }
            else if (!Numbers.TryParse(s.Value, out lo))
                throw YamlTree.Error(ErrorCode.BadNumber, $"'{what}': '{s.Value}' is not a port number", s.Span);
            else hi = lo;
            if (hi >= 32)
                throw YamlTree.Error(ErrorCode.OutOfRange, $"'{what}': port {hi} is out of range 0..31 (MTK_M4U_TO_PORT is 5 bits)", s.Span);
            for (var p = lo; p <= hi; p++) mask |= 1UL << (int)p;
        }
        return new PortSet(mask, false);
    }
}
