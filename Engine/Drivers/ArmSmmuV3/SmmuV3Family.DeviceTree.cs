using System.Globalization;
using System.Numerics;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// What the Arm SMMUv3 driver reads from a device tree (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c,
/// Linux 7.0), for `scenario import dtb`: one-cell stream IDs as arm_smmu_of_xlate takes them,
/// `dma-coherent` as arm_smmu_device_dt_probe reads it, and sid-bits — SMMU_IDR1.SIDSIZE, which the
/// tree does not say — wide enough for every stream ID the tree gives the SMMU. Not read:
/// `ats-supported` (the endpoints' ATS capability is not in the tree), the implementation options
/// (hisilicon,broken-prefetch-cmd, cavium,cn9900-broken-page1-regspace), the MSI and PRI queues.
/// </summary>
public sealed partial class SmmuV3Family
{
    /// <summary>
    /// arm_smmu_of_xlate (arm-smmu-v3.c, Linux 7.0): iommu_fwspec_add_ids(dev, args->args, 1), the
    /// 32-bit stream ID of the first cell. arm_smmu_device_dt_probe wants #iommu-cells = 1 (it says
    /// "invalid #iommu-cells value" otherwise), so a specifier of any other size is refused.
    /// </summary>
    public override DeviceId? OfXlate(ReadOnlySpan<uint> args, IDtNode iommu, string name) =>
        args.Length == 1 ? new SmmuV3StreamId(name, args[0]) : null;

    public override string WriteId(DeviceId id)
    {
        var s = (SmmuV3StreamId)id;
        return $"{{ iommu: {s.Iommu}, stream: 0x{s.Stream:x}{(s.Ats ? ", ats: true" : "")} }}";
    }

    public override string RequiredSource(string key) => key == "sid-bits" ? "SMMU_IDR1.SIDSIZE, the stream-ID bits" : base.RequiredSource(key);

    /// <summary>sid-bits waits for the masters; arm_smmu_device_dt_probe: of_dma_is_coherent gives ARM_SMMU_FEAT_COHERENCY (`coherent`).</summary>
    public override DtInstance FromTree(IDtNode node, CompatibleEntry entry, IDtTree tree)
    {
        var keys = entry.Required.Select(k => k == "sid-bits" ? new DtKey(k, null) : NotInTree(k)).ToList();
        if (node.Has("dma-coherent")) keys.Add(new DtKey("coherent", "true"));
        return new StreamIds(keys);
    }

    /// <summary>Collects the largest stream ID the tree gives the SMMU, for sid-bits.</summary>
    private sealed class StreamIds(IReadOnlyList<DtKey> keys) : DtInstance(keys)
    {
        private ulong _max;

        public override void Saw(DeviceId first, ulong count) =>
            _max = Math.Max(_max, ((SmmuV3StreamId)first).Stream + Math.Max(count, 1) - 1);

        /// <summary>SMMU_IDR1.SIDSIZE is the hardware's: at least 16 here, and enough for every stream ID the tree gives (at most 32).</summary>
        public override DtKey Settle(DtKey waiting)
        {
            if (waiting.Key != "sid-bits") return base.Settle(waiting);
            int bits = Math.Min(32, Math.Max(16, 64 - BitOperations.LeadingZeroCount(_max)));
            return new DtKey("sid-bits", bits.ToString(CultureInfo.InvariantCulture),
                $"is SMMU_IDR1.SIDSIZE on the hardware and the tree does not tell it: {bits} assumed (16, or enough for the largest stream ID the tree gives it, 0x{_max:x}); check the ID register");
        }
    }
}
