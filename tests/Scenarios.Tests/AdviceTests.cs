using NJsonSchema;
using ScenarioEngine.Advice;
using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>`scenario advise` (docs/advise.md): verdicts from what each strategy's generated run showed.</summary>
public class AdviceTests
{
    private static string Root => RepoRoot.Path;

    private static (Soc Soc, string Display, ProjectLayout Layout) Shipped(string name)
    {
        var path = Path.Combine(Root, "scenarios", "socs", name + ".yaml");
        var layout = ProjectLayout.For(path);
        var display = layout.Display(path);
        return (SocLoader.LoadFile(path, display, layout.Root, new SourceSpan(display, 0, 0)), display, layout);
    }

    private static SocAdvice Advise(string socName, AdviceRequest request, KernelKnobs? kernel = null)
    {
        var (soc, display, layout) = Shipped(socName);
        return Advisor.Advise(soc, display, request, kernel ?? KernelKnobs.Default, layout, new RunOptions(), new SourceSpan(display, 0, 0)).Advice;
    }

    private static SocAdvice AdviseInline(string yaml, AdviceRequest request)
    {
        var soc = SocLoader.Load(YamlTree.Parse(yaml, "inline.yaml"), "inline.yaml");
        var layout = ProjectLayout.For(Path.Combine(Root, "scenarios", "socs", "inline.yaml"));
        return Advisor.Advise(soc, "inline.yaml", request, KernelKnobs.Default, layout, new RunOptions(), new SourceSpan("inline.yaml", 0, 0)).Advice;
    }

    private static StrategyOutcome Of(SocAdvice a, string id) => a.Strategies.Single(s => s.Id == id);

    private static string Snapshot(string relative) => File.ReadAllText(Path.Combine(Root, "snapshots", relative + ".verified.md"));

    [Fact]
    public void The_founding_case_on_MT8365_agrees_with_the_seed_scenarios_strategy_by_strategy()
    {
        var a = Advise("mt8365", new AdviceRequest("apu"));
        Assert.Equal(Strategies.All.Select(s => s.Id), a.Strategies.Select(s => s.Id));

        var device = Of(a, "unmanaged-attach-device");
        Assert.Equal((Verdict.Fails, "EINVAL"), (device.Verdict, device.Errno));
        Assert.Contains("iommu_attach_device only attaches singleton groups", device.Rule);
        Assert.Contains("`iommu.attach_device(domain#2, apu)` | **-EINVAL**", Snapshot("seed/unmanaged-on-shared-bank"));

        var group = Of(a, "unmanaged-attach-group");
        Assert.Equal(Verdict.WorksWithHazards, group.Verdict);
        var moved = Assert.Single(group.Hazards);
        Assert.Equal(HazardKinds.MovesOtherMasters, moved.Kind);
        Assert.StartsWith("display, mdp, venc, camsys, vdec left their DMA domain for domain#2", moved.Text);
        Assert.Contains("| passed |", Snapshot("seed/attach-group-hazard")); // the seed: attach_group works and moves every master

        var claim = Of(a, "claim-dma-owner");
        Assert.Equal((Verdict.Fails, "EPERM"), (claim.Verdict, claim.Errno));
        Assert.Contains("**-EPERM**", Snapshot("seed/attach-group-hazard"));

        var addresses = Of(a, "iommu-addresses");
        Assert.Equal(Verdict.Fails, addresses.Verdict);
        Assert.Equal(ChangeKind.DeviceTree, addresses.Change!.Kind);
        Assert.Contains("does not report the device tree's iommu-addresses", addresses.Rule);
        Assert.Contains("ignored", File.ReadAllText(Path.Combine(Root, "scenarios", "seed", "iommu-addresses-ignored.yaml")) + Snapshot("seed/iommu-addresses-ignored"));

        var dma = Of(a, "dma-api");
        Assert.Equal(Verdict.Fails, dma.Verdict);
        Assert.Equal("dma_alloc_coherent put the 256 MiB buffer at IOVA 0xe0000000, not 0x60000000", dma.Note);
        Assert.Equal(HazardKinds.WindowMissed, Assert.Single(dma.Hazards).Kind);

        var region = Of(a, "own-region");
        Assert.Equal(Verdict.WorksWithHazards, region.Verdict);
        Assert.Equal([HazardKinds.SharedPageTable], region.Hazards.Select(h => h.Kind));
        Assert.Equal(ChangeKind.PlatformData, region.Change!.Kind);
        Assert.Contains("+    region-ports: { r0: { larb0: [0-9, 12-31], larb1: all, larb2: all, larb3: all }, apu-fw: { larb0: [10-11] } }", region.Change.Diff);
        Assert.Contains("region 0's DMA domain translates the window too", File.ReadAllText(Path.Combine(Root, "lua", "seed", "own_region.lua")));

        var identity = Of(a, "identity");
        Assert.Equal(Verdict.WorksWithHazards, identity.Verdict);
        Assert.Equal([HazardKinds.NoIsolation], identity.Hazards.Select(h => h.Kind));

        Assert.Equal(Verdict.NotApplicable, Of(a, "own-bank").Verdict);
        Assert.Contains("banks_num 1 in mt8365_data", Of(a, "own-bank").Rule);
        Assert.Equal(Verdict.NotApplicable, Of(a, "own-stream").Verdict);
        Assert.Equal("own-region", a.Best!.Id); // the lightest hazards of the three that work
    }

