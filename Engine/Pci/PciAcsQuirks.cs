using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// The device-specific ACS quirks of drivers/pci/quirks.c (Linux 7.0), as data: the
/// pci_dev_acs_enabled table (pci_dev_specific_acs_enabled walks it in order; the first entry that
/// matches vendor:device and answers 0 or more decides), the enable and redirect-disable ops
/// (pci_dev_acs_ops: Intel PCH and SPT PCH root ports), and pci_disable_broken_acs_cap (IDT
/// switches lose SV). Each quirk function is written from the kernel's, cited by name.
/// Assumed, not modelled: the Intel PCH workaround (pci_quirk_enable_intel_lpc_acs) finds RCBA enabled
/// in the LPC bridge at 00:1f.0 (its config space is not in the SoC file); no AMD IVRS table exists
/// (a device-tree machine), so pci_quirk_amd_sb_acs never applies.
/// </summary>
public static class PciAcsQuirks
{
    public const string Src = "drivers/pci/quirks.c, Linux 7.0";
    private const int Enotty = -25, Enodev = -19;
    private const ushort Any = 0xffff;
    private const AcsFlags SvRrCrUf = AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF;

    private sealed record Entry(ushort Vendor, ushort Device, string Name, Func<PciDev, AcsFlags, int> Fn);

    /// <summary>pci_acs_ctrl_enabled: 1 when every requested control is among those enabled or provided, else 0.</summary>
    private static int CtrlEnabled(AcsFlags req, AcsFlags ena) => (req & ena) == req ? 1 : 0;

    private static Entry Mf(ushort v, ushort d) => new(v, d, "pci_quirk_mf_endpoint_acs", MfEndpoint);
    private static Entry Xgene(ushort v, ushort d) => new(v, d, "pci_quirk_xgene_acs", (_, f) => CtrlEnabled(f, SvRrCrUf));
    private static Entry Qcom(ushort v, ushort d) => new(v, d, "pci_quirk_qcom_rp_acs", (_, f) => CtrlEnabled(f, SvRrCrUf));
    private static Entry Nxp(ushort d) => new(0x1957, d, "pci_quirk_nxp_rp_acs", (_, f) => CtrlEnabled(f, SvRrCrUf));
    private static Entry Loongson(ushort d) => new(0x0014, d, "pci_quirk_loongson_acs", (_, f) => CtrlEnabled(f, SvRrCrUf));
    private static Entry AmdSb(ushort v, ushort d) => new(v, d, "pci_quirk_amd_sb_acs", AmdSouthbridge);

