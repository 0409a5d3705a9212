using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ScenarioEngine.Tests;

/// <summary>
/// docs/yaml-reference.md is generated from schema/*.schema.json and docs/lua-reference.md from
/// lua/types/scenario.lua, so the references cannot drift from the schema and the annotations (which
/// SchemaTests and LuaAnnotationsTests tie to the engine). On a mismatch the test says how to
/// regenerate: SE_WRITE_DOCS=1 dotnet test --filter GeneratedDocs.
/// </summary>
public class GeneratedDocsTests
{
    private static string Root => RepoRoot.Path;

    private static void Check(string relative, string expected)
    {
        var path = Path.Combine(Root, relative);
        if (Environment.GetEnvironmentVariable("SE_WRITE_DOCS") == "1")
            ScenarioEngine.Snapshots.SnapshotStore.WriteAtomic(path, expected);
        var actual = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : "";
        Assert.True(actual == expected, $"{relative} is out of date with its source; regenerate it with: SE_WRITE_DOCS=1 dotnet test --filter GeneratedDocs\n"
            + ScenarioEngine.Snapshots.UnifiedDiff.Create(actual, expected, "committed", "generated"));
    }

    [Fact]
    public void The_yaml_reference_is_generated_from_the_schemas() => Check("docs/yaml-reference.md", YamlReference());

    [Fact]
    public void The_soc_schema_is_written_from_the_loader_and_the_families() => Check("schema/soc.schema.json", ScenarioEngine.Config.SchemaWriter.Soc());

    [Fact]
    public void The_scenario_schema_is_written_from_the_loader_and_the_families() => Check("schema/scenario.schema.json", ScenarioEngine.Config.SchemaWriter.Scenario());

    [Fact]
    public void The_advice_schema_is_written_from_the_engines_verdicts_and_hazards() => Check("schema/advice.schema.json", ScenarioEngine.Reporting.AdviceSchema.Write());

    [Fact]
    public void The_groups_schema_is_written_from_the_engine() => Check("schema/groups.schema.json", ScenarioEngine.Reporting.GroupsSchema.Write());

    /// <summary>The socs the README's table of strategies asks about (the command it quotes).</summary>
    private static readonly string[] ReadmeSocs = ["mt8365", "mt8195-infra", "smmu-v2-example"];

    [Fact]
    public void The_readmes_table_of_strategies_is_one_advise_run_across_the_shipped_socs()
    {
        var advice = ReadmeSocs.Select(name =>
        {
            var path = Path.Combine(Root, "scenarios", "socs", name + ".yaml");
            var layout = ScenarioEngine.Model.ProjectLayout.For(path);
            var display = layout.Display(path);
            var soc = ScenarioEngine.Config.SocLoader.LoadFile(path, display, layout.Root, new ScenarioEngine.Model.SourceSpan(display, 0, 0));
            return ScenarioEngine.Running.Advisor.Advise(soc, display, new ScenarioEngine.Model.AdviceRequest("apu"), ScenarioEngine.Model.KernelKnobs.Default,
                layout, new ScenarioEngine.Running.RunOptions(), new ScenarioEngine.Model.SourceSpan(display, 0, 0)).Advice;
        }).ToList();
        var readme = File.ReadAllText(Path.Combine(Root, "README.md")).Replace("\r\n", "\n");
        const string begin = "<!-- advise matrix: written by tests/Scenarios.Tests/GeneratedDocsTests.cs from the engine; do not edit -->\n";
        const string end = "<!-- end of advise matrix -->";
        int b = readme.IndexOf(begin, StringComparison.Ordinal), e = readme.IndexOf(end, StringComparison.Ordinal);
        Assert.True(b >= 0 && e > b, "README.md lost its advise matrix markers");
        foreach (var n in ReadmeSocs) Assert.Contains($"--soc scenarios/socs/{n}.yaml", readme);
        Check("README.md", readme[..(b + begin.Length)] + ScenarioEngine.Reporting.AdviceMarkdown.MatrixTable(advice) + readme[e..]);
    }

    [Fact]
    public void The_catalogue_page_is_generated_from_the_catalogue() => Check("docs/catalogue.md", ScenarioEngine.Config.CatalogueDoc.Write());

    [Fact]
    public void The_lua_reference_is_generated_from_the_annotations() => Check("docs/lua-reference.md", LuaReference());