    private const string Banked = """
        soc: banked
        memory:
          - { name: dram, base: 0x4000_0000, size: 4GiB }
        iommus:
          - name: infra
            driver: mediatek
            type: infra
            banks: 5
            banks-enabled: [0, 4]
            bank-ports: { 0: [16-19], 4: [20-31] }
        devices:
          - name: pcie
            ids: [ { iommu: infra, larb: 0, port: 16 } ]
          - name: apu
            ids: [ { iommu: infra, larb: 0, port: 17 } ]
            firmware:
              - { name: code, iova: 0x6000_0000, size: 16MiB, boot: [ { iova: 0x6000_0000, size: 4KiB } ] }
        """;

    [Fact]
    public void Moving_the_APUs_port_to_a_bank_of_its_own_turns_unmanaged_attach_device_from_fails_into_works_with_hazards()
    {
        var shared = AdviseInline(Banked, new AdviceRequest("apu"));
        var before = Of(shared, "unmanaged-attach-device");
        Assert.Equal((Verdict.Fails, "EINVAL"), (before.Verdict, before.Errno));

        var bank = Of(shared, "own-bank");
        Assert.Equal(Verdict.WorksWithHazards, bank.Verdict);
        Assert.Equal([HazardKinds.SharedPageTable], bank.Hazards.Select(h => h.Kind));
        Assert.Equal(ChangeKind.PlatformData, bank.Change!.Kind);
        Assert.Equal(
            [" iommus:", "   - name: infra", "-    banks-enabled: [0, 4]", "+    banks-enabled: [0, 1, 4]",
             "-    bank-ports: { 0: [16-19], 4: [20-31] }", "+    bank-ports: { 0: [16, 18-19], 1: [17], 4: [20-31] }"],
            bank.Change.Diff);

        var own = AdviseInline(Banked.Replace("bank-ports: { 0: [16-19], 4: [20-31] }", "bank-ports: { 0: [16, 18-19], 4: [17, 20-31] }"), new AdviceRequest("apu"));
        var after = Of(own, "unmanaged-attach-device");
        Assert.Equal(Verdict.WorksWithHazards, after.Verdict);
        Assert.Null(after.Errno);
        Assert.StartsWith("iommu_attach_device accepts group1: apu is its only device", after.Rule);
        Assert.Equal([HazardKinds.SharedPageTable], after.Hazards.Select(h => h.Kind));
        Assert.Equal(ChangeKind.None, Of(own, "own-bank").Change!.Kind); // bank 4 is already its own
    }

