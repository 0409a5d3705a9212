using System.Globalization;
using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>What of_map_id made of one requester ID: the target (null: no entry matched), the ID it maps to, and the errno when it failed.</summary>
public readonly record struct IdMapResult(int Errno, string? Target, uint Id, string Why);

/// <summary>
/// of_map_id (drivers/of/base.c, Linux 7.0) for a host bridge's iommu-map or msi-map: the ID is
/// masked with the -mask property (0xffffffff when absent); the first entry whose
/// [rid-base, rid-base + length) holds it gives target and out-base + (id − rid-base); an entry whose
/// rid-base has bits outside the mask is -EFAULT when the walk reaches it; no map at all is -ENODEV
/// when a target is wanted; no matching entry "bypasses translation": the ID unchanged and no
/// target, which of_iommu_xlate then refuses (-ENODEV: the device has no IOMMU).
/// </summary>
public static class OfIdMap
{
    public const int Enodev = 19, Efault = 14;

    public static IdMapResult Map(IReadOnlyList<IdMapEntry> map, uint? maskProp, uint id, string mapName)
    {
        if (map.Count == 0)
            return new(Enodev, null, id, $"the host bridge has no {mapName}");
        uint mask = maskProp ?? 0xffffffff;
        uint masked = mask & id;
        foreach (var e in map)
        {
            if ((e.RidBase & ~mask) != 0)
                return new(Efault, null, id, $"Invalid {mapName} translation - {mapName}-mask (0x{mask:x}) ignores id-base (0x{e.RidBase:x})");
            if (masked < e.RidBase || (ulong)masked >= (ulong)e.RidBase + e.Length) continue;
            uint output = unchecked(masked - e.RidBase + e.OutBase);
            return new(0, e.Target, output, $"{mapName} entry <0x{e.RidBase:x} &{e.Target} 0x{e.OutBase:x} 0x{e.Length:x}>"
                + (mask != 0xffffffff ? $" after {mapName}-mask 0x{mask:x} (id 0x{masked:x})" : ""));
        }
        return new(0, null, id, $"no {mapName} translation for id 0x{id.ToString("x", CultureInfo.InvariantCulture)}");
    }
}
