using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// Whether a device provides the ACS controls a caller asks for (drivers/pci/pci.c, Linux 7.0):
/// pci_acs_enabled (a device-specific quirk decides first; conventional functions, PCIe-to-PCI and
/// PCI-to-PCIe bridges and RC event collectors never count as isolated; Root and Downstream Ports
/// need the flags; Endpoints, Upstream Ports, legacy and RC-integrated endpoints only when they are
/// multifunction; anything else counts as isolated), pci_acs_flags_enabled (flags the ACS capability
/// does not advertise count as hard-wired on, except egress control) and pci_acs_path_enabled (every
/// device from a start up to the root bus). Each answer comes with the reason the report prints.
/// </summary>
public static class PciAcs
{
    public const string Src = "drivers/pci/pci.c, Linux 7.0";

    /// <summary>One answer of pci_acs_enabled and why ("Root Port, ACS Control lacks RR CR").</summary>
    public readonly record struct Answer(bool Enabled, string Why);

    /// <summary>pci_acs_flags_enabled: needs the ACS capability; the flags it advertises (and EC) must be set in ACS Control.</summary>
    public static Answer FlagsEnabled(PciDev dev, AcsFlags flags)
    {
        if (dev.AcsCap is not { } cap)
            return new(false, "no ACS capability");
        var asked = flags & (cap | AcsFlags.EC);
        var missing = asked & ~dev.AcsCtrl;
        if (missing == AcsFlags.None)
        {
            var hardwired = flags & ~cap & ~AcsFlags.EC;
            return new(true, $"ACS Control has {AcsFlagNames.Text(asked)}" + (hardwired != AcsFlags.None ? $" ({AcsFlagNames.Text(hardwired)} not in the capability: taken as hard-wired on)" : ""));
        }
        return new(false, $"ACS Control lacks {AcsFlagNames.Text(missing)} (capability {AcsFlagNames.Text(cap)}, control {AcsFlagNames.Text(dev.AcsCtrl)})");
    }

    /// <summary>pci_acs_enabled(pdev, acs_flags).</summary>
    public static Answer Enabled(PciDev dev, AcsFlags flags)
    {
        int q = PciAcsQuirks.SpecificAcsEnabled(dev, flags, out var quirk);
        if (q >= 0)
            return new(q > 0, $"{quirk} ({PciAcsQuirks.Src}) says {(q > 0 ? "the controls are provided" : "they are not")}");
        if (!dev.IsPcie)
            return new(false, "conventional PCI: never isolated (a shared bus)");
        switch (dev.Type)
        {
            case PciType.PciToPcieBridge:
            case PciType.PcieToPciBridge:
            case PciType.RcEventCollector:
                return new(false, $"a {dev.Type.Words()} never counts as isolated");
            case PciType.DownstreamPort:
            case PciType.RootPort:
                var a = FlagsEnabled(dev, flags);
                return a with { Why = $"{dev.Type.Words()}: {a.Why}" };
            case PciType.Endpoint:
            case PciType.UpstreamPort:
            case PciType.LegacyEndpoint:
            case PciType.RcEndpoint:
                if (!dev.Multifunction) return new(true, $"single-function {dev.Type.Words()}: no ACS needed");
                var m = FlagsEnabled(dev, flags);
                return m with { Why = $"multifunction {dev.Type.Words()}: {m.Why}" };
        }
        return new(true, $"{dev.Type.Words()}: no ACS applies");
    }

    /// <summary>
    /// pci_acs_path_enabled(start, NULL, flags): every device from <paramref name="start"/> up to the
    /// one on the root bus. On failure, the device that lacked the flags and why.
    /// </summary>
    public static (bool Enabled, PciDev? FailedAt, string Why) PathEnabled(PciDev start, AcsFlags flags)
    {
        var dev = start;
        while (true)
        {
            var a = Enabled(dev, flags);
            if (!a.Enabled) return (false, dev, a.Why);
            if (dev.Bus.IsRoot) return (true, null, "");
            dev = dev.Bus.Self!;
        }
    }
}