    [Fact]
    public void Own_stream_gives_a_master_that_shares_a_stream_one_no_other_master_matches()
    {
        var a = Advise("smmu-v2-example", new AdviceRequest("vdec", Iova: 0x4000_0000, Size: 0x10_0000));
        Assert.Equal((Verdict.Fails, "EINVAL"), (Of(a, "unmanaged-attach-device").Verdict, Of(a, "unmanaged-attach-device").Errno));
        var stream = Of(a, "own-stream");
        Assert.Equal(Verdict.Works, stream.Verdict);
        Assert.Equal(ChangeKind.DeviceTree, stream.Change!.Kind);
        Assert.Equal([" devices:", "   - name: vdec", "-    ids: [{ iommu: smmu, stream: 0x800 }, { iommu: smmu, stream: 0x801 }]", "+    ids: [{ iommu: smmu, stream: 0x1001 }]"], stream.Change.Diff);
        // attach_group takes the camera along: the camera's DMA now goes through the firmware's domain
        var group = Of(a, "unmanaged-attach-group");
        Assert.Equal(Verdict.WorksWithHazards, group.Verdict);
        Assert.Contains(group.Hazards, h => h.Kind == HazardKinds.MovesOtherMasters && h.Text.StartsWith("camera left", StringComparison.Ordinal));
    }

    [Fact]
    public void On_smmu_v3_own_stream_gives_back_the_iommu_of_a_master_that_shares_a_stream_id()
    {
        const string yaml = """
            soc: s
            memory:
              - { name: dram, base: 0x8000_0000, size: 1GiB }
            iommus:
              - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }
            devices:
              - { name: dsp, ids: [ { iommu: smmu, stream: 0x1000 } ] }
              - { name: apu, ids: [ { iommu: smmu, stream: 0x1000 } ] }
              - { name: gpu, ids: [ { iommu: smmu, stream: 0x2000 } ] }
            """;
        var a = AdviseInline(yaml, new AdviceRequest("apu", Iova: 0x4000_0000, Size: 0x10_0000));
        Assert.Equal((Verdict.Fails, "ENODEV"), (Of(a, "unmanaged-attach-device").Verdict, Of(a, "unmanaged-attach-device").Errno));
        var stream = Of(a, "own-stream");
        Assert.Equal(Verdict.Works, stream.Verdict);
        // the lowest stream ID above every other master's
        Assert.Equal([" devices:", "   - name: apu", "-    ids: [{ iommu: smmu, stream: 0x1000 }]", "+    ids: [{ iommu: smmu, stream: 0x2001 }]"], stream.Change!.Diff);
        Assert.Contains("arm_smmu_insert_master", stream.Source, StringComparison.Ordinal);
        // a master whose stream ID is its own needs no change
        Assert.Equal(ChangeKind.None, Of(AdviseInline(yaml, new AdviceRequest("gpu", Iova: 0x4000_0000, Size: 0x10_0000)), "own-stream").Change!.Kind);
    }

    /// <summary>One master with a 1 MiB firmware window and no `boot:` list, behind an IOMMU of each family.</summary>
    public static TheoryData<string, string> FamiliesWithoutBoot => new()
    {
        { "mediatek", "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4u, larb: 0, port: 10 } ]\n" },
        { "arm-smmu", "iommus:\n  - { name: smmu, driver: arm-smmu, type: smmu-v2, pgtable: arm-lpae-s1, banks: 8 }\ndevices:\n  - name: apu\n    ids: [ { iommu: smmu, stream: 0x1000 } ]\n" },
        { "arm-smmu-v3", "iommus:\n  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }\ndevices:\n  - name: apu\n    ids: [ { iommu: smmu, stream: 0x1000 } ]\n" },
    };

