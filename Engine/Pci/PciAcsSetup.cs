using System.Globalization;
using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// pci_enable_acs (drivers/pci/pci.c, Linux 7.0), run for each device from pci_dma_configure as the
/// IOMMU probes it, after of_iommu_configure has called pci_request_acs: a device-specific enable op
/// first (Intel PCH, SPT PCH; PciAcsQuirks), else pci_std_enable_acs turns on the SV, RR, CR and UF
/// its ACS capability advertises (and TB with pci=noats); then the command line is applied, always,
/// to the firmware's value (caps->fw_ctrl): pci=disable_acs_redir= clears RR, CR and EC,
/// pci=config_acs= sets or clears the bits its flags string gives (__pci_config_acs, matching devices
/// with pci_dev_str_match). What the kernel prints on the way (a malformed list, "Configured ACS to
/// …") goes to <see cref="PciHost.Log"/>.
/// </summary>
public static class PciAcsSetup
{
    private const string Src = "drivers/pci/pci.c, Linux 7.0";
    private const AcsFlags ValidMask = AcsFlags.SV | AcsFlags.TB | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF | AcsFlags.EC | AcsFlags.DT;
    private const AcsFlags RedirMask = AcsFlags.RR | AcsFlags.CR | AcsFlags.EC;

    /// <summary>pci_enable_acs for every device, in the order the IOMMU probes them (enumeration order).</summary>
    public static void EnableAll(PciHost host, PciKernelParams p, bool requested = true)
    {
        foreach (var dev in host.Devices) Enable(host, dev, p, requested);
    }

    /// <summary>pci_enable_acs(dev). <paramref name="requested"/>: pci_acs_enable, set by pci_request_acs.</summary>
    public static void Enable(PciHost host, PciDev dev, PciKernelParams p, bool requested = true)
    {
        bool enable = false;
        if (requested && PciAcsQuirks.SpecificEnableAcs(dev, p.NoAts) != 0) enable = true;
        if (dev.AcsCap is not { } cap) return;
        var fw = dev.AcsCtrl;
        var ctrl = fw;
        if (enable)
        {
            // pci_std_enable_acs
            ctrl |= cap & (AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF);
            if (p.NoAts) ctrl |= cap & AcsFlags.TB; // pci_ats_disabled(); external_facing/untrusted are not modelled
        }
        ConfigAcs(host, dev, ref ctrl, fw, p.DisableAcsRedir, "disable_acs_redir", RedirMask, ~RedirMask);
        ConfigAcs(host, dev, ref ctrl, fw, p.ConfigAcs, "config_acs", AcsFlags.None, AcsFlags.None);
        // pci_write_config_word(dev, pos + PCI_ACS_CTRL, caps.ctrl); an Intel SPT PCH port honours the
        // dword at +8 instead (what AcsCtrl holds for it), so this write does not reach it
        if (!PciAcsQuirks.DwordControl(dev)) dev.AcsCtrl = ctrl;
    }

    /// <summary>__pci_config_acs: find the device in the parameter's list; apply its flags to the firmware's control.</summary>
    private static void ConfigAcs(PciHost host, PciDev dev, ref AcsFlags ctrl, AcsFlags fwCtrl, string? p, string param, AcsFlags acsMask, AcsFlags acsFlags)
    {
        if (p is null) return;
        uint mask = (ushort)acsMask, flags = (ushort)acsFlags;
        int ret = 0, pos = 0;
        while (pos < p.Length)
        {
            if (acsMask == AcsFlags.None)
            {
                int at = p.IndexOf('@', pos);
                if (at < 0)
                {
                    host.Log.Add($"{dev.Name}: ACS Flags missing (pci={param}=, __pci_config_acs, {Src})");
                    return;
                }
                mask = 0;
                flags = 0;
                int shift = 0;
                for (int end = at - 1; end >= pos; end--)
                {
                    uint bit = shift < 16 ? 1u << shift : 0; // the u16 mask keeps the low 16 bits
                    switch (p[end])
                    {
                        case '0': mask |= bit; shift++; break;
                        case '1': mask |= bit; flags |= bit; shift++; break;
                        case 'x' or 'X': shift++; break;
                        default:
                            host.Log.Add($"{dev.Name}: Invalid ACS flags... Ignoring (pci={param}=, __pci_config_acs, {Src})");
                            return;
                    }
                }
                pos = at + 1;
            }
            if ((mask & ~(uint)ValidMask & 0xffff) != 0)
            {
                host.Log.Add($"{dev.Name}: Invalid ACS flags specified (pci={param}=, __pci_config_acs, {Src})");
                return;
            }
            ret = StrMatch(host, dev, p, ref pos);
            if (ret < 0)
            {
                if (!host.WarnedAcsParse)
                {
                    host.WarnedAcsParse = true;
                    host.Log.Add($"PCI: Can't parse ACS command line parameter (pci={param}=, pr_warn_once in __pci_config_acs, {Src})");
                }
                break;
            }
            if (ret == 1) break;
            if (pos >= p.Length || (p[pos] != ';' && p[pos] != ',')) break;
            pos++;
        }
        if (ret != 1) return;
        if (PciAcsQuirks.SpecificDisableAcsRedir(dev) == 0) return; // the SPT op handled it (even for config_acs)
        var before = ctrl;
        ctrl = (AcsFlags)(((uint)fwCtrl & ~mask | flags & mask) & 0xffff);
        host.Log.Add($"{dev.Name}: Configured ACS to {Hex06(ctrl)} ({AcsFlagNames.Text(ctrl)}; was {AcsFlagNames.Text(before)}) by pci={param}= (__pci_config_acs, {Src})");
    }

