using ScenarioEngine.Yaml;
using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>
/// Trees written only against the user docs (README, docs/yaml-reference.md, docs/lua-api.md): the contract's own examples run with every expectation
/// holding, and a hostile tree yields one located error per scenario without stopping the run.
/// </summary>
public class ContractTreeTests
{
    private const string ContractSoc = """
        soc: mt8365
        description: MediaTek MT8365 — one multimedia IOMMU, one bank, one IOVA region
        memory:
          - { name: dram, base: 0x40000000, size: 4GiB }
        reserved-memory:
          - name: apu-fw
            base: 0x60000000          # physical, like DT "reg"; omit for IOVA-only reservations
            size: 16MiB
            iommu-addresses:          # like the DT property: which device, which IOVA
              - { device: apu, iova: 0x60000000, size: 16MiB }
        iommus:
          - name: m4u
            driver: mediatek          # family; see docs/modelled.md
            type: mm                  # mediatek: mm | infra | apu
            pgtable: arm-v7s          # default per driver
            ias: 32                   # IOVA bits
            oas: 35                   # output PA bits
            banks: 1                  # banks_num
            banks-enabled: [0]        # default: every bank
            bank-ports: {}            # bank -> port list (banks_portmsk)
            regions:                  # IOVA regions; default: one region [0, 4GiB - 8MiB)
              - { name: r0, base: 0x0, size: 0xff800000 }
            region-ports: {}          # region -> { larbN: [ports] | all }  (iova_region_larb_msk)
            flags: [reset-axi, int-id-port-width-6]
            shares-pgtable-with: []   # other instances on the same hw_list (SHARE_PGTABLE)
        devices:
          - name: apu
            ids: [ { iommu: m4u, larb: 0, port: 10 }, { iommu: m4u, larb: 0, port: 11 } ]
            bus: platform             # platform | pci
            dma-mask: 32
            driver-bound: true        # a probed driver uses the default domain (DMA ownership)
            firmware:                 # addresses the device's firmware was linked for
              - name: code
                iova: 0x60000000
                size: 256MiB
                boot:                 # optional: the accesses the firmware makes when it boots
                  - { iova: 0x60000000, size: 4KiB }
                  - { iova: 0x60100000, size: 64KiB, write: true }
          - name: display
            ids: [ { iommu: m4u, larb: 0, port: 0 } ]
        """;

    private const string ContractScenario = """
        scenario: remoteproc on a shared bank asks for an unmanaged domain
        soc: ../socs/mt8365.yaml     # a path relative to this file, or an inline SoC mapping
        kernel:                      # optional boot-time knobs
          iommu.strict: true         # strict (default) or lazy (flush queue) DMA invalidation
          iommu.passthrough: false   # default domains are identity when true
          fixes: [6fc7e8a3b811]      # upstream fixes on top of Linux 7.0.0 (this one keeps iommu_map's errno)
        script: ../../lua/seed/apu_unmanaged_attach.lua   # or inline:  lua: |
        params: { window: 0x60000000 }                    # handed to the script as `params`
        """;

