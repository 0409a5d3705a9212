using System.Globalization;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// What the Arm SMMU v2 driver reads from a device tree (drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux
/// 7.0), for `scenario import dtb`: the masters' specifiers as arm_smmu_of_xlate decodes them, and the
/// context-bank count guessed from the interrupts. Not read: the legacy `mmu-masters` binding,
/// #global-interrupts' PMU interrupts (arm_smmu_device_probe subtracts them too), the implementation
/// quirks of arm-smmu-impl.c.
/// </summary>
public sealed partial class ArmSmmuFamily
{
    /// <summary>
    /// arm_smmu_of_xlate (arm-smmu.c, Linux 7.0): fwid = FIELD_PREP(ARM_SMMU_SMR_ID, args[0]) — the stream
    /// ID, 16 bits — and FIELD_PREP(ARM_SMMU_SMR_MASK, …) of the second cell, or of the SMMU node's
    /// `stream-match-mask` when the specifier has one cell. A specifier of one or two cells is taken; the
    /// kernel would also take none (stream 0) or ignore cells past two, which the binding
    /// (#iommu-cells = 1 or 2) does not allow and the importer refuses.
    /// </summary>
    public override DeviceId? OfXlate(ReadOnlySpan<uint> args, IDtNode iommu, string name)
    {
        if (args.Length is not (1 or 2)) return null;
        uint sid = args[0] & 0xffff;
        uint mask = (args.Length == 2 ? args[1] : iommu.U32("stream-match-mask") ?? 0) & 0xffff;
        return new SmmuStreamId(name, sid, mask);
    }

    public override string WriteId(DeviceId id)
    {
        var s = (SmmuStreamId)id;
        return $"{{ iommu: {s.Iommu}, stream: 0x{s.Stream:x}{(s.Mask != 0 ? $", mask: 0x{s.Mask:x}" : "")} }}";
    }

    public override string RequiredSource(string key) => key switch
    {
        "banks" => "SMMU_IDR1.NUMCB, the context banks",
        "smrs" => "SMMU_IDR0.NUMSMRG, the stream-match registers",
        _ => base.RequiredSource(key),
    };

    /// <summary>
    /// banks and smrs are the ID registers' (arm_smmu_device_cfg_probe reads SMMU_IDR1.NUMCB and
    /// SMMU_IDR0.NUMSMRG); the tree hints at the context banks only: arm_smmu_device_probe takes
    /// num_context_irqs = interrupts − #global-interrupts, and the driver expects one context interrupt
    /// per context bank. Both are written with a warning to check the ID registers.
    /// </summary>
    public override DtInstance FromTree(IDtNode node, CompatibleEntry entry, IDtTree tree)
    {
        var keys = new List<DtKey>();
        foreach (var key in entry.Required)
            keys.Add(key switch
            {
                "banks" => Banks(node, tree),
                "smrs" => new DtKey(key, MaxSmrs.ToString(CultureInfo.InvariantCulture), $"is SMMU_IDR0.NUMSMRG on the hardware and the tree does not tell it: {MaxSmrs} (ARM_SMMU_MAX_SMRS) assumed; check the ID register"),
                _ => NotInTree(key),
            });
        return new DtInstance(keys);
    }

    private static DtKey Banks(IDtNode node, IDtTree tree)
    {
        int? irqs = InterruptCount(node, tree);
        uint global = node.U32("#global-interrupts") ?? 1;
        if (irqs is int count && count > global && count - global <= 128)
            return new DtKey("banks", (count - (int)global).ToString(CultureInfo.InvariantCulture),
                $"is SMMU_IDR1.NUMCB on the hardware: {count - global} context interrupts ({count} interrupts, #global-interrupts {global}) taken as the context-bank count; check the ID register");
        return new DtKey("banks", "8", "is SMMU_IDR1.NUMCB on the hardware and the tree does not tell it: 8 assumed; check the ID register");
    }

    /// <summary>The node's interrupts, counted in its interrupt parent's #interrupt-cells (the nearest `interrupt-parent` up the tree).</summary>
    private static int? InterruptCount(IDtNode n, IDtTree tree)
    {
        if (n.CellCount("interrupts") is not int cells) return null;
        IDtNode? parent = null;
        for (var p = n; p is not null && parent is null; p = p.Parent)
            if (p.U32("interrupt-parent") is { } ph) parent = tree.ByPhandle(ph);
        var per = parent?.U32("#interrupt-cells");
        if (per is not (>= 1 and <= 8)) return null;
        return cells / (int)per.Value;
    }
}
