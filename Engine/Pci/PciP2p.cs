using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// A p2p-across-groups hazard: devices below <see cref="From"/> can send requests to devices below
/// <see cref="To"/> (on the same bus) that never reach the IOMMU, although they sit in different groups.
/// </summary>
/// <param name="Devices">Every device of a pair, in enumeration order.</param>
/// <param name="Pairs">(master, target) pairs in different groups.</param>
public sealed record P2pHazard(PciDev From, PciDev To, PciBus Bus, bool BothWays, AcsFlags Missing, IReadOnlyList<PciDev> Devices, IReadOnlyList<(PciDev Master, PciDev Target)> Pairs, string Text)
{
    public const string Kind = "p2p-across-groups";
}

/// <summary>
/// Beyond the kernel: where Linux 7.0's groups are weaker than the hardware. pci_device_group checks
/// only the path above each device (pci_acs_path_enabled), so two devices below different ports of
/// one switch (or root ports of one host bridge, or functions of one device) can sit in different
/// groups while a request from one reaches the other without passing the IOMMU. Worked out from the
/// ACS semantics (PCIe r6.0 §6.12): a request from below a port P addressed to a device below a
/// sibling Q on the same bus is routed across to Q by P unless P redirects it upstream (ACS P2P
/// Request Redirect, judged the way the kernel judges it: pci_acs_enabled(P, PCI_ACS_RR), so a
/// quirk's answer and a capability that does not advertise RR count as redirecting); functions of
/// one device reach each other inside it unless the sending function redirects; on a conventional
/// bus every device sees every transaction. Only pairs whose groups differ are hazards (same group
/// is what the kernel already assumes).
/// Not modelled: ACS Egress Control vectors at the receiving port, Direct Translated P2P with ATS, and
/// peer-to-peer between root ports through the root complex (PCIe leaves it to the implementation;
/// Linux 7.0 assumes separate root ports do not reach each other, and so does this).
/// </summary>
public static class PciP2p
{
    public const int MaxHazards = 64;

    public static List<P2pHazard> Find(PciHost host, Func<PciDev, string?> groupOf, out int omitted)
    {
        omitted = 0;
        var found = new List<P2pHazard>();
        var buses = new Stack<PciBus>();
        foreach (var root in host.RootBuses.Reverse()) buses.Push(root);
        var seen = new HashSet<(PciDev, PciDev)>();
        while (buses.Count > 0)
        {
            var bus = buses.Pop();
            for (int i = bus.Children.Count - 1; i >= 0; i--) buses.Push(bus.Children[i]);
            bool conventional = bus.IsConventional;
            foreach (var from in bus.Devices)
            {
                var rr = PciAcs.Enabled(from, AcsFlags.RR);
                if (!conventional && rr.Enabled) continue;
                var masters = Subtree(from).Where(d => !d.Function.IsBridge && groupOf(d) is not null).ToList();
                if (masters.Count == 0) continue;
                foreach (var to in bus.Devices)
                {
                    if (to == from || seen.Contains((from, to)) || !Routed(bus, from, to)) continue;
                    var pairs = new List<(PciDev, PciDev)>();
                    foreach (var target in Subtree(to).Where(d => !d.Function.IsBridge))
                        foreach (var m in masters)
                            if (groupOf(target) is { } tg && tg != groupOf(m)) pairs.Add((m, target));
                    if (pairs.Count == 0) continue;
                    // the other direction, when it is direct too, goes into the same hazard
                    bool back = conventional || !PciAcs.Enabled(to, AcsFlags.RR).Enabled && Routed(bus, to, from);
                    var backPairs = new List<(PciDev, PciDev)>();
                    if (back)
                    {
                        seen.Add((to, from));
                        foreach (var target in Subtree(from).Where(d => !d.Function.IsBridge))
                            foreach (var m in Subtree(to).Where(d => !d.Function.IsBridge && groupOf(d) is not null))
                                if (groupOf(target) is { } tg && tg != groupOf(m)) backPairs.Add((m, target));
                    }
                    if (found.Count >= MaxHazards) { omitted++; continue; }
                    var all = pairs.Concat(backPairs).ToList();
                    var devices = all.SelectMany(p => new[] { p.Item1, p.Item2 }).Distinct().OrderBy(d => d.Index).ToList();
                    var missing = conventional ? AcsFlags.None : Missing(from);
                    found.Add(new P2pHazard(from, to, bus, backPairs.Count > 0, missing, devices, all, Text(bus, from, to, conventional, rr, all, backPairs.Count > 0, groupOf)));
                }
            }
        }
        return found;
    }

