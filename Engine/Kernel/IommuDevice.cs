using ScenarioEngine.Pci;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// A probed bus master (struct device + dev->iommu): its group, IOMMU instance, DMA masks, and
/// the driver's per-device data (MediaTek bank and region). ProbeError is set when the IOMMU
/// driver refused the device at probe; such a device has no group (iommu_attach_device → -ENODEV).
/// </summary>
public sealed class IommuDevice
{
    public IommuDevice(DeviceSpec spec, IommuInstance iommu, IIommuDriver driver)
    {
        Spec = spec;
        Iommu = iommu;
        Driver = driver;
        DmaMask = spec.DmaMask;
        CoherentDmaMask = spec.DmaMask;
    }

    public DeviceSpec Spec { get; }
    public string Name => Spec.Name;
    public IommuInstance Iommu { get; }
    public IIommuDriver Driver { get; }
    public IommuGroup? Group { get; set; }
    public int DmaMask { get; set; }
    public int CoherentDmaMask { get; set; }
    public bool RequireDirect { get; set; }
    public bool DriverBound { get; set; }
    public Outcome ProbeError { get; set; }
    /// <summary>dev_iommu_priv_get/set: the driver's per-device state (SMMUv3's arm_smmu_master), null before probe and after release.</summary>
    public object? Priv { get; set; }
    /// <summary>The struct pci_dev this master is (the SoC's PCI topology), null for a platform master or a PCI master without a described topology.</summary>
    public PciDev? Pci { get; internal set; }
    /// <summary>Why ops->device_group put the device where it is (the driver's sentence, e.g. pci_device_group's rule), null when the driver gave none.</summary>
    public string? GroupWhy { get; internal set; }

    public override string ToString() => Name;
}