    [Fact]
    public void The_tutorials_pictures_are_the_engines_own_for_the_scenario_it_names()
    {
        var result = ScenarioEngine.Running.ScenarioRunner.Run(Path.Combine(Root, "scenarios", "seed", "own-region-dma.yaml"), new ScenarioEngine.Running.RunOptions { Jobs = 1 });
        Assert.Equal(3, result.Svgs.Count); // topology, domain#1's map, domain#2's map
        Check("docs/pictures/own-region-dma-topology.svg", result.Svgs[0]);
        Check("docs/pictures/own-region-dma-iova-map.svg", result.Svgs[2]);
        // the Mermaid block the tutorial quotes is the approved snapshot's topology block
        static string FirstMermaid(string text) => Regex.Match(text.Replace("\r\n", "\n"), "```mermaid\n.*?```\n", RegexOptions.Singleline).Value;
        var snapshot = File.ReadAllText(Path.Combine(Root, "snapshots", "seed", "own-region-dma.verified.md"));
        Assert.NotEqual("", FirstMermaid(snapshot));
        Assert.Equal(FirstMermaid(snapshot), FirstMermaid(File.ReadAllText(Path.Combine(Root, "docs", "tutorial.md"))));
    }

    [Fact]
    public void The_yaml_reference_shows_every_definition_and_its_constraints()
    {
        var text = YamlReference();
        foreach (var def in new[] { "soc", "memory", "iommu", "device", "device-id", "firmware", "scenario", "kernel" })
            Assert.Contains($"\n### `{def}`", text);
        Assert.Contains("| `ias` | integer 32…48 |", text);
        Assert.Contains("| `driver` | one of `mediatek`, `arm-smmu`, `arm-smmu-v3` |", text);
        Assert.Contains("| `compatible` | one of `mediatek,mt2712-m4u`,", text);
    }