    /// <summary>pci_dev_acs_enabled[], in the kernel's order.</summary>
    private static readonly Entry[] Table =
    [
        AmdSb(0x1002, 0x4385), AmdSb(0x1002, 0x439c), AmdSb(0x1002, 0x4383), AmdSb(0x1002, 0x439d), AmdSb(0x1002, 0x4384), AmdSb(0x1002, 0x4399),
        AmdSb(0x1022, 0x780f), AmdSb(0x1022, 0x7809),
        Mf(0x1924, 0x0903), Mf(0x1924, 0x0923), Mf(0x1924, 0x0a03),
        Mf(0x8086, 0x10c6), Mf(0x8086, 0x10db), Mf(0x8086, 0x10dd), Mf(0x8086, 0x10e1), Mf(0x8086, 0x10f1), Mf(0x8086, 0x10f7),
        Mf(0x8086, 0x10f8), Mf(0x8086, 0x10f9), Mf(0x8086, 0x10fa), Mf(0x8086, 0x10fb), Mf(0x8086, 0x10fc), Mf(0x8086, 0x1507),
        Mf(0x8086, 0x1514), Mf(0x8086, 0x151c), Mf(0x8086, 0x1529), Mf(0x8086, 0x152a), Mf(0x8086, 0x154d), Mf(0x8086, 0x154f),
        Mf(0x8086, 0x1551), Mf(0x8086, 0x1558),
        Mf(0x8086, 0x1509), Mf(0x8086, 0x150e), Mf(0x8086, 0x150f), Mf(0x8086, 0x1510), Mf(0x8086, 0x1511), Mf(0x8086, 0x1516), Mf(0x8086, 0x1527), // 82580
        Mf(0x8086, 0x10c9), Mf(0x8086, 0x10e6), Mf(0x8086, 0x10e7), Mf(0x8086, 0x10e8), Mf(0x8086, 0x150a), Mf(0x8086, 0x150d), Mf(0x8086, 0x1518), Mf(0x8086, 0x1526), // 82576
        Mf(0x8086, 0x10a7), Mf(0x8086, 0x10a9), Mf(0x8086, 0x10d6), // 82575
        Mf(0x8086, 0x1521), Mf(0x8086, 0x1522), Mf(0x8086, 0x1523), Mf(0x8086, 0x1524), // I350
        Mf(0x8086, 0x105e), Mf(0x8086, 0x105f), Mf(0x8086, 0x1060), Mf(0x8086, 0x10d9), // 82571
        Mf(0x8086, 0x15b7), Mf(0x8086, 0x15b8), // I219
        new(0x8086, Any, "pci_quirk_rciep_acs", Rciep),
        Qcom(0x17cb, 0x0400), Qcom(0x17cb, 0x0401), Qcom(0x17cb, 0x0115), Qcom(0x17cb, 0x0111), Qcom(0x17cb, 0x0120),
        Qcom(0x1dbf, 0x0401), // HXT SD4800
        new(0x8086, Any, "pci_quirk_intel_pch_acs", IntelPch),
        new(0x8086, Any, "pci_quirk_intel_spt_pch_acs", IntelSpt),
        Mf(0x19a2, 0x0710), Mf(0x10df, 0x0720), // Emulex BE3-R, Skyhawk-R
        new(0x177d, Any, "pci_quirk_cavium_acs", Cavium),
        Mf(0x177d, 0xa026), Mf(0x177d, 0xa059), Mf(0x177d, 0xa060),
        Xgene(0x10e8, 0xe004), // APM X-Gene
        Xgene(0x1def, 0xe005), Xgene(0x1def, 0xe006), Xgene(0x1def, 0xe007), Xgene(0x1def, 0xe008), // Ampere
        Xgene(0x1def, 0xe009), Xgene(0x1def, 0xe00a), Xgene(0x1def, 0xe00b), Xgene(0x1def, 0xe00c),
        Mf(0x14e4, 0x16d7), Mf(0x14e4, 0x1750), Mf(0x14e4, 0x1751), Mf(0x14e4, 0x1752), Mf(0x14e4, 0x1760), Mf(0x14e4, 0x1761),
        Mf(0x14e4, 0x1762), Mf(0x14e4, 0x1763),
        new(0x14e4, 0xd714, "pci_quirk_brcm_acs", (_, f) => CtrlEnabled(f, SvRrCrUf)),
        Loongson(0x3c09), Loongson(0x3c19), Loongson(0x3c29), Loongson(0x7a09), Loongson(0x7a19), Loongson(0x7a29), Loongson(0x7a39),
        Loongson(0x7a49), Loongson(0x7a59), Loongson(0x7a69),
        new(0x1c36, 0x0031, "pci_quirk_al_acs", AnnapurnaLabs),
        Mf(0x1d17, 0x3038), Mf(0x1d17, 0x3104), Mf(0x1d17, 0x9083), // Zhaoxin
        Nxp(0x8d81), Nxp(0x8da1), Nxp(0x8d83), Nxp(0x8d80), Nxp(0x8da0), Nxp(0x8d82), Nxp(0x8d90), Nxp(0x8db0), Nxp(0x8d92),
        Nxp(0x8d91), Nxp(0x8db1), Nxp(0x8d93), Nxp(0x8d89), Nxp(0x8da9), Nxp(0x8d8b), Nxp(0x8d88), Nxp(0x8da8), Nxp(0x8d8a),
        Nxp(0x8d98), Nxp(0x8db8), Nxp(0x8d9a), Nxp(0x8d99), Nxp(0x8db9), Nxp(0x8d9b),
        new(0x1d17, Any, "pci_quirk_zhaoxin_pcie_ports_acs", Zhaoxin),
        new(0x8088, Any, "pci_quirk_wangxun_nic_acs", Wangxun),
    ];