    [Theory]
    [MemberData(nameof(FamiliesWithoutBoot))]
    public void A_window_the_SoC_file_gives_without_boot_accesses_is_probed_at_its_first_and_last_page_on_every_family(string family, string iommuAndDevice)
    {
        var yaml = $"soc: {family}-board\nmemory:\n  - {{ name: dram, base: 0x4000_0000, size: 2GiB }}\n" + iommuAndDevice +
                   "    firmware:\n      - { name: code, iova: 0x6000_0000, size: 1MiB }\n";
        var a = AdviseInline(yaml, new AdviceRequest("apu"));
        // the device is alone in its group: the unmanaged attach works, and the probe saw both pages reach the firmware
        var attach = Of(a, "unmanaged-attach-device");
        Assert.True(attach.Verdict == Verdict.Works, $"{family}: {attach.Verdict.Name()} — {attach.Rule}; {string.Join("; ", attach.Hazards.Select(h => h.Kind + ": " + h.Text))}");
        foreach (var s in a.Strategies)
            Assert.DoesNotContain(s.Hazards, h => h.Text.Contains("made no access to the window", StringComparison.Ordinal));
        // the generated run replayed exactly the first and the last page
        var soc = SocLoader.Load(YamlTree.Parse(yaml, "inline.yaml"), "inline.yaml");
        var run = Advisor.Advise(soc, "inline.yaml", new AdviceRequest("apu"), KernelKnobs.Default, ProjectLayout.For(Path.Combine(Root, "scenarios", "socs", "inline.yaml")), new RunOptions(), default);
        var report = run.Runs.Single(r => r.Id == "unmanaged-attach-device").Report;
        Assert.Contains("advise: boot 0x60000000 reached", report);
        Assert.Contains("advise: boot 0x600ff000 reached", report);
    }

    [Fact]
    public void A_window_the_device_tree_gives_through_iommu_addresses_and_memory_region_is_the_devices_firmware_window()
    {
        // as `scenario import dtb` writes a remote processor: no firmware entry, the window in reserved-memory
        const string yaml = """
            soc: imported
            memory:
              - { name: dram, base: 0x4000_0000, size: 2GiB }
            reserved-memory:
              - { name: rproc, base: 0x5000_0000, size: 1MiB, iommu-addresses: [ { device: r5, iova: 0x5000_0000, size: 1MiB } ] }
              - { name: other, size: 1MiB, iommu-addresses: [ { device: r5, iova: 0x7000_0000, size: 1MiB } ] }
            iommus:
              - { name: smmu, driver: arm-smmu, type: smmu-v2, pgtable: arm-lpae-s1, banks: 8 }
            devices:
              - name: r5
                memory-region: [rproc]
                ids: [ { iommu: smmu, stream: 0x14c0 } ]
            """;
        var soc = SocLoader.Load(YamlTree.Parse(yaml, "inline.yaml"), "inline.yaml");
        // only the node its memory-region links counts (of_iommu_get_resv_regions reads no other)
        var target = AdviceTarget.Resolve(soc, new AdviceRequest("r5"), default);
        Assert.Equal((WindowSource.IommuAddresses, "rproc", 0x5000_0000UL, 0x10_0000UL), (target.Source, target.Window.Name, target.Window.Iova, target.Window.Size));
        Assert.Equal([0x5000_0000UL, 0x500f_f000UL], target.Window.Boot.Select(b => b.Iova));
        Assert.Same(target.Window, target.Soc.FindDevice("r5")!.Firmware.Single());
        Assert.Empty(soc.FindDevice("r5")!.Firmware); // the SoC itself is not changed
        Assert.Equal("rproc", AdviceTarget.Resolve(soc, new AdviceRequest("r5", "rproc"), default).Window.Name);

        var a = AdviseInline(yaml, new AdviceRequest("r5"));
        Assert.Equal(("rproc", 0x5000_0000UL), (a.Window, a.Iova));
        Assert.Equal(Verdict.Works, Of(a, "unmanaged-attach-device").Verdict);
        // the iommu-addresses strategy finds the node already there: reg equals the window, nothing to change
        Assert.Equal(ChangeKind.None, Of(a, "iommu-addresses").Change!.Kind);

        // a firmware entry with the node's range is that window, not a second one
        var both = SocLoader.Load(YamlTree.Parse(yaml + "\n    firmware: [ { name: code, iova: 0x5000_0000, size: 1MiB } ]\n", "inline.yaml"), "inline.yaml");
        Assert.Equal((WindowSource.Firmware, "code"), (AdviceTarget.Resolve(both, new AdviceRequest("r5"), default).Source, AdviceTarget.Resolve(both, new AdviceRequest("r5"), default).Window.Name));
    }

