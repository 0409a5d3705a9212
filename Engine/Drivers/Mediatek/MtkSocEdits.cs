using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// The two platform-data changes that give a MediaTek master an IOMMU group of its own
/// (mtk_iommu_device_group, drivers/iommu/mtk_iommu.c, Linux 7.0: group id = bank ≠ 0 ? bank : IOVA
/// region): its ports in a bank of their own (banks_enable, banks_portmsk: mtk_iommu_get_bank_id) or
/// in an IOVA region of their own that covers the firmware window (iova_region, iova_region_larb_msk:
/// mtk_iommu_get_iova_region_id). Neither gives the master a page table of its own: every domain of a
/// hw_list shares the first one's (mtk_iommu_domain_finalise), which the advice's runs show.
/// </summary>
internal static class MtkSocEdits
{
    public static readonly IReadOnlyList<SocEdit> All = [new OwnBank(), new OwnRegion()];

    /// <summary>The ports of a master as one mask (ports are 5 bits: MTK_M4U_TO_PORT).</summary>
    private static ulong PortMask(DeviceSpec d) => d.Ids.OfType<MtkPortId>().Aggregate(0UL, (m, id) => m | 1UL << id.Port);

    /// <summary>A port set without the given ports ("all" becomes the 32 ports a larb has, minus them).</summary>
    private static PortSet Without(PortSet set, ulong ports) => new((set.All ? 0xffff_ffffUL : set.Mask) & ~ports, false);

    /// <summary>The plat_data the instance came from ("mt8365_data"), or a description of the hand-written one.</summary>
    private static string PlatData(IommuInstance inst) =>
        inst.Compatible?.Source is { } src && src.LastIndexOf(": ", StringComparison.Ordinal) is var i and >= 0 ? src[(i + 2)..] : $"{inst.Name}'s plat_data";


    private static string Ports(IReadOnlyDictionary<int, PortSet> banks) =>
        "{ " + string.Join(", ", banks.OrderBy(b => b.Key).Select(b => $"{b.Key}: {b.Value}")) + " }";

    private static string Regions(IEnumerable<IovaRegion> regions) =>
        "[" + string.Join(", ", regions.Select(r => $"{{ name: {r.Name}, base: {Hex.Of(r.Base)}, size: {Hex.Of(r.Size)} }}")) + "]";

    private static string RegionPorts(IReadOnlyList<IovaRegion> regions, IReadOnlyDictionary<int, IReadOnlyDictionary<int, PortSet>> ports) =>
        "{ " + string.Join(", ", ports.OrderBy(p => p.Key).Select(p => $"{regions[p.Key].Name}: {{ " +
            string.Join(", ", p.Value.OrderBy(l => l.Key).Select(l => $"larb{l.Key}: {l.Value}")) + " }")) + " }";

    private static string Header(IommuInstance inst) => inst.Compatible is { } c ? $"  - name: {inst.Name}   # compatible {c.Compatible}" : $"  - name: {inst.Name}";

    /// <summary>The master's specifiers on this instance.</summary>
    private static List<DeviceId> Mine(DeviceSpec d, IommuInstance inst) => d.Ids.Where(id => id.Iommu == inst.Name).ToList();

    /// <summary>Every master on this instance other than <paramref name="device"/>.</summary>
    private static IEnumerable<DeviceSpec> Others(Soc soc, DeviceSpec device, IommuInstance inst) =>
        soc.Devices.Where(d => !ReferenceEquals(d, device) && d.Ids.Any(id => id.Iommu == inst.Name));

    private sealed class OwnBank : SocEdit
    {
        public override string Id => "own-bank";
        public override string Title => "the device's ports moved to a free bank of their own";
        public override string Source => "drivers/iommu/mtk_iommu.c mtk_iommu_get_bank_id, mtk_iommu_device_group (Linux 7.0)";

        public override string? NotApplicable(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu) =>
            iommu.Banks == 1 ? $"{iommu.Name} has one bank (banks_num 1 in {PlatData(iommu)}): there is no other bank for {device.Name}'s ports"
            : FreeBank(soc, device, iommu) is null ? $"every bank of {iommu.Name} but 0 already serves other masters" : null;

        /// <summary>The lowest bank above 0 no other master of the instance lands in (mtk_iommu_get_bank_id on today's masks).</summary>
        private static int? FreeBank(Soc soc, DeviceSpec device, IommuInstance iommu)
        {
            var used = Others(soc, device, iommu).Select(d => MtkConfig.BankOf(iommu, Mine(d, iommu))).ToHashSet();
            for (int b = 1; b < iommu.Banks; b++)
                if (!used.Contains(b)) return b;
            return null;
        }

