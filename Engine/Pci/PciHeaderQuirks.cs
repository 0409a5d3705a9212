using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// The header fixups of drivers/pci/quirks.c (Linux 7.0, DECLARE_PCI_FIXUP_HEADER) that change how a
/// device's DMA is aliased: the kernel's tables, matched by vendor:device (and subsystem where the
/// kernel matches it), applied as each device is set up (pci_device_add). Each is data here, cited
/// to the function that applies it. Devices without IDs in the SoC file match nothing.
/// Not modelled: quirk_switchtec_ntb_dma_alias (it reads the NTB partition map over MMIO) and
/// pci_real_dma_dev (x86 VMD).
/// </summary>
public static class PciHeaderQuirks
{
    private const string Src = "drivers/pci/quirks.c, Linux 7.0";

    private enum Kind { Func0Alias, Func1Alias, FixedAlias, PcieBridgeAlias, MicX200, PexVca, XlateRoot, NoAlias, PlxNtb }

    private sealed record Entry(ushort Vendor, ushort Device, Kind Kind, ushort SubVendor = 0, ushort SubDevice = 0, int Devfn = 0);

    /// <summary>The fixups in quirks.c order (several can match one device; each runs).</summary>
    private static readonly Entry[] Table =
    [
        // quirk_dma_func0_alias: Ricoh, Glenfly use function 0's requester ID
        new(0x1180, 0xe832, Kind.Func0Alias), new(0x1180, 0xe476, Kind.Func0Alias),
        new(0x6766, 0x3d40, Kind.Func0Alias), new(0x6766, 0x3d41, Kind.Func0Alias),
        // quirk_dma_func1_alias: Marvell 88SE9xxx SATA and friends use function 1's
        new(0x1b4b, 0x9120, Kind.Func1Alias), new(0x1b4b, 0x9123, Kind.Func1Alias), new(0x1b4b, 0x9125, Kind.Func1Alias),
        new(0x1b4b, 0x9128, Kind.Func1Alias), new(0x1b4b, 0x9130, Kind.Func1Alias), new(0x1b4b, 0x9170, Kind.Func1Alias),
        new(0x1b4b, 0x9172, Kind.Func1Alias), new(0x1b4b, 0x917a, Kind.Func1Alias), new(0x1b4b, 0x9182, Kind.Func1Alias),
        new(0x1b4b, 0x9183, Kind.Func1Alias), new(0x1b4b, 0x91a0, Kind.Func1Alias), new(0x1b4b, 0x9215, Kind.Func1Alias),
        new(0x1b4b, 0x9220, Kind.Func1Alias), new(0x1b4b, 0x9230, Kind.Func1Alias), new(0x1b4b, 0x9235, Kind.Func1Alias),
        new(0x1103, 0x0642, Kind.Func1Alias), new(0x1103, 0x0645, Kind.Func1Alias),
        new(0x197b, 0x2392, Kind.Func1Alias), // PCI_DEVICE_ID_JMICRON_JMB388_ESD
        new(0x1c28, 0x0122, Kind.Func1Alias), // Lite-On Plextor M6E (Marvell 88SS9183)
        // quirk_fixed_dma_alias (fixed_dma_alias_tbl): Adaptec 3405 and 3805 DMA as devfn 01.0
        new(0x9005, 0x0285, Kind.FixedAlias, 0x9005, 0x02bb, PciAddress.MakeDevfn(1, 0)),
        new(0x9005, 0x0285, Kind.FixedAlias, 0x9005, 0x02bc, PciAddress.MakeDevfn(1, 0)),
        // quirk_use_pcie_bridge_dma_alias: PCIe-to-PCI bridges that hide their PCIe capability
        new(0x1b21, 0x1080, Kind.PcieBridgeAlias), new(0x10e3, 0x8113, Kind.PcieBridgeAlias), new(0x1283, 0x8892, Kind.PcieBridgeAlias),
        new(0x1283, 0x8893, Kind.PcieBridgeAlias), new(0x8086, 0x244e, Kind.PcieBridgeAlias),
        // quirk_mic_x200_dma_alias, quirk_pex_vca_alias: NTBs forwarding alien requester IDs
        new(0x8086, 0x2260, Kind.MicX200), new(0x8086, 0x2264, Kind.MicX200),
        new(0x8086, 0x2954, Kind.PexVca), new(0x8086, 0x2955, Kind.PexVca), new(0x8086, 0x2956, Kind.PexVca),
        new(0x8086, 0x2958, Kind.PexVca), new(0x8086, 0x2959, Kind.PexVca), new(0x8086, 0x295a, Kind.PexVca),
        // quirk_bridge_cavm_thrx2_pcie_root: Broadcom Vulcan / Cavium ThunderX2, the IOMMU sits at this bridge
        new(0x14e4, 0x9000, Kind.XlateRoot), new(0x14e4, 0x9084, Kind.XlateRoot),
        // quirk_aspeed_pci_bridge_no_alias: AST1150 forwards downstream requester IDs
        new(0x1a03, 0x1150, Kind.NoAlias),
        // quirk_plx_ntb_dma_alias: every devfn of the bus
        new(0x10b5, 0x87b0, Kind.PlxNtb), new(0x10b5, 0x87b1, Kind.PlxNtb),
    ];

