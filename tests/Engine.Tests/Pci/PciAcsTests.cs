using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using static ScenarioEngine.Tests.Pci.PciBoard;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// pci_acs_enabled, pci_acs_flags_enabled and pci_acs_path_enabled (drivers/pci/pci.c, Linux 7.0),
/// the device-specific quirks that answer first (pci_dev_specific_acs_enabled, drivers/pci/quirks.c),
/// and pci_enable_acs with the pci= parameter (__pci_config_acs, pci_dev_str_match).
/// </summary>
public class PciAcsTests
{
    private const AcsFlags Req = AcsFlagNames.Required;

    /// <summary>One function of the given type below a Root Port with ACS (or on the root bus for a Root Port / RC type), set up as at boot.</summary>
    private static PciDev One(string type, string extra = "", bool multifunction = false, string? pci = null)
    {
        var bridge = type is "root-port" or "upstream-port" or "downstream-port" or "pcie-to-pci-bridge" or "pci-to-pcie-bridge" or "pci-bridge";
        var keys = $"type: {type}" + (bridge ? ", secondary: 5, subordinate: 5" : "") + (extra.Length > 0 ? ", " + extra : "");
        string Second(string k) => k.Replace("secondary: 5, subordinate: 5", "secondary: 6, subordinate: 6");
        bool onRoot = type is "root-port" or "rc-endpoint" or "rc-event-collector";
        // a downstream port sits below a switch's upstream port (below a Root Port set_pcie_port_type would take it as an upstream port)
        string at = onRoot ? "00:02" : type == "downstream-port" ? "02:00" : "01:00";
        string fns = onRoot ? "" : type == "downstream-port" ? RootPort("00:01.0", 1, 6, Acs) + Upstream("01:00.0", 2, 6) : RootPort("00:01.0", 1, 6, Acs);
        fns += F(at + ".0", keys) + (multifunction ? F(at + ".1", Second(keys)) : "");
        var host = Host(Soc(fns));
        PciAcsSetup.EnableAll(host, PciKernelParams.Parse(pci, out _)!);
        return Pdev(host, at + ".0");
    }

    [Theory]
    [InlineData("pci", false)] // conventional: never
    [InlineData("pcie-to-pci-bridge", false)]
    [InlineData("pci-to-pcie-bridge", false)]
    [InlineData("rc-event-collector", false)]
    [InlineData("root-port", false)] // needs the flags: no capability
    [InlineData("downstream-port", false)]
    [InlineData("endpoint", true)] // single-function: isolated
    [InlineData("legacy-endpoint", true)]
    [InlineData("rc-endpoint", true)]
    [InlineData("upstream-port", true)]
    public void Pci_acs_enabled_without_an_ACS_capability_follows_the_type(string type, bool isolated) =>
        Assert.Equal(isolated, PciAcs.Enabled(One(type), Req).Enabled);

    [Theory]
    [InlineData("endpoint")]
    [InlineData("legacy-endpoint")]
    [InlineData("rc-endpoint")]
    [InlineData("upstream-port")]
    public void A_multifunction_endpoint_or_upstream_port_needs_the_flags(string type)
    {
        Assert.False(PciAcs.Enabled(One(type, multifunction: true), Req).Enabled);
        Assert.True(PciAcs.Enabled(One(type, "acs: { cap: [rr, cr] }", multifunction: true), Req).Enabled);
    }

