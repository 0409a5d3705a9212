using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using static ScenarioEngine.Tests.Pci.PciBoard;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// p2p-across-groups (Pci.PciP2p): where Linux 7.0's groups are weaker than the hardware. From the
/// ACS semantics (PCIe r6.0 §6.12): a port that does not redirect requests from below (P2P Request
/// Redirect, as pci_acs_enabled(port, PCI_ACS_RR) judges it) routes them across its bus to a
/// sibling, a function without RR reaches its device's other functions, a conventional bus is shared;
/// a hazard is such a path between devices pci_device_group put in different groups.
/// </summary>
public class PciP2pTests
{
    private static string Switch(string dspKeys) => RootPort("00:01.0", 1, 4, Acs) + Upstream("01:00.0", 2, 4)
        + Downstream("02:00.0", 3, 3, dspKeys) + Downstream("02:01.0", 4, 4, dspKeys) + Endpoint("03:00.0") + Endpoint("04:00.0");

    [Fact]
    public void Endpoints_below_two_downstream_ports_of_a_switch_without_ACS_reach_each_other_across_their_groups()
    {
        var core = Boot(Soc(Switch("")));
        var h = Assert.Single(core.PciHazards);
        Assert.Equal(("0000:02:00.0", "0000:02:01.0", true), (h.From.Name, h.To.Name, h.BothWays));
        Assert.Equal(["0000:03:00.0", "0000:04:00.0"], h.Devices.Select(d => d.Name));
        Assert.Equal(AcsFlagNames.Required, h.Missing);
        Assert.Contains("0000:03:00.0 (group2) → 0000:04:00.0 (group3)", h.Text);
        // the hazard is an event of its own kind, at boot
        var e = Assert.Single(core.Machine.Log.Events);
        Assert.Equal((EventKind.P2pAcrossGroups, "0000:03:00.0"), (e.Kind, e.Device));
    }

    [Fact]
    public void Downstream_ports_that_redirect_peer_requests_leave_no_hazard()
    {
        Assert.Empty(Boot(Soc(Switch(Acs))).PciHazards);
        // RR alone is what the path needs (the kernel still groups the endpoint with a port lacking SV)
        var rrOnly = Boot(Soc(Switch("acs: { cap: [sv, rr, cr, uf], ctrl: [] }")), KernelKnobs.Default with { Pci = "config_acs=0xx1x0@02:00.0;0xx1x0@02:01.0" });
        Assert.Empty(rrOnly.PciHazards);
        Assert.Equal("00:01.0 | 01:00.0 | 02:00.0,03:00.0 | 02:01.0,04:00.0", Groups(rrOnly));
        // a capability without RR counts as hard-wired redirecting, as pci_acs_flags_enabled takes it
        Assert.Empty(Boot(Soc(Switch("acs: { cap: [sv, cr, uf] }"))).PciHazards);
    }

    [Fact]
    public void One_port_without_redirect_is_a_hazard_one_way()
    {
        var soc = RootPort("00:01.0", 1, 4, Acs) + Upstream("01:00.0", 2, 4) + Downstream("02:00.0", 3, 3) + Downstream("02:01.0", 4, 4, Acs) + Endpoint("03:00.0") + Endpoint("04:00.0");
        var h = Assert.Single(Boot(Soc(soc)).PciHazards);
        Assert.False(h.BothWays);
        Assert.Equal("0000:02:00.0", h.From.Name);
        Assert.Equal([("0000:03:00.0", "0000:04:00.0")], h.Pairs.Select(p => (p.Master.Name, p.Target.Name)));
    }

    [Fact]
    public void A_function_without_ACS_reaches_its_sibling_with_ACS_inside_the_device()
    {
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "acs: { cap: [rr, cr] }") + Endpoint("01:00.1")));
        var h = Assert.Single(core.PciHazards);
        Assert.Equal(("0000:01:00.1", "0000:01:00.0", false), (h.From.Name, h.To.Name, h.BothWays));
        Assert.Contains("are functions of one device", h.Text);
    }

    [Fact]
    public void Devices_the_kernel_already_groups_together_are_no_hazard()
    {
        Assert.Empty(Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0") + Endpoint("01:00.1"))).PciHazards);
        Assert.Empty(Boot(Soc(RootPort("00:1c.0", 1, 1) + RootPort("00:1c.1", 2, 2) + Endpoint("01:00.0") + Endpoint("02:00.0"))).PciHazards);
    }

    [Fact]
    public void Root_ports_are_not_taken_to_reach_each_other_through_the_root_complex()
    {
        // separate single-function root ports without ACS: separate groups, and no hazard (PCIe leaves
        // root-complex peer-to-peer to the implementation; Linux 7.0 assumes it does not happen)
        var core = Boot(Soc(RootPort("00:01.0", 1, 1) + RootPort("00:02.0", 2, 2) + Endpoint("01:00.0") + Endpoint("02:00.0")));
        Assert.Equal("00:01.0,01:00.0 | 00:02.0,02:00.0", Groups(core));
        Assert.Empty(core.PciHazards);
    }

    [Fact]
    public void Conventional_devices_on_a_root_bus_share_it_yet_get_groups_of_their_own()
    {
        // pci_device_group never walks a root bus, so each single-function conventional device is a group
        var core = Boot(Soc(F("00:01.0", "type: pci") + F("00:02.0", "type: pci")));
        Assert.Equal("00:01.0 | 00:02.0", Groups(core));
        var h = Assert.Single(core.PciHazards);
        Assert.True(h.BothWays);
        Assert.Contains("on the conventional PCI bus 0000:00 every device sees every transaction", h.Text);
    }
}