    /// <summary>
    /// Whether the PCIe bus routes a request from below <paramref name="from"/> to <paramref name="to"/> at all:
    /// across a switch's internal bus (any two ports), inside one device (functions of one slot);
    /// between root ports only through the root complex, which is not modelled (PCIe leaves it to the
    /// implementation, and Linux 7.0 assumes separate root ports do not reach each other).
    /// </summary>
    private static bool Routed(PciBus bus, PciDev from, PciDev to) =>
        bus.IsConventional || !bus.IsRoot || from.Address.Slot == to.Address.Slot;

    /// <summary>The device itself and, for a bridge, everything below it (enumeration order).</summary>
    public static IEnumerable<PciDev> Subtree(PciDev dev)
    {
        yield return dev;
        if (dev.Subordinate is null) yield break;
        var stack = new Stack<PciBus>();
        stack.Push(dev.Subordinate);
        var below = new List<PciDev>();
        while (stack.Count > 0)
        {
            var b = stack.Pop();
            below.AddRange(b.Devices);
            foreach (var c in b.Children) stack.Push(c);
        }
        foreach (var d in below.OrderBy(d => d.Index)) yield return d;
    }

    /// <summary>REQ_ACS_FLAGS the port does not provide, each asked of pci_acs_enabled on its own.</summary>
    public static AcsFlags Missing(PciDev port)
    {
        var missing = AcsFlags.None;
        foreach (var f in new[] { AcsFlags.SV, AcsFlags.RR, AcsFlags.CR, AcsFlags.UF })
            if (!PciAcs.Enabled(port, f).Enabled) missing |= f;
        return missing;
    }

    private static string Text(PciBus bus, PciDev from, PciDev to, bool conventional, PciAcs.Answer rr, List<(PciDev, PciDev)> pairs, bool both, Func<PciDev, string?> groupOf)
    {
        static string Dev(PciDev d, Func<PciDev, string?> g) => $"{d.Name} ({g(d)})";
        var shown = pairs.Take(4).Select(p => $"{Dev(p.Item1, groupOf)} → {Dev(p.Item2, groupOf)}").ToList();
        if (pairs.Count > 4) shown.Add($"… {pairs.Count - 4} more");
        string route;
        if (conventional)
            route = $"on the conventional PCI bus {bus} every device sees every transaction";
        else if (from.Address.Slot == to.Address.Slot && !from.Function.IsBridge)
            route = $"{from.Name} and {to.Name} are functions of one device and {from.Name} does not redirect peer requests upstream: {rr.Why}";
        else if (from.Address.Slot == to.Address.Slot)
            route = $"{from.Name} and {to.Name} are functions of one device and {from.Name} ({from.Type.Words()}) does not redirect requests from below upstream: {rr.Why}";
        else
            route = $"{from.Name} ({from.Type.Words()}) routes requests from below straight across bus {bus} to {to.Name} instead of redirecting them upstream: {rr.Why}";
        var missing = conventional ? "" : $"; missing at {from.Name}: {AcsFlagNames.Text(Missing(from))}";
        return $"{string.Join(", ", shown)} peer-to-peer without the IOMMU{(both ? " (both ways)" : "")}: {route}{missing}. pci_device_group (drivers/iommu/iommu.c, Linux 7.0) checks only the path above each device, so their groups differ";
    }
}