    [Theory]
    [InlineData("root-port")]
    [InlineData("downstream-port")]
    public void A_root_or_downstream_port_with_the_capability_is_isolated_once_pci_enable_acs_turned_it_on(string type)
    {
        var port = One(type, Acs);
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, port.AcsCtrl); // pci_std_enable_acs
        Assert.True(PciAcs.Enabled(port, Req).Enabled);
    }

    [Fact]
    public void Flags_the_capability_does_not_advertise_count_as_hard_wired_on_except_egress_control()
    {
        var port = One("downstream-port", "acs: { cap: [rr] }");
        Assert.True(PciAcs.FlagsEnabled(port, Req).Enabled); // SV CR UF not advertised
        Assert.False(PciAcs.FlagsEnabled(port, AcsFlags.RR | AcsFlags.EC).Enabled); // EC is always asked of ACS Control
        Assert.Contains("lacks EC", PciAcs.FlagsEnabled(port, AcsFlags.RR | AcsFlags.EC).Why);
    }

    [Fact]
    public void Pci_acs_path_enabled_asks_every_port_up_to_the_root_bus()
    {
        // the downstream port has ACS, the Root Port above the switch has none: the path fails there
        var host = Host(Soc(RootPort("00:01.0", 1, 3) + Upstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3, Acs) + Endpoint("03:00.0")));
        PciAcsSetup.EnableAll(host, PciKernelParams.None);
        var path = PciAcs.PathEnabled(Pdev(host, "02:00.0"), Req);
        Assert.False(path.Enabled);
        Assert.Equal("0000:00:01.0", path.FailedAt!.Name);
        // and so the endpoint, the downstream port and the upstream port end in the Root Port's group
        var core = Boot(Soc(RootPort("00:01.0", 1, 3) + Upstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3, Acs) + Endpoint("03:00.0")));
        Assert.Equal("00:01.0,01:00.0,02:00.0,03:00.0", Groups(core));
    }

    [Fact]
    public void A_device_specific_quirk_answers_before_the_type_rules()
    {
        var cavium = One("root-port", "id: \"177d:af84\""); // ThunderX2 Root Port, no capability
        Assert.True(PciAcs.Enabled(cavium, Req).Enabled);
        Assert.Contains("pci_quirk_cavium_acs", PciAcs.Enabled(cavium, Req).Why);
        var notListed = One("root-port", "id: \"177d:1234\""); // a Cavium device the match leaves out: -ENOTTY, then the capability rule
        Assert.False(PciAcs.Enabled(notListed, Req).Enabled);
        var zhaoxin = One("downstream-port", "id: \"1d17:0800\", " + Acs); // a Zhaoxin port off the list: "return false", capability or not
        Assert.False(PciAcs.Enabled(zhaoxin, Req).Enabled);
        var al = One("root-port", "id: \"1c36:0031\""); // Annapurna Labs: SV RR CR UF, but not EC
        Assert.True(PciAcs.Enabled(al, Req).Enabled);
        Assert.False(PciAcs.Enabled(al, Req | AcsFlags.EC).Enabled);
        var amd = One("endpoint", "id: \"1022:780f\"", multifunction: true); // pci_quirk_amd_sb_acs: no IVRS table on a device-tree machine
        Assert.False(PciAcs.Enabled(amd, Req).Enabled);
        Assert.Null(PciAcsQuirks.QuirkFor(amd));
    }

    [Fact]
    public void An_Intel_RC_integrated_endpoint_is_isolated_by_quirk_even_as_multifunction()
    {
        var rciep = One("rc-endpoint", "id: \"8086:1234\"", multifunction: true);
        Assert.True(PciAcs.Enabled(rciep, Req).Enabled);
        Assert.Contains("pci_quirk_rciep_acs", PciAcs.Enabled(rciep, Req).Why);
    }

    [Fact]
    public void An_Intel_PCH_root_port_is_isolated_by_the_workaround_pci_enable_acs_runs()
    {
        // pci_quirk_enable_intel_pch_acs sets PCI_DEV_FLAGS_ACS_ENABLED_QUIRK; pci_quirk_intel_pch_acs then provides SV RR CR UF
        var pch = One("root-port", "id: \"8086:1c10\"");
        Assert.True(pch.AcsEnabledQuirk);
        Assert.True(PciAcs.Enabled(pch, Req).Enabled);
        Assert.Contains("Intel PCH root port ACS workaround enabled", pch.Fixups.Single());
    }

    [Fact]
    public void An_Intel_SPT_PCH_root_port_is_enabled_by_its_own_op_and_any_matching_pci_parameter_disables_its_redirect()
    {
        var spt = One("root-port", "id: \"8086:a110\", " + Acs);
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, spt.AcsCtrl);
        Assert.Contains("pci_quirk_enable_intel_spt_pch_acs", spt.Fixups.Single());
        // __pci_config_acs calls pci_dev_specific_disable_acs_redir even for config_acs: the SPT op clears RR CR EC and returns 0
        var configured = One("root-port", "id: \"8086:a110\", " + Acs, pci: "config_acs=11111@00:02.0");
        Assert.Equal(AcsFlags.SV | AcsFlags.UF, configured.AcsCtrl);
    }

    // ---------------------------------------------------------------- pci_enable_acs and pci=

    [Fact]
    public void Pci_enable_acs_turns_on_only_SV_RR_CR_UF_the_capability_has_and_keeps_the_firmwares_other_bits()
    {
        var port = One("downstream-port", "acs: { cap: [sv, rr, uf, ec, dt, tb], ctrl: [ec] }");
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.UF | AcsFlags.EC, port.AcsCtrl);
        // pci=noats: pci_std_enable_acs adds Translation Blocking where the capability has it
        var noats = One("downstream-port", "acs: { cap: [sv, rr, uf, tb] }", pci: "noats");
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.UF | AcsFlags.TB, noats.AcsCtrl);
    }

    [Fact]
    public void Disable_acs_redir_starts_from_the_firmwares_control_so_the_bits_linux_turned_on_go_too()
    {
        // caps->ctrl = (caps->fw_ctrl & ~mask) | (flags & mask), mask RR|CR|EC, flags 0
        var port = One("root-port", "acs: { cap: [sv, rr, cr, uf], ctrl: [sv] }", pci: "disable_acs_redir=0000:00:02.0");
        Assert.Equal(AcsFlags.SV, port.AcsCtrl);
    }

    [Theory]
    [InlineData("config_acs=1x0x1@0000:00:02.0", AcsFlags.SV | AcsFlags.UF)] // from the right: SV 1, TB kept, RR 0, CR kept, UF 1 — kept bits are the firmware's (none)
    [InlineData("config_acs=111@00:02.0", AcsFlags.SV | AcsFlags.TB | AcsFlags.RR)] // a bus:dev.fn without the segment
    [InlineData("config_acs=1001@pci:abcd:1234", AcsFlags.SV | AcsFlags.CR)] // vendor:device
    [InlineData("config_acs=1001@pci:abcd:0", AcsFlags.SV | AcsFlags.CR)] // 0 matches any device
    [InlineData("config_acs=1001@pci:abcd:4321", AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF)] // another device: the standard enable stands
    [InlineData("config_acs=1001@00:03.0;1111@00:02.0", AcsFlags.SV | AcsFlags.TB | AcsFlags.RR | AcsFlags.CR)] // the second entry names it
    [InlineData("config_acs=1111@00:02.1", AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF)]
    public void Config_acs_applies_its_flags_to_the_device_it_names(string pci, AcsFlags ctrl) =>
        Assert.Equal(ctrl, One("root-port", "id: \"abcd:1234\", " + Acs, pci: pci).AcsCtrl);

    [Theory]
    [InlineData("config_acs=12x1@00:02.0", "Invalid ACS flags... Ignoring")]
    [InlineData("config_acs=00:02.0", "ACS Flags missing")]
    [InlineData("config_acs=10000001@00:02.0", "Invalid ACS flags specified")] // bit 7 is none of SV TB RR CR UF EC DT
    [InlineData("config_acs=1@zz:02.0", "PCI: Can't parse ACS command line parameter")]
    public void A_malformed_config_acs_is_the_kernels_message_and_leaves_the_standard_enable(string pci, string message)
    {
        var host = Host(Soc(F("00:02.0", "type: root-port, secondary: 1, subordinate: 1, " + Acs) + F("00:03.0", "type: root-port, secondary: 2, subordinate: 2, " + Acs)));
        PciAcsSetup.EnableAll(host, PciKernelParams.Parse(pci, out _)!);
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, Pdev(host, "00:02.0").AcsCtrl);
        Assert.Contains(host.Log, l => l.Contains(message, StringComparison.Ordinal));
        if (message.StartsWith("PCI:", StringComparison.Ordinal)) Assert.Single(host.Log); // pr_warn_once, though both ports parse it
    }

    [Fact]
    public void A_path_names_a_device_by_the_bridges_above_it()
    {
        // "0000:00:01.0/00.0/01.0": device 01.0 below device 00.0 below 00:01.0 — the switch's second downstream port
        var soc = Soc(RootPort("00:01.0", 1, 4, Acs) + Upstream("01:00.0", 2, 4) + Downstream("02:00.0", 3, 3, Acs) + Downstream("02:01.0", 4, 4, Acs));
        var host = Host(soc);
        PciAcsSetup.EnableAll(host, PciKernelParams.Parse("disable_acs_redir=0000:00:01.0/00.0/01.0", out _)!);
        Assert.Equal(AcsFlags.None, Pdev(host, "02:01.0").AcsCtrl);
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, Pdev(host, "02:00.0").AcsCtrl);
        var wrong = Host(soc);
        PciAcsSetup.EnableAll(wrong, PciKernelParams.Parse("disable_acs_redir=0000:00:02.0/00.0/01.0", out _)!);
        Assert.Equal(AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, Pdev(wrong, "02:01.0").AcsCtrl);
    }

    [Theory]
    [InlineData("disable_acs_redir=00:01.0,noats", true)]
    [InlineData("noatsx", true)] // strncmp(str, "noats", 5)
    [InlineData("nomsi", false)]
    [InlineData("realloc", false)]
    public void The_pci_parameter_takes_the_modelled_options_and_refuses_others(string text, bool ok)
    {
        var p = PciKernelParams.Parse(text, out var error);
        Assert.Equal(ok, p is not null);
        if (!ok) Assert.Contains("is not modelled", error);
        else Assert.True(p!.NoAts);
    }

    [Theory]
    [InlineData("1@ 0x00:0x02.0", 1)] // vsscanf %x: white space, an 0x prefix
    [InlineData("1@00:02.0x", 1)] // "0x" is a hex prefix with no digits after it: the function reads as 0
    [InlineData("1@00:02.0y", -1)] // a character after the function: neither form reads
    [InlineData("1@00:03.0", 0)]
    [InlineData("1@0:2.0/", -1)]
    public void Pci_dev_str_match_reads_numbers_as_the_kernels_sscanf_does(string entry, int expected)
    {
        var host = Host(Soc(F("00:02.0", "type: root-port, secondary: 1, subordinate: 1")));
        int pos = entry.IndexOf('@') + 1;
        Assert.Equal(expected, PciAcsSetup.StrMatch(host, Pdev(host, "00:02.0"), entry, ref pos));
    }
}