    [Fact]
    public void Every_error_code_has_a_row_in_errors_md_with_its_meaning_and_fix()
    {
        var rows = File.ReadLines(Path.Combine(Root, "docs", "errors.md"))
            .Select(l => Regex.Match(l, @"^\| (SE\d{4}) \|(.*)$")).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Split(" | "));
        foreach (var code in Enum.GetValues<ScenarioEngine.Yaml.ErrorCode>())
        {
            var name = ScenarioEngine.Yaml.ErrorCodes.Format(code);
            Assert.True(rows.TryGetValue(name, out var cols), $"docs/errors.md has no row for {name} ({code})");
            Assert.False(string.IsNullOrWhiteSpace(cols[0]), $"{name}: no meaning");
            if (!cols[0].Trim().StartsWith("reserved", StringComparison.Ordinal))
                Assert.False(string.IsNullOrWhiteSpace(cols[^1].TrimEnd('|', ' ')), $"{name}: no fix");
        }
        Assert.Equal(Enum.GetValues<ScenarioEngine.Yaml.ErrorCode>().Length, rows.Count);
    }

    // ------------------------------------------------------------------ YAML reference

    internal static string YamlReference()
    {
        var sb = new StringBuilder();
        sb.Append("# YAML reference\n\n");
        sb.Append("Generated from `schema/soc.schema.json` and `schema/scenario.schema.json` (written by `Engine/Config/SchemaWriter.cs` from the loader's keys and each driver family's own);\n");
        sb.Append("do not edit by hand. Numbers are decimal, `0x` hex, with `_` between digits, or a count with an IEC\n");
        sb.Append($"suffix (`4096`, `0x6000_0000`, `16MiB`). Unknown keys are errors ({ScenarioEngine.Yaml.ErrorCodes.Format(ScenarioEngine.Yaml.ErrorCode.UnknownKey)}), with a suggestion.\n");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, title, order) in new[]
        {
            ("scenario", "Scenario files (`scenarios/<topic>/<case>.yaml`)", new[] { "scenario", "kernel", "advise" }),
            ("soc", "SoC files (`scenarios/socs/<soc>.yaml`)", new[] { "soc", "memory", "reserved-memory", "iommu-address", "iommu", "region", "iotlb", "device", "device-id", "firmware", "boot-access", "dma-range", "pci-host-bridge", "iommu-map-entry", "msi-map-entry", "pci-function", "pci-acs", "pci-pasid" }),
        })
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "schema", file + ".schema.json")));
            var defs = doc.RootElement.GetProperty("definitions");
            sb.Append($"\n## {title}\n");
            foreach (var name in order)
            {
                if (!seen.Add(name)) continue;
                var def = defs.GetProperty(name);
                sb.Append($"\n### `{name}`\n\n{Text(def, "description")}\n\n| key | value | meaning |\n|---|---|---|\n");
                var required = def.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToHashSet() : [];
                foreach (var p in def.GetProperty("properties").EnumerateObject())
                    sb.Append($"| `{p.Name}` | {(required.Contains(p.Name) ? "**required**; " : "")}{TypeOf(p.Value)} | {Text(p.Value, "description")} |\n");
                if (name == file && doc.RootElement.TryGetProperty("oneOf", out var oneOf))
                {
                    var keys = oneOf.EnumerateArray().Select(o => $"`{o.GetProperty("required")[0].GetString()}`").ToList();
                    sb.Append($"\nExactly one of {string.Join(", ", keys.Take(keys.Count - 1))} and {keys[^1]} is given.\n");
                }
            }
        }
        return sb.ToString();
    }

    private static string Text(JsonElement e, string key) => e.TryGetProperty(key, out var v) ? v.GetString()!.Replace("|", "\\|") : "";

    private static string TypeOf(JsonElement e)
    {
        if (e.TryGetProperty("$ref", out var r))
        {
            var target = r.GetString()!.Split('/')[^1];
            return target == "number" ? "number" : $"a [`{target}`](#{target})";
        }
        if (e.TryGetProperty("enum", out var en)) return "one of " + string.Join(", ", en.EnumerateArray().Select(x => $"`{x}`"));
        if (e.TryGetProperty("anyOf", out var any)) return string.Join(" or ", any.EnumerateArray().Select(TypeOf));
        var type = e.TryGetProperty("type", out var t) ? t.GetString() : "any";
        switch (type)
        {
            case "integer":
                var lo = e.TryGetProperty("minimum", out var mi) ? mi.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
                var hi = e.TryGetProperty("maximum", out var ma) ? ma.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
                return lo is null && hi is null ? "integer" : hi is null ? $"integer ≥ {lo}" : $"integer {lo}…{hi}";
            case "array":
                var item = e.TryGetProperty("items", out var it) ? TypeOf(it) : "any";
                return (e.TryGetProperty("minItems", out var mn) && mn.GetInt32() > 0 ? "non-empty list of " : "list of ") + item + (e.TryGetProperty("uniqueItems", out _) ? " (no repeats)" : "");
            case "object":
                if (e.TryGetProperty("patternProperties", out var pp))
                    return string.Join("; ", pp.EnumerateObject().Select(p => $"keys matching `{p.Name}` → {TypeOf(p.Value)}"));
                if (e.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.Object)
                    return "mapping of name → " + TypeOf(ap);
                return "mapping";
            case "string" when e.TryGetProperty("pattern", out var pat):
                return $"text matching `{pat.GetString()}`";
            default:
                return type!;
        }
    }

    // ------------------------------------------------------------------ Lua reference

    internal static string LuaReference()
    {
        static string Cell(string text) => text.Replace("|", "\\|");
        var sb = new StringBuilder();
        sb.Append("# Lua reference\n\n");
        sb.Append("Generated from `lua/types/scenario.lua` (the Lua Language Server annotations, which a test keeps\n");
        sb.Append("equal to the engine's library); do not edit by hand. Conventions and examples: `docs/lua-api.md`.\n");
        sb.Append("\n## Types\n\n| alias | is | note |\n|---|---|---|\n");
        foreach (var a in LuaAnnotations.Aliases()) sb.Append($"| `{a.Name}` | `{Cell(a.Type)}` | {Cell(a.Note)} |\n");
        foreach (var item in LuaAnnotations.Items())
        {
            switch (item)
            {
                case LuaAnnotations.Class c:
                    sb.Append($"\n### `{c.Name}`\n\n");
                    if (c.Fields.Count > 0)
                    {
                        sb.Append("| field | type | note |\n|---|---|---|\n");
                        foreach (var f in c.Fields) sb.Append($"| `{f.Name}` | `{Cell(f.Type)}` | {Cell(f.Note)} |\n");
                    }
                    break;
                case LuaAnnotations.Library lib:
                    sb.Append($"\n## `{lib.Name}`\n\n");
                    if (lib.Doc.Count > 0) sb.Append(string.Join(" ", lib.Doc)).Append('\n');
                    break;
                case LuaAnnotations.Function fn:
                    sb.Append($"\n- **`{fn.Owner}{fn.Separator}{fn.Name}({fn.ParamList})`**");
                    if (fn.Doc.Count > 0) sb.Append(" — ").Append(string.Join(" ", fn.Doc));
                    sb.Append('\n');
                    foreach (var p in fn.Params) sb.Append($"  - param `{p.Name}`: `{p.Type}`" + (p.Note is null ? "" : " — " + p.Note) + "\n");
                    foreach (var r in fn.Returns) sb.Append($"  - returns `{r.Type}`" + (r.Note is null ? "" : " — " + r.Note) + "\n");
                    break;
            }
        }
        return sb.ToString();
    }
}