    private const string Script = """
        local apu, display = soc.device("apu"), soc.device("display")
        expect.eq(soc.name, "mt8365")
        expect.eq(#soc.devices(), 2)
        expect.eq(#soc.groups(), 1)
        expect.eq(soc.iommu("m4u").driver, "mediatek")
        expect.eq(apu.iommu, soc.iommu("m4u"))
        expect.eq(apu.bank, 0)
        expect.eq(apu.region, "r0")
        expect.eq(apu.dma_mask, 32)
        expect.eq(apu.firmware.code.iova, params.window)
        expect.eq(apu.group.name, "group0")
        expect.eq(apu.group.devices[1], apu)
        expect.eq(apu.group.owner_cnt, 2)
        expect.eq(soc.reserved("apu-fw").size, 16 * MiB)
        expect.eq(mem.carveout("apu-fw").base, 0x60000000)

        local d = iommu.domain_alloc(apu, "unmanaged")
        expect.eq(d.type, "unmanaged")
        expect.eq(d.pgsize_bitmap, SZ_4K | SZ_64K | SZ_1M | SZ_16M)
        expect.eq(d.aperture, nil)
        local ok, err, why = iommu.attach_device(d, apu)
        expect.errno(err, "EINVAL")
        expect.ok(type(why) == "string" and why:find("singleton") ~= nil, "the rule names the singleton check")

        local dd = apu.group.default_domain
        expect.eq(iommu.get_domain_for_dev(apu), dd)
        expect.eq(dd.aperture.start, 0)
        expect.eq(dd.aperture.last, 0xff7fffff)
        local buf = mem.alloc(2 * SZ_1M, SZ_1M)
        expect.ok(iommu.map(dd, 0x10000000, buf, 2 * SZ_1M, "rw|cache"))
        expect.eq(iommu.iova_to_phys(dd, 0x10000010), buf + 0x10)
        expect.inside(0x10000000, SZ_4K, { start = dd.aperture.start, last = dd.aperture.last })
        expect.outside(0x10000000, SZ_4K, apu.firmware.code)
        local m = dd:mappings()
        expect.eq(#m, 1)
        expect.eq(m[1].size, 2 * SZ_1M)
        expect.eq(m[1].prot, "rw|cache")
        local walk = iommu.walk(dd, 0x10000000)
        expect.eq(walk[1].level, 1)
        expect.eq(walk[1].pte & 3, 2)
        expect.eq(display:write(0x10000100, 16), buf + 0x100)
        local pa, fault = apu:read(params.window)
        expect.fault(pa, fault)
        expect.eq(fault.kind, "translation")
        expect.eq(fault.device, "apu")
        expect.eq(fault.write, false)
        expect.eq(#sim.events(), 1)
        expect.eq(#iommu.get_resv_regions(apu), 0)
        expect.eq(iommu.unmap(dd, 0x10000000, 2 * SZ_1M), 2 * SZ_1M)
        expect.eq(iommu.unmap(dd, 0x10000000, SZ_4K), 0)
        local _, e2 = iommu.map(dd, 0x1000, 0x40000800, SZ_4K, "r")
        expect.errno(e2, "EINVAL")
        local _, e3 = iommu.group_claim_dma_owner(apu.group)
        expect.errno(e3, "EPERM")
        expect.eq(iommu.unmap_fast(dd, 0, SZ_4K), 0)
        iommu.iotlb_sync(dd)
        iommu.flush_iotlb_all(dd)
        mem.free(buf, 2 * SZ_1M)
        report.section("done")
        report.note("contract tour complete")
        report.mappings(dd)
        iommu.domain_free(d)
        """;