        public override (Soc Soc, SocChange Change) Apply(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu)
        {
            var c = MtkConfig.Of(iommu);
            int now = MtkConfig.BankOf(iommu, Mine(device, iommu));
            if (now != 0 && !Others(soc, device, iommu).Any(d => MtkConfig.BankOf(iommu, Mine(d, iommu)) == now))
                return (soc, SocChange.Runtime($"{device.Name}'s ports already have bank {now} to themselves (banks_portmsk of {PlatData(iommu)})"));
            int bank = FreeBank(soc, device, iommu)!.Value;
            ulong mine = PortMask(device);
            var ports = c.BankPorts.Where(b => b.Key != bank).ToDictionary(b => b.Key, b => Without(b.Value, mine));
            ports[bank] = new PortSet(mine, false);
            var enabled = c.BanksEnabled.Append(bank).Distinct().Order().ToList();
            var changed = iommu with { Config = c with { BankPorts = ports, BanksEnabled = enabled } };
            var diff = new List<string> { " iommus:", " " + Header(iommu) };
            if (!c.BanksEnabled.Contains(bank))
            {
                diff.Add($"-    banks-enabled: [{string.Join(", ", c.BanksEnabled)}]");
                diff.Add($"+    banks-enabled: [{string.Join(", ", enabled)}]");
            }
            diff.Add($"-    bank-ports: {Ports(c.BankPorts)}");
            diff.Add($"+    bank-ports: {Ports(ports)}");
            return (Replace(soc, iommu, changed), new SocChange(ChangeKind.PlatformData,
                $"{PlatData(iommu)}: bank {bank} enabled (banks_enable) with {device.Name}'s ports {new PortSet(mine, false)} in its banks_portmsk, and those ports taken out of the other banks' masks",
                diff));
        }
    }

    private sealed class OwnRegion : SocEdit
    {
        public override string Id => "own-region";
        public override string Title => "a dedicated IOVA region covering the window for the device's ports";
        public override string Source => "drivers/iommu/mtk_iommu.c mtk_iommu_get_iova_region_id, mtk_iommu_device_group, mtk_iommu_get_resv_regions (Linux 7.0)";

        public override string? NotApplicable(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu) =>
            iommu.Ias < 64 && window.Iova + window.Size > 1UL << iommu.Ias
                ? $"the window ends above {iommu.Name}'s {iommu.Ias}-bit IOVA space: no region can cover it" : null;

        public override (Soc Soc, SocChange Change) Apply(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu)
        {
            var c = MtkConfig.Of(iommu);
            if (c.Regions.Count > 1 && MtkConfig.RegionOf(iommu, Mine(device, iommu)) is { } now && now != 0 && c.Regions[now] is var r
                && r.Base <= window.Iova && window.Iova + window.Size - 1 <= r.Last
                && !Others(soc, device, iommu).Any(d => MtkConfig.RegionOf(iommu, Mine(d, iommu)) == now))
                return (soc, SocChange.Runtime($"{device.Name}'s ports already have region '{r.Name}' [{Hex.Of(r.Base)}, {Hex.Of(r.Last)}] to themselves, and it covers the window"));
            var name = device.Name + "-fw";
            while (c.Regions.Any(r => r.Name == name)) name += "'";
            var regions = c.Regions.Append(new IovaRegion(name, window.Iova, window.Size, device.Span)).ToList();
            ulong mine = PortMask(device);
            var myLarbs = device.Ids.OfType<MtkPortId>().Where(id => id.Iommu == iommu.Name).Select(id => id.Larb).ToHashSet();
            Dictionary<int, IReadOnlyDictionary<int, PortSet>> ports;
            if (c.RegionPorts.Count == 0)
            {
                // One region served every port; now it serves every port of every larb in use but the device's.
                var larbs = soc.Devices.SelectMany(d => d.Ids.OfType<MtkPortId>()).Where(id => id.Iommu == iommu.Name).Select(id => id.Larb).Distinct().Order();
                ports = new() { [0] = larbs.ToDictionary(l => l, l => myLarbs.Contains(l) ? Without(PortSet.Everything, mine) : PortSet.Everything) };
            }
            else
                ports = c.RegionPorts.ToDictionary(r => r.Key, r => (IReadOnlyDictionary<int, PortSet>)r.Value.ToDictionary(l => l.Key, l => myLarbs.Contains(l.Key) ? Without(l.Value, mine) : l.Value));
            ports[regions.Count - 1] = myLarbs.Order().ToDictionary(l => l, _ => new PortSet(mine, false));
            var changed = iommu with { Config = c with { Regions = regions, RegionPorts = ports } };
            var diff = new List<string>
            {
                " iommus:", " " + Header(iommu),
                $"-    regions: {Regions(c.Regions)}",
                $"+    regions: {Regions(regions)}",
            };
            if (c.RegionPorts.Count > 0) diff.Add($"-    region-ports: {RegionPorts(c.Regions, c.RegionPorts)}");
            diff.Add($"+    region-ports: {RegionPorts(regions, ports)}");
            return (Replace(soc, iommu, changed), new SocChange(ChangeKind.PlatformData,
                $"{PlatData(iommu)}: an IOVA region '{name}' [{Hex.Of(window.Iova)}, +{Hex.Of(window.Size)}) in iova_region, with {device.Name}'s ports in its iova_region_larb_msk and out of the other regions'",
                diff));
        }
    }
}
