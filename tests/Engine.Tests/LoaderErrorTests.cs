using ScenarioEngine.Model;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>Each input error has a stable code and the exact file:line:col of the offending node.</summary>
public class LoaderErrorTests
{
    private static ScenarioError LoadError(string socYaml, string? scenarioYaml = null)
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", socYaml);
        var path = tree.Write("scenarios/t/x.yaml", scenarioYaml ?? "scenario: x\nsoc: ../socs/s.yaml\nlua: |\n  local x = 1\n");
        var ex = Assert.Throws<ScenarioLoadException>(() => ScenarioLoader.Load(path, ProjectLayout.For(path)));
        return ex.Error;
    }

    private const string Head = "soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\n";

    [Fact]
    public void An_unknown_key_is_SE1003_at_the_key_with_a_suggestion()
    {
        var e = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    bankz: 1\n");
        Assert.Equal(ErrorCode.UnknownKey, e.Code);
        Assert.Equal(("scenarios/socs/s.yaml", 7, 5), (e.Where.File, e.Where.Line, e.Where.Column));
        Assert.Contains("did you mean 'banks'", e.Message);
    }

    [Theory]
    [InlineData("smrs: 4")]
    [InlineData("s2-banks: 1")]
    public void An_arm_smmu_key_on_a_mediatek_instance_is_SE1003_naming_the_familys_own_keys(string key)
    {
        var e = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    " + key + "\n");
        Assert.Equal(ErrorCode.UnknownKey, e.Code);
        Assert.Equal(7, e.Where.Line);
        Assert.Equal($"'{key[..key.IndexOf(':')]}' does not apply to the mediatek driver (its keys: name, compatible, driver, type, pgtable, ias, oas, banks, iotlb, banks-enabled, bank-ports, regions, region-ports, flags, shares-pgtable-with, larbid-remap, hw-list, inv-sel)", e.Message);
    }

    private const string TinySoc = "soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\n";

    [Fact]
    public void An_unknown_kernel_fix_is_SE1007_at_the_id_listing_the_known_ones()
    {
        var e = LoadError(TinySoc, "scenario: x\nsoc: ../socs/s.yaml\nkernel:\n  fixes: [6fc7e8a3b811, deadbeef0000]\nlua: 'x = 1'\n");
        Assert.Equal(ErrorCode.BadValue, e.Code);
        Assert.Equal(4, e.Where.Line);
        Assert.Contains("'deadbeef0000' is not a fix the engine models; known: 6fc7e8a3b811", e.Message);
    }

    [Theory]
    [InlineData("6fc7e8a3b811")]
    [InlineData("6FC7E8A3B8115294F60F5C89DE27330BF1B9C98E")]
    [InlineData("6fc7e8a3b8115294")]
    public void A_kernel_fix_is_named_by_twelve_or_more_digits_of_its_commit(string id)
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", TinySoc);
        var path = tree.Write("scenarios/t/x.yaml", $"scenario: x\nsoc: ../socs/s.yaml\nkernel: {{ fixes: [{id}] }}\nlua: 'x = 1'\n");
        var sc = ScenarioLoader.Load(path, ProjectLayout.For(path));
        Assert.Equal(["6fc7e8a3b811"], sc.Kernel.Fixes);
        Assert.Equal("Linux 7.0.0 + 6fc7e8a3b811", sc.Kernel.Release);
    }

    [Fact]
    public void Without_kernel_fixes_the_kernel_is_7_0_0_as_released()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", TinySoc);
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/s.yaml\nlua: 'x = 1'\n");
        Assert.Equal("Linux 7.0.0", ScenarioLoader.Load(path, ProjectLayout.For(path)).Kernel.Release);
    }

    [Fact]
    public void A_memory_region_naming_no_reserved_memory_node_is_SE1009_at_the_name()
    {
        var e = LoadError(TinySoc + "reserved-memory:\n  - { name: apu-fw, size: 1MiB }\niommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4u, larb: 0, port: 1 } ]\n    memory-region: [apu-fv]\n");
        Assert.Equal(ErrorCode.UnknownReference, e.Code);
        Assert.Equal(11, e.Where.Line);
        Assert.Contains("did you mean 'apu-fw'", e.Message);
    }

    [Fact]
    public void A_tag_YamlDotNet_refuses_with_an_argument_exception_is_SE1001_not_a_crash()
    {
        // Found by the fuzz test: YamlDotNet throws ArgumentException ("Global tags must be valid URIs").
        var e = LoadError("soc: !!str[x\n");
        Assert.Equal(ErrorCode.YamlSyntax, e.Code);
    }

    [Fact]
    public void A_comment_that_hides_the_closing_brace_of_a_flow_mapping_is_SE1001_not_a_crash()
    {
        // Found by `scenario watch` on an edited mt8365.yaml: YamlDotNet's scanner throws
        // InvalidOperationException here, which must still become a located SE1001.
        foreach (var tail in new[] { "", "iommus:\n  - name: m4u\n    driver: mediatek\n" })
        {
            var e = LoadError("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 2GiB   # edited }\n" + tail);
            Assert.Equal(ErrorCode.YamlSyntax, e.Code);
            Assert.Equal("scenarios/socs/s.yaml", e.Where.File);
            Assert.True(e.Where.Line >= 3, e.ToString());
        }
    }

    [Fact]
    public void A_duplicate_key_is_SE1002_at_the_second_occurrence()
    {
        var e = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    name: again\n");
        Assert.Equal(ErrorCode.DuplicateKey, e.Code);
        Assert.Equal((7, 5), (e.Where.Line, e.Where.Column));
    }

    [Fact]
    public void A_list_where_a_number_belongs_is_SE1004()
    {
        var e = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    banks: [1]\n");
        Assert.Equal(ErrorCode.WrongType, e.Code);
        Assert.Equal((7, 12), (e.Where.Line, e.Where.Column));
    }

    [Fact]
    public void A_missing_required_key_is_SE1005()
    {
        var e = LoadError(Head + "iommus:\n  - driver: mediatek\n");
        Assert.Equal(ErrorCode.MissingKey, e.Code);
        Assert.Equal(5, e.Where.Line);
    }

    [Fact]
    public void A_malformed_number_is_SE1006()
    {
        var e = LoadError("soc: s\nmemory:\n  - { name: dram, base: 0x4000_00zz, size: 1GiB }\n");
        Assert.Equal(ErrorCode.BadNumber, e.Code);
        Assert.Equal((3, 25), (e.Where.Line, e.Where.Column));
    }

    [Fact]
    public void An_unknown_driver_flag_is_SE1007_with_a_suggestion()
    {
        var e = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    flags: [reset-axy]\n");
        Assert.Equal(ErrorCode.BadValue, e.Code);
        Assert.Contains("did you mean 'reset-axi'", e.Message);
    }

    [Fact]
    public void A_missing_soc_file_is_SE1008_at_the_soc_value()
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/nope.yaml\nlua: |\n  local x = 1\n");
        var e = Assert.Throws<ScenarioLoadException>(() => ScenarioLoader.Load(path, ProjectLayout.For(path))).Error;
        Assert.Equal(ErrorCode.FileNotFound, e.Code);
        Assert.Equal(("scenarios/t/x.yaml", 2, 6), (e.Where.File, e.Where.Line, e.Where.Column));
    }

    [Fact]
    public void A_device_naming_an_unknown_iommu_is_SE1009_listing_the_iommus()
    {
        var e = LoadError(Head + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4v, larb: 0, port: 1 } ]\n");
        Assert.Equal(ErrorCode.UnknownReference, e.Code);
        Assert.Contains("did you mean 'm4u'", e.Message);
        Assert.Equal(8, e.Where.Line);
    }

    [Fact]
    public void Iommu_addresses_naming_an_unknown_device_is_SE1009_listing_the_devices()
    {
        var e = LoadError(Head + "reserved-memory:\n  - name: fw\n    size: 1MiB\n    iommu-addresses: [ { device: apx, iova: 0, size: 4KiB } ]\niommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }\n");
        Assert.Equal(ErrorCode.UnknownReference, e.Code);
        Assert.Contains("devices: apu", e.Message);
    }

    [Fact]
    public void Partially_overlapping_regions_are_SE1010_but_nested_regions_load()
    {
        var straddle = LoadError(Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    regions:\n      - { name: a, base: 0x0, size: 0x2000_0000 }\n      - { name: b, base: 0x1000_0000, size: 0x2000_0000 }\n");
        Assert.Equal(ErrorCode.OverlappingRanges, straddle.Code);
        Assert.Equal(9, straddle.Where.Line);

        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    regions:\n      - { name: a, base: 0x0, size: 0x2000_0000 }\n      - { name: b, base: 0x1000_0000, size: 0x100_0000 }\n");
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/s.yaml\nlua: |\n  local x = 1\n");
        var sc = ScenarioLoader.Load(path, ProjectLayout.For(path));
        Assert.Equal(2, Drivers.Mediatek.MtkConfig.Of(sc.Soc.Iommus[0]).Regions.Count);
    }

    [Fact]
    public void Overlapping_firmware_windows_are_SE1010()
    {
        var e = LoadError(Head + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4u, larb: 0, port: 1 } ]\n    firmware:\n      - { name: a, iova: 0x1000, size: 0x2000 }\n      - { name: b, iova: 0x2000, size: 0x2000 }\n");
        Assert.Equal(ErrorCode.OverlappingRanges, e.Code);
    }

    [Fact]
    public void A_port_beyond_31_is_SE1011_with_the_valid_range()
    {
        var e = LoadError(Head + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 40 } ] }\n");
        Assert.Equal(ErrorCode.OutOfRange, e.Code);
        Assert.Contains("0..31", e.Message);
    }

    [Fact]
    public void Two_devices_with_one_name_are_SE1012()
    {
        var e = LoadError(Head + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 2 } ] }\n");
        Assert.Equal(ErrorCode.DuplicateName, e.Code);
        Assert.Equal(8, e.Where.Line);
    }

    [Fact]
    public void A_planned_but_unmodelled_driver_is_SE1013()
    {
        var e = LoadError(Head + "iommus:\n  - { name: dart, driver: apple-dart }\n");
        Assert.Equal(ErrorCode.UnsupportedDriver, e.Code);
        Assert.Contains("not modelled yet", e.Message);
    }

    [Fact]
    public void A_yaml_syntax_error_is_SE1001_located()
    {
        var e = LoadError("soc: s\nmemory: [ { name: dram\n");
        Assert.Equal(ErrorCode.YamlSyntax, e.Code);
        Assert.True(e.Where.Line >= 2);
    }

    [Fact]
    public void An_ias_the_driver_would_not_use_is_SE1007_naming_the_rule()
    {
        var e = LoadError(Head + "iommus:\n  - { name: m4u, driver: mediatek, ias: 34 }\n");
        Assert.Equal(ErrorCode.BadValue, e.Code);
        Assert.Contains("iova-34-en", e.Message);
    }

    [Fact]
    public void Inline_lua_keeps_the_yaml_line_of_its_first_line()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/tiny.yaml\nlua: |\n  local a = 1\n  local b = 2\n");
        var sc = ScenarioLoader.Load(path, ProjectLayout.For(path));
        Assert.Equal(4, sc.Script.FirstLine);
        Assert.Equal("scenarios/t/x.yaml", sc.Script.Chunk);
    }

    [Fact]
    public void Port_ranges_and_all_expand_to_port_masks()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/s.yaml", Head + "iommus:\n  - name: m4u\n    driver: mediatek\n    banks: 2\n    bank-ports: { 1: [0-3, 10] }\n    regions:\n      - { name: a, base: 0x0, size: 0x1000_0000 }\n      - { name: b, base: 0x1000_0000, size: 0x1000_0000 }\n    region-ports:\n      a: { larb0: all }\n      b: { larb1: [4-5] }\n");
        var path = tree.Write("scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/s.yaml\nlua: |\n  local x = 1\n");
        var inst = Drivers.Mediatek.MtkConfig.Of(ScenarioLoader.Load(path, ProjectLayout.For(path)).Soc.Iommus[0]);
        Assert.Equal(0b100_0000_1111UL, inst.BankPorts[1].Mask);
        Assert.True(inst.RegionPorts[0][0].All);
        Assert.Equal(0b11_0000UL, inst.RegionPorts[1][1].Mask);
    }
}
