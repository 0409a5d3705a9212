using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// Device traffic (issue: device traffic, IOTLBs, faults): dev:stream over a mapped 64 KiB buffer whose
/// 16 pages all stay in the bank's IOTLB, so every access is an IOTLB hit. Target: at least 100 million
/// translations per second. The "physical limit" row is a plain array lookup loop of the same shape.
/// </summary>
internal static class TrafficBench
{
    private const long Accesses = 50_000_000;

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
    [
        ("stream: IOTLB-hit translations", Hits),
        ("stream: physical limit, plain array lookups", PlainLoop),
    ];

    private static BenchCommand.Figure Hits()
    {
        var core = BenchSoc.Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: dev, ids: [ { iommu: m4u, larb: 0, port: 0 } ] }\n");
        var dev = core.Devices[0];
        core.Map(dev.Group!.DefaultDomain!, 0x1000_0000, 0x4000_0000, 0x10000, Prot.Read | Prot.Write);
        DeviceAccess.StreamResult r = default;
        var ns = BenchCommand.Measure(3, Accesses, () => { }, () => r = DeviceAccess.Stream(core, dev, 0x1000_0000, 0x10000, 64, Accesses, false));
        if (r.Hits != Accesses) throw new InvalidOperationException($"expected only hits, got {r}");
        return new("stream: IOTLB-hit translations", ns, Accesses, "≥ 100 M translations/s (≤ 10 ns)", 10);
    }

    private static BenchCommand.Figure PlainLoop()
    {
        var table = new ulong[16];
        for (int i = 0; i < 16; i++) table[i] = 0x4000_0000UL + ((ulong)i << 12);
        ulong sink = 0;
        var ns = BenchCommand.Measure(3, Accesses, () => { }, () => sink += Lookups(table, Accesses));
        GC.KeepAlive(sink);
        return new("stream: physical limit, plain array lookups", ns, Accesses, "the floor the hit path is compared with", null);
    }

    /// <summary>
    /// The floor: the hit path's arithmetic without the IOTLB, compiled fully optimised at once so the
    /// figure is the loop's and not the tiering's (kernel figures are normalised by a C loop at -O2).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static ulong Lookups(ulong[] table, long count)
    {
        ulong offset = 0, s = 0;
        for (long k = 0; k < count; k++)
        {
            ulong at = 0x1000_0000 + offset;
            offset = (offset + 64) & 0xffff;
            s += table[(at >> 12) & 15] | (at & 0xfff);
        }
        return s;
    }
}
