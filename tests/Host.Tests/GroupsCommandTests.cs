using Newtonsoft.Json.Linq;
using NJsonSchema;

namespace ScenarioEngine.Tests;

/// <summary>`scenario groups`: the groups at boot one line per group with their rules, the JSON that schema/groups.schema.json describes, the pci= what-if knob, and misuse.</summary>
public class GroupsCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    private static string Soc(string name) => Path.Combine(RepoRoot.Path, "scenarios", "socs", name + ".yaml");

    [Fact]
    public void Groups_prints_one_line_per_group_with_its_rule_and_the_hazards()
    {
        var (code, output, err) = Cli("groups", Soc("workstation-smmu-v3"));
        Assert.True(code == 0, err);
        var lines = output.Split('\n');
        Assert.StartsWith("workstation-smmu-v3 (scenarios/socs/workstation-smmu-v3.yaml): 15 IOMMU group(s) at boot; Linux 7.0.0", lines[0]);
        Assert.Contains("group5   0000:01:00.0 (gpu), 0000:01:00.1 (gpu-audio) — gpu: new group (ACS-isolated path); gpu-audio joins gpu: multifunction without ACS", lines);
        Assert.Contains(lines, l => l.StartsWith("group4   0000:00:1c.0, 0000:00:1c.1, 0000:00:1c.2, 0000:0b:00.0 (sata)", StringComparison.Ordinal)
            && l.Contains("sata joins 0000:00:1c.0: no ACS isolation at 0000:00:1c.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("p2p-across-groups: capture (group13) → nic-b (group14)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_json_validates_against_the_shipped_schema_and_lists_hazards_and_masters_without_a_group()
    {
        var schema = await JsonSchema.FromFileAsync(Path.Combine(RepoRoot.Path, "schema", "groups.schema.json"));
        foreach (var soc in new[] { "workstation-smmu-v3", "legacy-pci-two-smmus", "mt8365" })
        {
            var (code, output, err) = Cli("groups", Soc(soc), "--format", "json");
            Assert.True(code == 0, err);
            var errors = schema.Validate(JToken.Parse(output)).Select(e => $"{e.Path}: {e.Kind}").ToList();
            Assert.True(errors.Count == 0, soc + ": " + string.Join("; ", errors));
        }
        var legacy = JObject.Parse(Cli("groups", Soc("legacy-pci-two-smmus"), "--format", "json").Out);
        Assert.Equal(["0001:02:05.0", "0001:03:00.1"], legacy["ungrouped"]!.Select(u => (string)u["device"]!));
        var ws = JObject.Parse(Cli("groups", Soc("workstation-smmu-v3"), "--format", "json").Out);
        var hazard = Assert.Single(ws["hazards"]!);
        Assert.Equal(["0000:09:00.0", "0000:0a:00.0"], hazard["devices"]!.Select(d => (string)d!));
        var gpu = ws["groups"]!.Single(g => g["devices"]!.Any(d => (string)d! == "0000:01:00.1"));
        Assert.Equal(["0000:01:00.0", "0000:01:00.1"], gpu["devices"]!.Select(d => (string)d!));
        Assert.Contains("get_pci_function_alias_group", (string)gpu["why"]![1]!);
    }

    [Fact]
    public void The_pci_knob_asks_what_if_and_prints_what_the_kernel_printed()
    {
        var (code, output, err) = Cli("groups", Soc("workstation-smmu-v3"), "--kernel", "pci=disable_acs_redir=0000:00:01.0");
        Assert.True(code == 0, err);
        Assert.Contains("pci: 0000:00:01.0: Configured ACS to 0x0000 (none; was SV RR CR UF) by pci=disable_acs_redir=", output);
        Assert.Contains("group0   0000:00:01.0, 0000:01:00.0 (gpu), 0000:01:00.1 (gpu-audio)", output);
        Assert.Contains("pci=disable_acs_redir=0000:00:01.0", output.Split('\n')[0]);
    }

    [Theory]
    [InlineData("--kernel", "pci=nomsi", "groups: --kernel pci option 'nomsi' is not modelled")]
    [InlineData("--kernel", "iommu.strict=maybe", "'maybe' is not 0, 1, true or false")]
    [InlineData("--format", "xml", "")]
    public void Groups_is_misuse_exit_2_with_the_reason(string option, string value, string message)
    {
        var (code, _, err) = Cli("groups", Soc("workstation-smmu-v3"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void A_missing_soc_file_and_an_existing_output_are_misuse()
    {
        Assert.Equal(2, Cli("groups", Soc("no-such-board")).Code);
        using var tree = new TestTree();
        var taken = tree.Write("out.txt", "keep me\n");
        var (code, _, err) = Cli("groups", Soc("workstation-smmu-v3"), "-o", taken);
        Assert.Equal(2, code);
        Assert.Contains("exists; not overwritten", err);
        Assert.Equal("keep me\n", File.ReadAllText(taken));
        var fresh = Path.Combine(tree.Root, "groups.json");
        Assert.Equal(0, Cli("groups", Soc("workstation-smmu-v3"), "--format", "json", "-o", fresh).Code);
        Assert.StartsWith("{", File.ReadAllText(fresh));
    }
}
