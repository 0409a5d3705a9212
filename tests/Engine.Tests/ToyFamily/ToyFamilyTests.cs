using ScenarioEngine.Drivers;
using ScenarioEngine.Running;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.ToyFamily;

/// <summary>A family defined entirely in one test folder plugs into the single list and runs a whole scenario: SoC file, boot, DMA API, device traffic, faults, report.</summary>
public class ToyFamilyTests
{
    private const string Soc = """
        soc: toy-board
        memory:
          - { name: dram, base: 0x8000_0000, size: 256MiB }
        iommus:
          - { name: tiny, driver: toy }
        devices:
          - name: gpu
            ids: [ { iommu: tiny, stream: 1 } ]
          - name: npu
            ids: [ { iommu: tiny, stream: 2 } ]
        """;

    private const string Lua = """
        local gpu = soc.device("gpu")
        expect.ok(gpu.group ~= soc.device("npu").group, "one group per master")
        local iova = dma.alloc_coherent(gpu, 0x2000)
        local pa = gpu:read(iova)
        expect.ok(pa ~= nil, "the DMA API's IOVA translates")
        local pa2, fault = gpu:read(0x1000)
        expect.fault(pa2, fault, "an unmapped IOVA faults")
        expect.eq(fault.fault_address, 0x1000, "the toy's fault register holds the address")
        """;

    [Fact]
    public void A_family_in_one_test_folder_plugs_into_the_list_and_runs_a_scenario_end_to_end()
    {
        using var tree = new TestTree();
        var path = tree.Scenario("toy", Lua, Soc);
        using (Families.Plug(new ToyFamily()))
        {
            Assert.Contains(Families.All, f => f.Name == "toy");
            var r = ScenarioRunner.Run(path, SandboxTests.Small);
            Assert.Null(r.Error);
            Assert.Equal((4, 0), (r.ExpectationsPassed, r.ExpectationsFailed));
            Assert.Contains("| tiny | toy | toy | arm-lpae-s1 | 32 | 40 | none | — | — |", r.Report);
            Assert.Contains("toy: one group per master", r.Report);
            Assert.Contains("| gpu | tiny | toy stream 1 | group0 |", r.Report);
            Assert.Contains("TOY_FAR 0x1000; report_iommu_fault → -38", r.Report);
            Assert.Contains("subgraph i0s0[\"toy context\"]", r.Report);
        }
        Assert.DoesNotContain(Families.All, f => f.Name == "toy");
    }

    [Fact]
    public void Without_the_plug_the_same_soc_is_an_unknown_driver()
    {
        using var tree = new TestTree();
        var r = ScenarioRunner.Run(tree.Scenario("toy", Lua, Soc), SandboxTests.Small);
        Assert.Equal(ErrorCode.UnsupportedDriver, r.Error!.Code);
        Assert.Contains("unknown driver 'toy'", r.Error.Message);
    }

    [Fact]
    public void A_family_name_already_in_the_list_cannot_be_plugged_twice()
    {
        using var toy = Families.Plug(new ToyFamily());
        Assert.Throws<ArgumentException>(() => Families.Plug(new ToyFamily()));
    }
}
