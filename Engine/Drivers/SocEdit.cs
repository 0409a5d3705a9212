using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers;

/// <summary>
/// A platform change only one IOMMU family knows how to make, giving a device's firmware window an
/// IOMMU group of its own (MediaTek: a bank or an IOVA region of its own; Arm SMMU: a stream ID no other
/// master matches). `scenario advise` runs each as a strategy: the changed SoC boots, and the device's
/// driver allocates an unmanaged domain, attaches it and maps the window (docs/advise.md). Each family
/// lists its own in <see cref="IommuFamily.SocEdits"/>.
/// </summary>
public abstract class SocEdit
{
    /// <summary>The strategy's id (kebab-case): own-bank, own-region, own-stream.</summary>
    public abstract string Id { get; }
    /// <summary>One line: what the change does.</summary>
    public abstract string Title { get; }
    /// <summary>The kernel code that makes the change matter (file, function, Linux 7.0).</summary>
    public abstract string Source { get; }
    /// <summary>Why the change is not possible for this device and SoC (e.g. one bank only); null when it is.</summary>
    public abstract string? NotApplicable(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu);
    /// <summary>The SoC after the change, and the change as the user would write it.</summary>
    public abstract (Soc Soc, SocChange Change) Apply(Soc soc, DeviceSpec device, FirmwareWindow window, IommuInstance iommu);

    /// <summary>The SoC with one IOMMU instance replaced.</summary>
    protected static Soc Replace(Soc soc, IommuInstance old, IommuInstance now) =>
        soc with { Iommus = soc.Iommus.Select(i => ReferenceEquals(i, old) ? now : i).ToList() };

    /// <summary>The SoC with one device replaced.</summary>
    protected static Soc Replace(Soc soc, DeviceSpec old, DeviceSpec now) =>
        soc with { Devices = soc.Devices.Select(d => ReferenceEquals(d, old) ? now : d).ToList() };
}
