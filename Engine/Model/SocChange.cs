namespace ScenarioEngine.Model;

/// <summary>What a way of reaching a firmware window asks of the platform besides runtime calls (docs/advise.md, changes).</summary>
public enum ChangeKind
{
    /// <summary>Only calls a driver makes at run time.</summary>
    None,
    /// <summary>The kernel command line (iommu.passthrough=1).</summary>
    KernelCommandLine,
    /// <summary>The board's or SoC's device tree.</summary>
    DeviceTree,
    /// <summary>The IOMMU driver's platform data (drivers/iommu/…), i.e. a kernel patch.</summary>
    PlatformData,
    /// <summary>The hardware itself (a PCIe port or device with the ACS capability): another board or card.</summary>
    Hardware,
}

/// <summary>
/// A change to the platform, as the user would make it: its kind, one sentence, and the SoC file's
/// lines before and after as a diff (' ' context, '-' removed, '+' added; empty when nothing changes).
/// </summary>
public sealed record SocChange(ChangeKind Kind, string Summary, IReadOnlyList<string> Diff)
{
    /// <summary>No change to the platform: only runtime calls, or what the platform already has.</summary>
    public static SocChange Runtime(string summary) => new(ChangeKind.None, summary, []);

    public string KindName => Kind switch
    {
        ChangeKind.None => "no change",
        ChangeKind.KernelCommandLine => "kernel command line",
        ChangeKind.DeviceTree => "device tree",
        ChangeKind.Hardware => "hardware",
        _ => "platform data",
    };
}
