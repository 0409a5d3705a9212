using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// The device-tree change that gives an Arm SMMU master an IOMMU group of its own: a stream ID no
/// other master's stream and SMR mask match (arm_smmu_device_group, drivers/iommu/arm/arm-smmu/arm-smmu.c,
/// Linux 7.0, finds a master's group through the stream-map entries it shares). On real hardware the
/// stream ID is what the interconnect gives the master, so the change is as much the SoC's as the DT's.
/// </summary>
internal static class SmmuSocEdits
{
    public static readonly IReadOnlyList<SocEdit> All = [new OwnStream()];

    private sealed class OwnStream : SocEdit
    {
        public override string Id => "own-stream";
        public override string Title => "the device given a stream ID no other master matches";
        public override string Source => "drivers/iommu/arm/arm-smmu/arm-smmu.c arm_smmu_device_group, arm_smmu_master_alloc_smes (Linux 7.0)";

        /// <summary>Whether SMR (id, mask) matches stream <paramref name="s"/>.</summary>
        private static bool Matches(SmmuStreamId smr, uint s) => ((smr.Stream ^ s) & ~smr.Mask & 0xffff) == 0;

        private static bool Overlap(SmmuStreamId a, SmmuStreamId b) => ((a.Stream ^ b.Stream) & ~(a.Mask | b.Mask) & 0xffff) == 0;

        private static List<SmmuStreamId> OthersIds(Soc soc, DeviceSpec device, IommuInstance iommu) =>
            soc.Devices.Where(d => !ReferenceEquals(d, device)).SelectMany(d => d.Ids.OfType<SmmuStreamId>()).Where(id => id.Iommu == iommu.Name).ToList();

        private static uint? FreeStream(List<SmmuStreamId> others)
        {
            uint start = others.Count == 0 ? 0 : others.Max(o => o.Stream | o.Mask) + 1;
            for (uint s = start; s <= 0xffff; s++)
                if (!others.Any(o => Matches(o, s))) return s;
            for (uint s = 0; s < start && s <= 0xffff; s++)
                if (!others.Any(o => Matches(o, s))) return s;
            return null;
        }

        public override string? NotApplicable(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu) =>
            device.Pci is not null ? "a PCI function's stream IDs are its requester IDs through its host bridge's iommu-map (of_map_id), and pci_device_group decides its group: acs-isolation is the change for it"
            : FreeStream(OthersIds(soc, device, iommu)) is null ? $"every 16-bit stream ID is matched by another master of {iommu.Name}" : null;

        public override (Soc Soc, SocChange Change) Apply(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu)
        {
            var others = OthersIds(soc, device, iommu);
            var mine = device.Ids.OfType<SmmuStreamId>().Where(id => id.Iommu == iommu.Name).ToList();
            if (mine.Count > 0 && !mine.Any(m => others.Any(o => Overlap(m, o))))
                return (soc, SocChange.Runtime($"no other master of {iommu.Name} matches {device.Name}'s stream ID(s) {string.Join(", ", mine.Select(Show))}"));
            uint s = FreeStream(others)!.Value;
            var id = new SmmuStreamId(iommu.Name, s, 0);
            var changed = device with { Ids = device.Ids.Where(i => i.Iommu != iommu.Name).Append(id).ToList() };
            var diff = new List<string>
            {
                " devices:", $"   - name: {device.Name}",
                $"-    ids: [{string.Join(", ", mine.Select(Yaml))}]",
                $"+    ids: [{Yaml(id)}]",
            };
            return (Replace(soc, device, changed), new SocChange(ChangeKind.DeviceTree,
                $"{device.Name}'s iommus = <&{iommu.Name} {Hex.Of(s)}> (a stream ID the interconnect must give it) instead of {string.Join(", ", mine.Select(Show))}, shared with other masters",
                diff));
        }

        private static string Show(SmmuStreamId id) => id.Mask == 0 ? Hex.Of(id.Stream) : $"{Hex.Of(id.Stream)}/{Hex.Of(id.Mask)}";
        private static string Yaml(SmmuStreamId id) => $"{{ iommu: {id.Iommu}, stream: {Hex.Of(id.Stream)}" + (id.Mask == 0 ? " }" : $", mask: {Hex.Of(id.Mask)} }}");
    }
}
