using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// What the MediaTek M4U driver reads from a device tree (drivers/iommu/mtk_iommu.c, Linux 7.0), for
/// `scenario import dtb`: one-cell master IDs as mtk_iommu_of_xlate takes them, split into larb and
/// port as the driver does, and the `mediatek,larbs` list noted under the IOMMU. Not read: whether a
/// larb is available or probed (mtk_iommu_mm_dts_parse's device links), the SMI common nodes,
/// MTK_LARB_NR_MAX's refusal of more than 32 larbs, the `mediatek,infracfg` and `mediatek,smi`
/// phandles, the domain bits some SoCs put above the port ID.
/// </summary>
public sealed partial class MediatekFamily
{
    /// <summary>
    /// mtk_iommu_of_xlate (mtk_iommu.c, Linux 7.0): one cell (args_count != 1 is -EINVAL, "invalid
    /// #iommu-cells"), kept whole by iommu_fwspec_add_ids; the driver then reads it as
    /// MTK_M4U_TO_LARB(id) = (id &gt;&gt; 5) &amp; 0x1f and MTK_M4U_TO_PORT(id) = id &amp; 0x1f
    /// (include/dt-bindings/memory/mtk-memory-port.h).
    /// </summary>
    public override DeviceId? OfXlate(ReadOnlySpan<uint> args, IDtNode iommu, string name) =>
        args.Length == 1 ? new MtkPortId(name, (int)((args[0] >> 5) & 0x1f), (int)(args[0] & 0x1f)) : null;

    public override string WriteId(DeviceId id)
    {
        var p = (MtkPortId)id;
        return $"{{ iommu: {p.Iommu}, larb: {p.Larb}, port: {p.Port} }}";
    }

    /// <summary>
    /// The larbs of `mediatek,larbs` as comments under the instance: each larb's id is its node's
    /// `mediatek,larb-id`, or its index in the list (mtk_iommu_mm_dts_parse: "The id is consecutive if
    /// there is no this property"). A phandle that names no node is a warning.
    /// </summary>
    public override DtInstance FromTree(IDtNode node, CompatibleEntry entry, IDtTree tree)
    {
        if (node.Cells("mediatek,larbs") is { } larbs)
            for (int i = 0; i < larbs.Length; i++)
            {
                var larb = tree.ByPhandle(larbs[i]);
                var id = larb?.U32("mediatek,larb-id") ?? (uint)i;
                tree.Note($"larb{id}: {(larb is null ? $"phandle {larbs[i]} resolves to no node" : tree.Show(larb))}{(larb?.Has("mediatek,larb-id") == true ? " (mediatek,larb-id)" : " (index in mediatek,larbs)")}");
                if (larb is null) tree.Warn(node, "mediatek-larb-phandle", $"mediatek,larbs entry {i} is phandle {larbs[i]}, which no node has");
            }
        return new DtInstance(entry.Required.Select(NotInTree).ToList());
    }
}
