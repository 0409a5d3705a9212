namespace ScenarioEngine.Kernel;

/// <summary>
/// struct iommu_group (drivers/iommu/iommu.c, Linux 7.0): devices, default/current/blocking domain,
/// DMA ownership (owner cookie, owner_cnt). Numbered in creation order ("group0").
/// Not modelled: PASID attachments, the PCI reset state, sysfs.
/// </summary>
public sealed class IommuGroup
{
    public IommuGroup(int id, GroupKey key)
    {
        Id = id;
        Key = key;
    }

    public int Id { get; }
    public GroupKey Key { get; }
    public string Name => $"group{Id}";
    public List<IommuDevice> Devices { get; } = new();
    public IommuDomain? DefaultDomain { get; set; }
    public IommuDomain? Domain { get; set; }
    public IommuDomain? BlockingDomain { get; set; }
    public int OwnerCnt { get; set; }
    public object? Owner { get; set; }

    public override string ToString() => Name;
}

/// <summary>What ops->device_group decided: devices whose keys are equal share one group. Each family derives its own.</summary>
public abstract record GroupKey;
