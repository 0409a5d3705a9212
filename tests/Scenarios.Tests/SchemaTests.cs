using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>
/// schema/*.schema.json (the editor's completion and checking, via the yaml-language-server modeline)
/// kept true: every shipped YAML file carries the modeline and validates; representative mistakes are
/// rejected by the schema and by the loader alike; the schema names exactly the keys the loader reads
/// (Engine/Yaml/YamlKeys.cs and each family's own keys) and the families' enums.
/// </summary>
public class SchemaTests
{
    private static string Root => RepoRoot.Path;
    private static JsonSchema Load(string name) => JsonSchema.FromFileAsync(Path.Combine(Root, "schema", name + ".schema.json")).GetAwaiter().GetResult();
    private static readonly Lazy<JsonSchema> Soc = new(() => Load("soc"));
    private static readonly Lazy<JsonSchema> Scenario = new(() => Load("scenario"));

    /// <summary>The engine's own YAML reading, as JSON: unquoted integers and booleans typed, everything else a string.</summary>
    private static JToken ToJson(YamlNode node) => node switch
    {
        YamlMapping m => new JObject(m.Entries.Select(e => new JProperty(e.Key.Value, ToJson(e.Value)))),
        YamlSequence s => new JArray(s.Items.Select(ToJson)),
        YamlScalar { Quoted: false, Block: false } sc when Regex.IsMatch(sc.Value, "^-?[0-9]+$") => new JValue(long.Parse(sc.Value, System.Globalization.CultureInfo.InvariantCulture)),
        YamlScalar { Quoted: false, Block: false, Value: "true" or "True" or "TRUE" } => new JValue(true),
        YamlScalar { Quoted: false, Block: false, Value: "false" or "False" or "FALSE" } => new JValue(false),
        YamlScalar { Quoted: false, Block: false, Value: "" or "~" or "null" } => JValue.CreateNull(),
        YamlScalar sc => new JValue(sc.Value),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static List<string> Errors(JsonSchema schema, string yaml) =>
        schema.Validate(ToJson(YamlTree.Parse(yaml, "doc.yaml"))).Select(e => $"{e.Path}: {e.Kind}").ToList();

    public static TheoryData<string> ShippedYaml()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "scenarios"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(Root, f).Replace('\\', '/'));
        return data;
    }

    private static bool IsSoc(string relative) => relative.StartsWith("scenarios/socs/", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(ShippedYaml))]
    public void A_shipped_yaml_file_validates_against_its_schema(string relative)
    {
        var errors = Errors(IsSoc(relative) ? Soc.Value : Scenario.Value, File.ReadAllText(Path.Combine(Root, relative)));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [MemberData(nameof(ShippedYaml))]
    public void A_shipped_yaml_file_names_its_schema_for_the_editor(string relative)
    {
        var first = File.ReadLines(Path.Combine(Root, relative)).First();
        var m = Regex.Match(first, @"^# yaml-language-server: \$schema=(\S+)$");
        Assert.True(m.Success, $"{relative}: the first line should be '# yaml-language-server: $schema=…'");
        var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.Combine(Root, relative))!, m.Groups[1].Value));
        Assert.Equal(Path.Combine(Root, "schema", IsSoc(relative) ? "soc.schema.json" : "scenario.schema.json"), target);
    }

    private const string GoodSoc = """
        soc: t
        memory:
          - { name: dram, base: 0x4000_0000, size: 1GiB }
        iommus:
          - { name: m4u, driver: mediatek, banks: 1, flags: [reset-axi] }
        devices:
          - { name: a, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }

        """;

    public static TheoryData<string, string, string> Mistakes() => new()
    {
        // name, the line to replace, the replacement
        { "a misspelt key", "memory:", "memroy:" },
        { "an unknown flag", "flags: [reset-axi]", "flags: [reset-axl]" },
        { "a bank count beyond MTK_IOMMU_BANK_MAX", "banks: 1", "banks: 6" },
        { "a port beyond 5 bits", "port: 1", "port: 32" },
        { "a size that is not a number", "size: 1GiB", "size: 1 gigabyte" },
        { "a driver not modelled", "driver: mediatek", "driver: arm-smmu-v3" },
        { "a MediaTek flag on an SMMU", "driver: mediatek, banks: 1", "driver: arm-smmu, banks: 1" },
        { "more banks than MediaTek has", "banks: 1", "banks: 8" },
        { "a stream on a MediaTek master", "larb: 0, port: 1 }", "larb: 0, port: 1, stream: 4 }" },
        { "an SMR mask on a MediaTek master", "larb: 0, port: 1 }", "larb: 0, port: 1, mask: 0xf }" },
        { "stream-match registers on a MediaTek IOMMU", "banks: 1,", "banks: 1, smrs: 16," },
        { "a device without ids", "{ name: a, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }", "{ name: a }" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_is_rejected_by_the_schema_and_by_the_loader(string what, string from, string to)
    {
        Assert.Empty(Errors(Soc.Value, GoodSoc));
        var bad = GoodSoc.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(GoodSoc, bad);
        Assert.True(Errors(Soc.Value, bad).Count > 0, $"the schema accepts {what}");
        Assert.Throws<ScenarioLoadException>(() => SocLoader.Load(YamlTree.Parse(bad, "doc.yaml"), "doc.yaml"));
    }

    [Theory]
    [InlineData("4096")]
    [InlineData("0x6000_0000")]
    [InlineData("0X10")]
    [InlineData("16MiB")]
    [InlineData("16 MiB")]
    [InlineData("0x1_0000_0000")]
    [InlineData("1_000")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("1__0")]
    [InlineData("0x_1")]
    [InlineData("0x")]
    [InlineData("12KB")]
    [InlineData("4 kib")]
    [InlineData("1.5")]
    [InlineData("-1")]
    [InlineData("0b101")]
    [InlineData("1e3")]
    public void The_schemas_number_syntax_accepts_exactly_what_the_loader_parses(string text)
    {
        // The one thing the pattern cannot say is the 64-bit range; every other verdict must agree.
        var pattern = (string)((JObject)JObject.Parse(File.ReadAllText(Path.Combine(Root, "schema", "soc.schema.json")))["definitions"]!["number"]!)["anyOf"]![1]!["pattern"]!;
        Assert.Equal(Numbers.TryParse(text, out _), Regex.IsMatch(text, pattern));
    }

    [Fact]
    public void A_scenario_needs_exactly_one_of_script_and_lua()
    {
        Assert.Empty(Errors(Scenario.Value, "scenario: a\nsoc: x.yaml\nlua: |\n  local a = 1\n"));
        Assert.NotEmpty(Errors(Scenario.Value, "scenario: a\nsoc: x.yaml\n"));
        Assert.NotEmpty(Errors(Scenario.Value, "scenario: a\nsoc: x.yaml\nscript: a.lua\nlua: |\n  local a = 1\n"));
        Assert.NotEmpty(Errors(Scenario.Value, "scenario: a\nsoc: x.yaml\nlua: x\nkernel: { iommu.strict: yes }\n"));
    }

    [Fact]
    public void The_schemas_name_exactly_the_keys_the_loader_reads()
    {
        foreach (var schema in new[] { Soc.Value, Scenario.Value })
            foreach (var (name, keys) in SchemaWriter.KeysByDefinition)
            {
                if (!schema.Definitions.TryGetValue(name, out var def))
                {
                    Assert.True(schema == Soc.Value && name is "scenario" or "kernel", $"no definition '{name}'");
                    continue;
                }
                Assert.Equal(keys.Order(StringComparer.Ordinal), def.Properties.Keys.Order(StringComparer.Ordinal));
                Assert.False(def.AllowAdditionalProperties, $"'{name}' must refuse unknown keys, as the loader does");
            }
    }

    [Fact]
    public void The_schema_enums_are_the_driver_catalogues()
    {
        var def = Soc.Value.Definitions["iommu"];
        var iommu = def.Properties;
        var families = ScenarioEngine.Drivers.Families.All;
        Assert.Equal(families.Select(f => f.Name), iommu["driver"].Enumeration.Cast<string>());
        Assert.Equal(families.SelectMany(f => f.Types), iommu["type"].Enumeration.Cast<string>());
        Assert.Equal(families.SelectMany(f => f.Pgtables).Distinct(), iommu["pgtable"].Enumeration.Cast<string>());
        Assert.Equal(families.SelectMany(f => f.Flags), iommu["flags"].Item!.Enumeration.Cast<string>());
        Assert.Equal(families.Max(f => f.MaxBanks), (int)iommu["banks"].Maximum!.Value);
        // one branch per family, in catalogue order, with the family's own values
        Assert.Equal(families.Count, def.AnyOf.Count);
        foreach (var (family, branch) in families.Zip(def.AnyOf))
        {
            Assert.Equal([family.Name], branch.Properties["driver"].Enumeration.Cast<string>());
            Assert.Equal(family.Types, branch.Properties["type"].Enumeration.Cast<string>());
            Assert.Equal(family.Pgtables, branch.Properties["pgtable"].Enumeration.Cast<string>());
            if (family.MaxBanks < families.Max(f => f.MaxBanks)) Assert.Equal(family.MaxBanks, (int)branch.Properties["banks"].Maximum!.Value);
        }
    }
}
