using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>
/// `scenario advise` for PCI masters (docs/advise.md): own-stream does not apply to a PCI function,
/// acs-isolation adds the ACS pci_device_group asks for (and says when none can help), and a working
/// strategy on a SoC where another group's device reaches the device without the IOMMU carries the
/// p2p-across-groups hazard.
/// </summary>
public class PciAdviceTests
{
    private static SocAdvice Advise(string socName, string device, ulong size = 0x100000)
    {
        var path = Path.Combine(RepoRoot.Path, "scenarios", "socs", socName + ".yaml");
        var layout = ProjectLayout.For(path);
        var display = layout.Display(path);
        var soc = SocLoader.LoadFile(path, display, layout.Root, new SourceSpan(display, 0, 0));
        return Advisor.Advise(soc, display, new AdviceRequest(device, null, 0x4000_0000, size), KernelKnobs.Default, layout, new RunOptions(), new SourceSpan(display, 0, 0)).Advice;
    }

    private static StrategyOutcome Of(SocAdvice a, string id) => a.Strategies.Single(s => s.Id == id);

    [Fact]
    public void A_GPU_sharing_its_group_with_its_audio_function_is_isolated_by_ACS_between_the_functions()
    {
        var a = Advise("workstation-smmu-v3", "gpu");
        Assert.Equal((Verdict.Fails, "EINVAL"), (Of(a, "unmanaged-attach-device").Verdict, Of(a, "unmanaged-attach-device").Errno));
        Assert.Equal(Verdict.NotApplicable, Of(a, "own-stream").Verdict);
        Assert.Contains("requester IDs through its host bridge's iommu-map", Of(a, "own-stream").Rule);
        var acs = Of(a, "acs-isolation");
        Assert.Equal(Verdict.Works, acs.Verdict);
        Assert.Equal(ChangeKind.Hardware, acs.Change!.Kind);
        Assert.Equal([" pci:", "   - name: pcie", "     functions:", "       - bdf: \"0000:01:00.0\"  # endpoint", "+        acs: { cap: [rr, cr] }",
            "       - bdf: \"0000:01:00.1\"  # endpoint", "+        acs: { cap: [rr, cr] }"], acs.Change.Diff);
        Assert.Equal("acs-isolation", a.Best!.Id);
    }

    [Fact]
    public void Behind_a_switch_without_ACS_a_working_strategy_carries_the_p2p_hazard_unless_both_ports_get_ACS()
    {
        var a = Advise("workstation-smmu-v3", "capture");
        var group = Of(a, "unmanaged-attach-group");
        Assert.Equal(Verdict.WorksWithHazards, group.Verdict);
        Assert.Contains(group.Hazards, h => h.Kind == HazardKinds.P2pAcrossGroups && h.Text.Contains("0000:08:00.0 (switch downstream port)", StringComparison.Ordinal));
        var acs = Of(a, "acs-isolation");
        Assert.Equal(Verdict.Works, acs.Verdict); // the sibling port gets ACS too, so nic-b's requests are redirected
        Assert.Contains("0000:08:01.0 (switch downstream port: SV RR CR UF)", acs.Change!.Summary);
    }

    [Fact]
    public void No_ACS_can_part_devices_on_a_conventional_bus_or_sharing_a_requester_ID_and_a_platform_master_is_not_PCI()
    {
        var bridge = Advise("legacy-pci-two-smmus", "0000:02:04.0");
        Assert.Equal(Verdict.NotApplicable, Of(bridge, "acs-isolation").Verdict);
        Assert.Contains("conventional PCI function", Of(bridge, "acs-isolation").Rule);
        var ricoh = Advise("legacy-pci-two-smmus", "0000:03:00.1");
        Assert.Contains("are DMA aliases", Of(ricoh, "acs-isolation").Rule);
        var platform = Advise("smmu-v3-example", "apu");
        Assert.Contains("not a function of the SoC's PCI topology", Of(platform, "acs-isolation").Rule);
    }
}