    [Fact]
    public void A_strategy_that_works_only_with_an_upstream_fix_fails_as_released_and_names_the_fix()
    {
        var released = Of(Advise("smmu-v2-direct-window", new AdviceRequest("apu")), "iommu-addresses");
        Assert.Equal(Verdict.Fails, released.Verdict);
        var fix = Assert.Single(released.Hazards, h => h.Kind == HazardKinds.NeedsKernelFix);
        Assert.Equal("works on Linux 7.0.0 + 6fc7e8a3b811 (6fc7e8a3b811: \"iommu: Fix loss of errno on map failure for classic ops\")", fix.Text);

        var fixedKernel = Of(Advise("smmu-v2-direct-window", new AdviceRequest("apu"), KernelKnobs.Default with { Fixes = [KernelFixes.MapErrno] }), "iommu-addresses");
        Assert.Equal(Verdict.Works, fixedKernel.Verdict);
        Assert.StartsWith("of_iommu_get_resv_regions gives an IOMMU_RESV_DIRECT region", fixedKernel.Rule);
    }

    [Fact]
    public void Every_shipped_SoC_with_a_firmware_window_is_advised_without_an_engine_or_script_error()
    {
        int advised = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "scenarios", "socs"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var (soc, _, _) = Shipped(Path.GetFileNameWithoutExtension(file));
            foreach (var dev in soc.Devices.Where(d => d.Firmware.Count > 0 && d.Ids.Count > 0))
                foreach (var w in dev.Firmware)
                {
                    var a = Advise(Path.GetFileNameWithoutExtension(file), new AdviceRequest(dev.Name, w.Name));
                    Assert.Equal(Strategies.All.Count, a.Strategies.Count);
                    foreach (var s in a.Strategies)
                        Assert.False(s.Rule.StartsWith("SE2", StringComparison.Ordinal), $"{soc.Name}/{dev.Name}/{s.Id}: {s.Rule}");
                    advised++;
                }
        }
        Assert.True(advised >= 7, $"only {advised} firmware windows in the shipped SoC files");
    }

    [Fact]
    public void Any_page_aligned_window_is_advised_with_verdicts_never_a_script_or_engine_error()
    {
        var random = new Random(1130);
        ulong[] sizes = [0x1000, 0x20_0000, 0x1000_0000, 0x8000_0000_0000];
        for (int i = 0; i < 10; i++)
        {
            var soc = i % 2 == 0 ? "mt8365" : "smmu-v2-example";
            ulong size = sizes[random.Next(sizes.Length)];
            ulong iova = (ulong)random.NextInt64(0, 1L << 40) & ~0xfffUL;
            if (iova > ulong.MaxValue - size) continue;
            var a = Advise(soc, new AdviceRequest("apu", Iova: iova, Size: size));
            foreach (var s in a.Strategies)
                Assert.False(s.Rule.StartsWith("SE2", StringComparison.Ordinal), $"{soc} [{iova:x}, +{size:x}) {s.Id}: {s.Rule}");
        }
        // larger than DRAM: iommu-addresses has no DRAM for reg, so an IOVA-only node, and no script error
        var huge = Of(Advise("mt8365", new AdviceRequest("apu", Iova: 0, Size: 0x8000_0000_0000)), "iommu-addresses");
        Assert.Equal(Verdict.Fails, huge.Verdict);
        Assert.Contains("an IOVA-only reserved-memory node", huge.Change!.Summary);
    }

    [Fact]
    public void On_a_SoC_whose_SMMU_did_not_register_only_identity_works_and_the_rules_say_why()
    {
        // zynqmp.yaml: 21 groups for 16 context banks, so the SMMU unregisters and gem0 has no IOMMU;
        // with iommu.passthrough=1 no default domain needs a context bank and the SMMU registers.
        var a = Advise("zynqmp", new AdviceRequest("gem0", Iova: 0x1000_0000, Size: 0x10_0000));
        Assert.Equal((Verdict.Fails, "ENODEV"), (Of(a, "unmanaged-attach-device").Verdict, Of(a, "unmanaged-attach-device").Errno));
        Assert.Equal("gem0 has no IOMMU group: its IOMMU did not take it at probe, so there is no group to claim or attach", Of(a, "claim-dma-owner").Rule);
        Assert.StartsWith("dma-direct: with no translating domain the DMA address is the buffer's physical address (0x0)", Of(a, "dma-api").Rule);
        Assert.Equal(Verdict.WorksWithHazards, Of(a, "identity").Verdict);
        Assert.Equal("identity", a.Best!.Id);
    }

    [Fact]
    public void A_run_whose_log_overflowed_cannot_vouch_for_the_window_and_fails_saying_why()
    {
        var (soc, display, layout) = Shipped("smmu-v2-example");
        var run = Advisor.Advise(soc, display, new AdviceRequest("apu"), KernelKnobs.Default, layout, new RunOptions(), default);
        Assert.Equal(Verdict.Works, Of(run.Advice, "unmanaged-attach-device").Verdict);
        // the same run's record, as if the probe's notes had been cut off past the log's limit
        var log = new RunLog();
        log.Note(1, ProbeScript.Prefix + "group group3 1");
        log.Section(2, "strategy");
        log.Section(3, "probe");
        log.Note(4, ProbeScript.Prefix + "boot 0x60000000 reached");
        log.RestoreDropped(12, 0, 0, 0);
        var result = new RunResult { Path = "x", FullPath = "/x", Report = "", Log = log };
        var outcome = Classifier.Classify(Strategies.Find("unmanaged-attach-device")!, result, SocChange.Runtime("x"), "apu", soc.FindDevice("apu")!.Firmware[0]);
        Assert.Equal(Verdict.Fails, outcome.Verdict);
        Assert.StartsWith("the run recorded more than 10000 rows", outcome.Rule);
    }

    [Fact]
    public void A_device_or_window_the_SoC_does_not_have_is_SE1016_naming_what_it_has()
    {
        var (soc, _, _) = Shipped("mt8365");
        string Error(AdviceRequest r) => Assert.Throws<ScenarioLoadException>(() => AdviceTarget.Resolve(soc, r, new SourceSpan("x.yaml", 3, 1))).Error.ToString();
        Assert.Equal("x.yaml:3:1: error SE1016: mt8365 has no device 'apuu'; closest: apu, mdp, vdec", Error(new AdviceRequest("apuu")));
        Assert.Contains("display names no firmware window: neither a firmware entry nor a reserved-memory node with iommu-addresses for it in its memory-region; give its address and size", Error(new AdviceRequest("display")));
        Assert.Contains("apu has no firmware window 'data'; it names: code", Error(new AdviceRequest("apu", "data")));
        Assert.Contains("is not 4 KiB-aligned", Error(new AdviceRequest("apu", Iova: 0x6000_0100, Size: 0x1000)));
        Assert.Contains("--iova and --size go together", Error(new AdviceRequest("apu", Iova: 0x6000_0000)));
        Assert.Contains("runs past the end of the address space", Error(new AdviceRequest("apu", Iova: 0xffff_ffff_ffff_f000, Size: 0x2000)));
        Assert.Contains("either a window name or --iova and --size", Error(new AdviceRequest("apu", "code", 0x6000_0000, 0x1000)));
        var two = soc with { Devices = soc.Devices.Select(d => d.Name == "apu" ? d with { Firmware = [.. d.Firmware, d.Firmware[0] with { Name = "data" }] } : d).ToList() };
        Assert.Contains("apu names 2 firmware windows (code, data): choose one with --window",
            Assert.Throws<ScenarioLoadException>(() => AdviceTarget.Resolve(two, new AdviceRequest("apu"), default)).Error.Message);
    }

    [Fact]
    public void The_advice_is_byte_identical_from_run_to_run()
    {
        var (soc, display, layout) = Shipped("mt8195-infra");
        string Once()
        {
            var run = Advisor.Advise(soc, display, new AdviceRequest("apu"), KernelKnobs.Default, layout, new RunOptions(), default);
            return AdviceMarkdown.Render([new AdviceMarkdown.Part(run.Advice, run.Pictures)]) + AdviceJson.Render([run.Advice]);
        }
        Assert.Equal(Once(), Once());
    }

    [Fact]
    public async Task The_json_of_one_soc_and_of_several_validates_against_the_shipped_schema()
    {
        var schema = await JsonSchema.FromFileAsync(Path.Combine(Root, "schema", "advice.schema.json"));
        var one = Advise("mt8365", new AdviceRequest("apu"));
        var two = Advise("smmu-v2-example", new AdviceRequest("apu"));
        foreach (var json in new[] { AdviceJson.Render([one]), AdviceJson.Render([one, two]) })
            Assert.Empty(schema.Validate(json));
        // and the schema is not a blank cheque: a verdict it does not know is refused
        Assert.NotEmpty(schema.Validate(AdviceJson.Render([one]).Replace("\"verdict\": \"fails\"", "\"verdict\": \"maybe\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Names_from_the_SoC_file_reach_the_markdown_escaped()
    {
        var hostile = Banked.Replace("name: apu", "name: \"apu|`x`\"", StringComparison.Ordinal).Replace("name: pcie", "name: \"pcie 100%\"", StringComparison.Ordinal);
        var soc = SocLoader.Load(YamlTree.Parse(hostile, "inline.yaml"), "inline.yaml");
        var layout = ProjectLayout.For(Path.Combine(Root, "scenarios", "socs", "inline.yaml"));
        var run = Advisor.Advise(soc, "inline.yaml", new AdviceRequest("apu|`x`"), KernelKnobs.Default, layout, new RunOptions(), default);
        var md = AdviceMarkdown.Render([new AdviceMarkdown.Part(run.Advice, run.Pictures)]);
        Assert.DoesNotContain("apu|`x`", md.Split('\n').Where(l => l.StartsWith('|')));
        Assert.Contains("apu\\|", md);
        // a name with a space and a percent sign comes back whole from the probe's notes
        Assert.Contains(run.Advice.Strategies.Single(s => s.Id == "own-bank").Hazards, h => h.Text.StartsWith("the domain of pcie 100% (domain#1) translates the window", StringComparison.Ordinal));
    }
}

/// <summary>The scenario key <c>advise:</c>: a scenario whose report is the advice, refused with a located error when it also has a script or names nothing the SoC has.</summary>
public class AdviseScenarioTests
{
    private static RunResult Run(TestTree tree, string yaml)
    {
        tree.Write("scenarios/socs/mt8365.yaml", File.ReadAllText(Path.Combine(RepoRoot.Path, "scenarios", "socs", "mt8365.yaml")));
        var path = tree.Write("scenarios/advice.yaml", yaml);
        return ScenarioRunner.Run(path, new RunOptions { Jobs = 1 });
    }

    [Fact]
    public void A_scenario_with_advise_reports_the_advice_under_its_own_title()
    {
        using var tree = new TestTree();
        var r = Run(tree, "scenario: which way for the APU\ndescription: the founding case\nsoc: socs/mt8365.yaml\nadvise: { device: apu }\n");
        Assert.True(r.Passed, r.Error?.ToString());
        Assert.StartsWith("# which way for the APU\n\nthe founding case\n\n- Scenario: `scenarios/advice.yaml`\n", r.Report);
        Assert.Contains("**Best option: `own-region`**", r.Report);
        Assert.Equal(2, r.Svgs.Count); // the topology and the IOVA map holding the window, as the report draws them
    }

    [Theory]
    [InlineData("advise: { device: apu }\nlua: \"x = 1\"\n", "SE1007", "a scenario with 'advise' has no script")]
    [InlineData("advise: { window: code }\n", "SE1005", "device")]
    [InlineData("advise: { device: apu, windw: code }\n", "SE1003", "windw")]
    [InlineData("advise: { device: npu }\n", "SE1016", "mt8365 has no device 'npu'")]
    [InlineData("advise: { device: apu, window: data }\n", "SE1016", "apu has no firmware window 'data'; it names: code")]
    public void A_wrong_advise_key_is_a_located_error(string advise, string code, string text)
    {
        using var tree = new TestTree();
        var r = Run(tree, "scenario: bad\nsoc: socs/mt8365.yaml\n" + advise);
        Assert.False(r.Passed);
        Assert.Equal(code, ScenarioEngine.Yaml.ErrorCodes.Format(r.Error!.Code));
        Assert.Contains(text, r.Error.Message);
        Assert.Equal("scenarios/advice.yaml", r.Error.Where.File);
        if (code == "SE1016") // validate finds it too, without running anything
            Assert.Equal(r.Error.ToString(), ScenarioValidator.Validate(Path.Combine(tree.Root, "scenarios", "advice.yaml"))!.ToString());
    }
}