    /// <summary>
    /// pci_dev_specific_acs_enabled: the first matching entry that answers 0 or 1 decides; -ENOTTY
    /// when none does. <paramref name="quirk"/> names the deciding function.
    /// </summary>
    public static int SpecificAcsEnabled(PciDev dev, AcsFlags flags, out string? quirk)
    {
        quirk = null;
        foreach (var e in Table)
        {
            if ((e.Vendor != dev.Vendor && e.Vendor != Any) || (e.Device != dev.DeviceId && e.Device != Any)) continue;
            if (dev.Function.Vendor is null) continue; // no IDs in the file: nothing matches
            int ret = e.Fn(dev, flags);
            if (ret >= 0)
            {
                quirk = e.Name;
                return ret;
            }
        }
        return Enotty;
    }

    /// <summary>The quirk that answers for this device at all (for the report), or null.</summary>
    public static string? QuirkFor(PciDev dev) => SpecificAcsEnabled(dev, AcsFlagNames.Required, out var q) >= 0 ? q : null;

    private static bool Is(PciDev dev, PciType t) => dev.IsPcie && dev.Type == t;

    private static int MfEndpoint(PciDev dev, AcsFlags f) =>
        // pci_quirk_mf_endpoint_acs: verified by the vendor not to do peer-to-peer between functions
        CtrlEnabled(f, AcsFlags.SV | AcsFlags.TB | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF | AcsFlags.DT);

    private static int AmdSouthbridge(PciDev dev, AcsFlags f) =>
        // pci_quirk_amd_sb_acs: needs the ACPI IVRS table (an AMD IOMMU); a device-tree machine has none
        Enodev;

    private static int Rciep(PciDev dev, AcsFlags f) =>
        // pci_quirk_rciep_acs: Intel RCiEPs allow peer-to-peer only on translated addresses (VT-d r3.1 §3.16)
        !Is(dev, PciType.RcEndpoint) ? Enotty : CtrlEnabled(f, SvRrCrUf);

    private static int Cavium(PciDev dev, AcsFlags f)
    {
        // pci_quirk_cavium_acs_match: ThunderX1 (0xa000-0xa7ff), ThunderX2 (0xaf84), ThunderX3 (0xb884) Root Ports
        bool match = Is(dev, PciType.RootPort) && (dev.DeviceId is >= 0xa000 and <= 0xa7ff || dev.DeviceId is 0xaf84 or 0xb884);
        return match ? CtrlEnabled(f, SvRrCrUf) : Enotty;
    }

    private static int Zhaoxin(PciDev dev, AcsFlags f)
    {
        if (!Is(dev, PciType.RootPort) && !Is(dev, PciType.DownstreamPort)) return Enotty;
        return dev.DeviceId is >= 0x0710 and <= 0x071e or 0x0721 or >= 0x0723 and <= 0x0752 ? CtrlEnabled(f, SvRrCrUf) : 0;
    }

    /// <summary>pci_quirk_intel_pch_acs_ids: PCH Root Ports with ACS-like features but no ACS capability (Red Hat bugzilla 1037684).</summary>
    private static readonly HashSet<ushort> IntelPchIds =
    [
        0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, 0x3b4a, 0x3b4b, 0x3b4c, 0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51,
        0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17, 0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f,
        0x1e10, 0x1e11, 0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17, 0x1e18, 0x1e19, 0x1e1a, 0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f,
        0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17, 0x8c18, 0x8c19, 0x8c1a, 0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f,
        0x9c10, 0x9c11, 0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17, 0x9c18, 0x9c19, 0x9c1a, 0x9c1b,
        0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97, 0x9c98, 0x9c99, 0x9c9a, 0x9c9b,
        0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e,
        0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17, 0x8d18, 0x8d19, 0x8d1a, 0x8d1b, 0x8d1c, 0x8d1d, 0x8d1e,
        0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
    ];

    private static bool IntelPchMatch(PciDev dev) => dev.Vendor == 0x8086 && Is(dev, PciType.RootPort) && IntelPchIds.Contains(dev.DeviceId);

    private static int IntelPch(PciDev dev, AcsFlags f)
    {
        if (!IntelPchMatch(dev)) return Enotty;
        return dev.AcsEnabledQuirk ? CtrlEnabled(f, SvRrCrUf) : CtrlEnabled(f, AcsFlags.None);
    }

    /// <summary>pci_quirk_intel_spt_pch_acs_match: Sunrise Point, Union Point and 7th/8th-generation mobile PCH Root Ports (ACS registers as dwords).</summary>
    private static bool IntelSptMatch(PciDev dev) => dev.Vendor == 0x8086 && Is(dev, PciType.RootPort)
        && dev.DeviceId is >= 0xa110 and <= 0xa11f or >= 0xa167 and <= 0xa16a or >= 0xa290 and <= 0xa29f or >= 0xa2e7 and <= 0xa2ee or >= 0x9d10 and <= 0x9d1b;