    /// <summary>
    /// pci_dev_str_match: "pci:vvvv:dddd[:ssss:ssss]" (0 matches any ID) or "[ssss:]bb:dd.f[/dd.f]*"
    /// (a path down from a bus, each step checked against the device and the bridges above it).
    /// 1: it names the device; 0: it does not; -1 (-EINVAL): it cannot be parsed. <paramref name="pos"/>
    /// moves past what was read.
    /// </summary>
    internal static int StrMatch(PciHost host, PciDev dev, string p, ref int pos)
    {
        var vals = new List<ulong>();
        if (string.CompareOrdinal(p, pos, "pci:", 0, 4) == 0)
        {
            int at = pos + 4;
            ushort vendor, device, subVendor = 0, subDevice = 0;
            if (KernelScanf.Scan(p, at, "%hx:%hx:%hx:%hx%n", vals, out int count) == 4)
            {
                (vendor, device, subVendor, subDevice) = ((ushort)vals[0], (ushort)vals[1], (ushort)vals[2], (ushort)vals[3]);
            }
            else if (KernelScanf.Scan(p, at, "%hx:%hx%n", vals, out count) == 2)
            {
                (vendor, device) = ((ushort)vals[0], (ushort)vals[1]);
            }
            else return -1;
            pos = at + count;
            var f = dev.Function;
            return (vendor == 0 || vendor == dev.Vendor) && (device == 0 || device == dev.DeviceId)
                && (subVendor == 0 || subVendor == (f.SubVendor ?? 0)) && (subDevice == 0 || subDevice == (f.SubDevice ?? 0)) ? 1 : 0;
        }
        // pci_dev_str_match_path: the path runs to the next ';'
        int end = p.IndexOf(';', pos);
        if (end < 0) end = p.Length;
        var path = p[pos..end];
        pos = end;
        var cur = dev;
        while (true)
        {
            int slash = path.LastIndexOf('/');
            if (slash < 0) break;
            if (KernelScanf.Scan(path, slash, "/%x.%x%c", vals, out _) != 2) return -1;
            if (cur.Devfn != PciAddress.MakeDevfn((int)(vals[0] & 0x1f), (int)(vals[1] & 7))) return 0;
            if (cur.UpstreamBridge is not { } up) return 0;
            cur = up;
            path = path[..slash];
        }
        uint seg;
        if (KernelScanf.Scan(path, 0, "%x:%x:%x.%x%c", vals, out _) == 4) seg = (uint)vals[0];
        else if (KernelScanf.Scan(path, 0, "%x:%x.%x%c", vals, out _) == 3)
        {
            seg = 0;
            vals.Insert(0, 0);
        }
        else return -1;
        return seg == (uint)cur.Bus.Host.Segment && vals[1] == (ulong)cur.Bus.Number && cur.Devfn == PciAddress.MakeDevfn((int)(vals[2] & 0x1f), (int)(vals[3] & 7)) ? 1 : 0;
    }

    /// <summary>"0x001d" as %#06x prints it.</summary>
    internal static string Hex06(AcsFlags f) => "0x" + ((ushort)f).ToString("x4", CultureInfo.InvariantCulture);
}
