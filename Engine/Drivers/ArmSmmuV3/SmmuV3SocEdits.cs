using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// The device-tree change that gives an SMMUv3 master its IOMMU back when it shares a stream ID with
/// another platform master: arm_smmu_insert_master refuses the second master of a stream ID
/// ("Aliasing StreamID … unsupported", -ENODEV), so the fix is a stream ID of its own, inside the stream
/// table (arm_smmu_sid_in_range). A master whose stream ID is its own already has a group of its own
/// (generic_device_group), and the change is none.
/// </summary>
internal static class SmmuV3SocEdits
{
    public static readonly IReadOnlyList<SocEdit> All = [new OwnStream()];

    private sealed class OwnStream : SocEdit
    {
        public override string Id => "own-stream";
        public override string Title => "the device given a stream ID no other master matches";
        public override string Source => "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_insert_master, arm_smmu_device_group (read in 6.18.y)";

        private static HashSet<uint> OthersIds(Soc soc, DeviceSpec device, IommuInstance iommu) =>
            soc.Devices.Where(d => !ReferenceEquals(d, device)).SelectMany(d => d.Ids.OfType<SmmuV3StreamId>()).Where(id => id.Iommu == iommu.Name).Select(id => id.Stream).ToHashSet();

        /// <summary>The lowest stream ID above every other master's, else the lowest free one, inside the table.</summary>
        private static uint? FreeStream(HashSet<uint> others, ulong covered)
        {
            ulong start = others.Count == 0 ? 0 : (ulong)others.Max() + 1;
            for (ulong s = start; s < covered && s - start < 0x10000; s++)
                if (!others.Contains((uint)s)) return (uint)s;
            for (ulong s = 0; s < start && s < covered && s < 0x10000; s++)
                if (!others.Contains((uint)s)) return (uint)s;
            return null;
        }

        public override string? NotApplicable(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu) =>
            device.Pci is not null ? PciMaster
            : FreeStream(OthersIds(soc, device, iommu), SmmuV3Config.Of(iommu).Covered) is null ? $"no stream ID of {iommu.Name}'s table is free" : null;

        /// <summary>A PCI function's stream IDs are its requester IDs through the host bridge's iommu-map, and pci_device_group decides its group.</summary>
        internal const string PciMaster = "a PCI function's stream IDs are its requester IDs through its host bridge's iommu-map (of_map_id), and pci_device_group decides its group: acs-isolation is the change for it";

        public override (Soc Soc, SocChange Change) Apply(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu)
        {
            var others = OthersIds(soc, device, iommu);
            var mine = device.Ids.OfType<SmmuV3StreamId>().Where(id => id.Iommu == iommu.Name).ToList();
            if (mine.Count > 0 && !mine.Any(m => others.Contains(m.Stream)))
                return (soc, SocChange.Runtime($"no other master of {iommu.Name} has {device.Name}'s stream ID(s) {string.Join(", ", mine.Select(m => Hex.Of(m.Stream)))}"));
            uint s = FreeStream(others, SmmuV3Config.Of(iommu).Covered)!.Value;
            var id = new SmmuV3StreamId(iommu.Name, s);
            var changed = device with { Ids = device.Ids.Where(i => i.Iommu != iommu.Name).Append(id).ToList() };
            var diff = new List<string>
            {
                " devices:", $"   - name: {device.Name}",
                $"-    ids: [{string.Join(", ", mine.Select(Yaml))}]",
                $"+    ids: [{Yaml(id)}]",
            };
            return (Replace(soc, device, changed), new SocChange(ChangeKind.DeviceTree,
                $"{device.Name}'s iommus = <&{iommu.Name} {Hex.Of(s)}> (a stream ID the interconnect must give it) instead of {string.Join(", ", mine.Select(m => Hex.Of(m.Stream)))}, which another master has",
                diff));
        }

        private static string Yaml(SmmuV3StreamId id) => $"{{ iommu: {id.Iommu}, stream: {Hex.Of(id.Stream)}" + (id.Ats ? ", ats: true }" : " }");
    }
}