    [Fact]
    public void The_contract_examples_run_with_every_expectation_holding()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/mt8365.yaml", ContractSoc);
        tree.Write("lua/seed/apu_unmanaged_attach.lua", Script);
        var path = tree.Write("scenarios/seed/contract.yaml", ContractScenario);
        var r = ScenarioRunner.Run(path, new RunOptions { Jobs = 1 });
        Assert.Null(r.Error);
        Assert.Equal(0, r.ExpectationsFailed);
        Assert.True(r.ExpectationsPassed >= 40);
    }

    [Fact]
    public void The_dma_and_iova_modules_follow_the_contract()
    {
        using var tree = new TestTree();
        var path = tree.Scenario("dma", """
            local apu = soc.device("apu")
            dma.set_mask(apu, 32)
            local sg_iova, nents = dma.map_sg(apu, { { 0x40000800, 0x1000 }, { 0x40010000, 0x2000 } }, "to_device")
            expect.eq(sg_iova, 0xff7fc800)
            expect.eq(nents, 2)
            local h = dma.map_single(apu, 0x40020000, 0x1000, "from_device")
            expect.eq(h, 0xff7fb000)
            expect.ok(dma.unmap_single(apu, h, 0x1000, "from_device"))
            local ci, cpa = dma.alloc_coherent(apu, 0x3000)
            expect.eq(ci, 0xff7f4000)
            expect.eq(iommu.iova_to_phys(apu.group.default_domain, ci), cpa)
            expect.ok(dma.free_coherent(apu, 0x3000, ci))
            expect.eq(sim.advance(25), 25)
            local d = iova.init_domain(SZ_4K, 1)
            expect.eq(iova.alloc(d, 3, 0xfffff, false), 0xffffd)
            expect.eq(iova.reserve(d, 0x100, 0x1ff).lo, 0x100)
            expect.eq(iova.find(d, 0x150).hi, 0x1ff)
            iova.free(d, 0x150)
            expect.eq(iova.find(d, 0x150), nil)
            expect.eq(iova.alloc_fast(d, 5, 0xfffff, true), 0xffff0)
            iova.free_fast(d, 0xffff0, 5)
            iova.flush_cpu_rcache(d)
            iova.flush_global_rcache(d)
            expect.eq(#iova.dump(d), 1)
            expect.eq(iova.state(d).cached32_node.lo, 0xffffd)
            expect.eq(iova.state(d).dma_32bit_pfn, 0x100000)
            """);
        var r = ScenarioRunner.Run(path, new RunOptions { Jobs = 1 });
        Assert.Null(r.Error);
        Assert.True(r.ExpectationsFailed == 0, string.Join("\n", r.Log.Expectations.Where(e => !e.Passed).Select(e => $"{e.Line}: {e.Text} {e.Detail}")));
        Assert.Equal(16, r.ExpectationsPassed);
    }

    [Fact]
    public void A_hostile_tree_yields_one_located_error_per_scenario_and_no_crash()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        var cases = new Dictionary<string, (string Yaml, ErrorCode Code, int Line)>
        {
            ["typo"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nkernal: {}\nlua: |\n  local a = 1\n", ErrorCode.UnknownKey, 3),
            ["badref"] = ("scenario: a\nsoc: ../socs/none.yaml\nlua: |\n  local a = 1\n", ErrorCode.FileNotFound, 2),
            ["badscript"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nscript: nowhere.lua\n", ErrorCode.FileNotFound, 3),
            ["syntax"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  local a = = 1\n", ErrorCode.LuaSyntax, 4),
            ["yaml"] = ("scenario: a\nsoc: [\n", ErrorCode.YamlSyntax, 3),
            ["runaway"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  local n = 0\n  while true do n = n + 1 end\n", ErrorCode.InstructionBudget, 5),
            ["bomb"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  local t = {}\n  while true do t[#t + 1] = string.rep('z', 1 << 20) .. #t end\n", ErrorCode.MemoryBudget, 5),
            ["escape"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  os.execute('rm -rf /')\n", ErrorCode.LuaRuntime, 4),
            ["requireout"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  require('..etc.passwd')\n", ErrorCode.LuaRuntime, 4),
            ["unknowndev"] = ("scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  soc.device('gpu')\n", ErrorCode.LuaRuntime, 4),
            ["inline-soc"] = ("scenario: a\nsoc:\n  soc: x\n  memory: []\n  devics: []\nlua: |\n  local a = 1\n", ErrorCode.UnknownKey, 5),
        };
        var paths = cases.Keys.Select(k => tree.Write($"scenarios/h/{k}.yaml", cases[k].Yaml)).ToList();
        var results = ScenarioRunner.RunAll(paths, new RunOptions { Jobs = 2, Budgets = new Scripting.Budgets(5_000_000, 16L << 20, TimeSpan.FromSeconds(30)) });
        foreach (var r in results)
        {
            var name = Path.GetFileNameWithoutExtension(r.Path);
            var (_, code, line) = cases[name];
            Assert.True(r.Error is not null, name + " should fail");
            Assert.Equal((name, code, line), (name, r.Error!.Code, r.Error.Where.Line));
            Assert.Contains($"scenarios/h/{name}.yaml", r.Error.ToString());
            Assert.Contains("**failed** — error " + r.Error.CodeText, r.Report);
        }
    }
}