    /// <summary>An Intel SPT PCH Root Port: its ACS registers are dwords, and the control it honours is at +8 (PciDev.AcsCtrl holds that one).</summary>
    internal static bool DwordControl(PciDev dev) => IntelSptMatch(dev) && dev.AcsCap is not null;

    private static int IntelSpt(PciDev dev, AcsFlags f)
    {
        if (!IntelSptMatch(dev) || dev.AcsCap is not { } cap) return Enotty;
        // the same rule as pci_acs_flags_enabled, on the dword control register at +8
        f &= cap | AcsFlags.EC;
        return CtrlEnabled(f, dev.AcsCtrl);
    }

    private static int AnnapurnaLabs(PciDev dev, AcsFlags f)
    {
        if (!Is(dev, PciType.RootPort)) return Enotty;
        return (f & ~SvRrCrUf) != 0 ? 0 : 1;
    }

    private static int Wangxun(PciDev dev, AcsFlags f) => dev.DeviceId switch
    {
        >= 0x0100 and <= 0x010f or 0x1001 or 0x2001 or 0x5010 or 0x5025 or 0x5040 or 0x5110 or 0x5125 or 0x5140 => CtrlEnabled(f, SvRrCrUf),
        _ => 0, // "return false": any other Wangxun function counts as not isolated, ACS capability or not
    };

    /// <summary>
    /// pci_dev_specific_enable_acs (pci_dev_acs_ops): the Intel PCH and SPT PCH workarounds; -ENOTTY
    /// when neither matches (then pci_enable_acs does the standard enable).
    /// </summary>
    internal static int SpecificEnableAcs(PciDev dev, bool atsDisabled)
    {
        if (IntelPchMatch(dev))
        {
            // pci_quirk_enable_intel_pch_acs: LPC RCBA peer decodes off, MPC IRBNCE on (assumed to succeed)
            dev.AcsEnabledQuirk = true;
            dev.Fixups.Add($"Intel PCH root port ACS workaround enabled (pci_quirk_enable_intel_pch_acs, {Src})");
            return 0;
        }
        if (IntelSptMatch(dev) && dev.AcsCap is { } cap)
        {
            var ctrl = dev.AcsCtrl | (cap & SvRrCrUf);
            if (atsDisabled) ctrl |= cap & AcsFlags.TB;
            dev.AcsCtrl = ctrl;
            dev.Fixups.Add($"Intel SPT PCH root port ACS workaround enabled (pci_quirk_enable_intel_spt_pch_acs, {Src})");
            return 0;
        }
        return Enotty;
    }

    /// <summary>pci_dev_specific_disable_acs_redir: the SPT PCH op clears RR, CR and EC in the dword control; -ENOTTY otherwise.</summary>
    internal static int SpecificDisableAcsRedir(PciDev dev)
    {
        if (!IntelSptMatch(dev) || dev.AcsCap is null) return Enotty;
        dev.AcsCtrl &= ~(AcsFlags.RR | AcsFlags.CR | AcsFlags.EC);
        dev.Fixups.Add($"Intel SPT PCH root port workaround: disabled ACS redirect (pci_quirk_disable_intel_spt_pch_acs_redir, {Src})");
        return 0;
    }

    /// <summary>pci_disable_broken_acs_cap (drivers/pci/quirks.c, Linux 7.0): IDT 0x80b5 and 0x8090 lose SV from their ACS capability.</summary>
    internal static void DisableBrokenAcsCap(PciDev dev)
    {
        if (dev.AcsCap is { } cap && dev.Function.Vendor == 0x111d && dev.DeviceId is 0x80b5 or 0x8090)
        {
            dev.AcsCap = cap & ~AcsFlags.SV;
            dev.Fixups.Add($"Disabling broken ACS SV; downstream device isolation reduced (pci_disable_broken_acs_cap, {Src})");
        }
    }

    /// <summary>The vendor:device entries of pci_dev_acs_enabled (PCI_ANY_ID as 0xffff), for documentation and tests.</summary>
    public static IEnumerable<(ushort Vendor, ushort Device, string Quirk)> Entries => Table.Select(e => (e.Vendor, e.Device, e.Name));
}