    /// <summary>Runs every matching fixup on a device just set up (its parent bus and bridge are set up already).</summary>
    internal static void Apply(PciDev dev)
    {
        if (dev.Function.Vendor is not { } vendor || dev.Function.Device is not { } device) return;
        foreach (var e in Table)
        {
            if (e.Vendor != vendor || e.Device != device) continue;
            var id = $"{vendor:x4}:{device:x4}";
            switch (e.Kind)
            {
                case Kind.Func0Alias:
                    // quirk_dma_func0_alias: only functions other than 0
                    if (dev.Address.Function != 0) Alias(dev, PciAddress.MakeDevfn(dev.Address.Slot, 0), 1, $"quirk_dma_func0_alias for {id}");
                    break;
                case Kind.Func1Alias:
                    if (dev.Address.Function != 1) Alias(dev, PciAddress.MakeDevfn(dev.Address.Slot, 1), 1, $"quirk_dma_func1_alias for {id}");
                    break;
                case Kind.FixedAlias:
                    // PCI_DEVICE_SUB: the subsystem IDs must match too
                    if (dev.Function.SubVendor == e.SubVendor && dev.Function.SubDevice == e.SubDevice)
                        Alias(dev, e.Devfn, 1, $"quirk_fixed_dma_alias (fixed_dma_alias_tbl) for {id} subsystem {e.SubVendor:x4}:{e.SubDevice:x4}");
                    break;
                case Kind.PcieBridgeAlias:
                    // a non-root, non-PCIe bridge whose upstream device is PCIe and not a PCIe-to-PCI bridge
                    if (!dev.Bus.IsRoot && dev.Function.IsBridge && !dev.IsPcie && dev.Bus.Self is { IsPcie: true } up && up.Type != PciType.PcieToPciBridge)
                    {
                        dev.DevFlags |= PciDevFlags.PcieBridgeAlias;
                        dev.Fixups.Add($"PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS: a PCIe-to-PCI bridge without its PCIe capability (quirk_use_pcie_bridge_dma_alias for {id}, {Src})");
                    }
                    break;
                case Kind.MicX200:
                    foreach (var d in new[] { PciAddress.MakeDevfn(0x10, 0), PciAddress.MakeDevfn(0x11, 0), PciAddress.MakeDevfn(0x12, 3) })
                        Alias(dev, d, 1, $"quirk_mic_x200_dma_alias for {id}");
                    break;
                case Kind.PexVca:
                    for (int slot = 0; slot < 0x20; slot++) dev.AddDmaAlias(PciAddress.MakeDevfn(slot, 0), 5);
                    dev.Fixups.Add($"Enabling fixed DMA alias for devfn range from 00.0 to 1f.4 in each slot's functions 0-4 (quirk_pex_vca_alias for {id}, {Src})");
                    break;
                case Kind.XlateRoot:
                    dev.DevFlags |= PciDevFlags.BridgeXlateRoot;
                    dev.Fixups.Add($"PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT: the IOMMU sits at this bridge, DMA aliases stop here (quirk_bridge_cavm_thrx2_pcie_root for {id}, {Src})");
                    break;
                case Kind.NoAlias:
                    dev.DevFlags |= PciDevFlags.PciBridgeNoAlias;
                    dev.Fixups.Add($"PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS: forwards requester IDs from below unchanged (quirk_aspeed_pci_bridge_no_alias for {id}, {Src})");
                    break;
                case Kind.PlxNtb:
                    dev.AddDmaAlias(0, 256);
                    dev.Fixups.Add($"Enabling fixed DMA alias for devfn range from 00.0 to 1f.7 (quirk_plx_ntb_dma_alias for {id}, {Src})");
                    break;
            }
        }
    }

    private static void Alias(PciDev dev, int devfn, int count, string quirk)
    {
        dev.AddDmaAlias(devfn, count);
        dev.Fixups.Add($"Enabling fixed DMA alias to {PciAddress.DevfnText(devfn)} ({quirk}, {Src}: pci_add_dma_alias)");
    }

    /// <summary>The vendor:device pairs with a DMA-alias fixup (documentation and tests).</summary>
    public static IEnumerable<(ushort Vendor, ushort Device, string Quirk)> Ids => Table.Select(e => (e.Vendor, e.Device, e.Kind switch
    {
        Kind.Func0Alias => "quirk_dma_func0_alias",
        Kind.Func1Alias => "quirk_dma_func1_alias",
        Kind.FixedAlias => "quirk_fixed_dma_alias",
        Kind.PcieBridgeAlias => "quirk_use_pcie_bridge_dma_alias",
        Kind.MicX200 => "quirk_mic_x200_dma_alias",
        Kind.PexVca => "quirk_pex_vca_alias",
        Kind.XlateRoot => "quirk_bridge_cavm_thrx2_pcie_root",
        Kind.NoAlias => "quirk_aspeed_pci_bridge_no_alias",
        _ => "quirk_plx_ntb_dma_alias",
    }));
}
