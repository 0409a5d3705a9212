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
    public void The_lua_reference_is_generated_from_the_annotations() => Check("docs/lua-reference.md", LuaReference());

    [Fact]
    public void The_yaml_reference_shows_every_definition_and_its_constraints()
    {
        var text = YamlReference();
        foreach (var def in new[] { "soc", "memory", "iommu", "device", "device-id", "firmware", "scenario", "kernel" })
            Assert.Contains($"\n### `{def}`", text);
        Assert.Contains("| `ias` | integer 32…48 |", text);
        Assert.Contains("| `driver` | **required**; one of `mediatek`, `arm-smmu` |", text);
    }

    [Fact]
    public void Every_error_code_has_a_row_in_errors_md_with_its_meaning_and_fix()
    {
        var rows = File.ReadLines(Path.Combine(Root, "docs", "errors.md"))
            .Select(l => Regex.Match(l, @"^\| (SE\d{4}) \|(.*)$")).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Split(" | "));
        foreach (var code in Enum.GetValues<ScenarioEngine.Config.ErrorCode>())
        {
            var name = ScenarioEngine.Config.ErrorCodes.Format(code);
            Assert.True(rows.TryGetValue(name, out var cols), $"docs/errors.md has no row for {name} ({code})");
            Assert.False(string.IsNullOrWhiteSpace(cols[0]), $"{name}: no meaning");
            if (!cols[0].Trim().StartsWith("reserved", StringComparison.Ordinal))
                Assert.False(string.IsNullOrWhiteSpace(cols[^1].TrimEnd('|', ' ')), $"{name}: no fix");
        }
        Assert.Equal(Enum.GetValues<ScenarioEngine.Config.ErrorCode>().Length, rows.Count);
    }

    // ------------------------------------------------------------------ YAML reference

    internal static string YamlReference()
    {
        var sb = new StringBuilder();
        sb.Append("# YAML reference\n\n");
        sb.Append("Generated from `schema/soc.schema.json` and `schema/scenario.schema.json` (written by `tools/write_schemas.py`);\n");
        sb.Append("do not edit by hand. Numbers are decimal, `0x` hex, with `_` between digits, or a count with an IEC\n");
        sb.Append($"suffix (`4096`, `0x6000_0000`, `16MiB`). Unknown keys are errors ({ScenarioEngine.Config.ErrorCodes.Format(ScenarioEngine.Config.ErrorCode.UnknownKey)}), with a suggestion.\n");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, title, order) in new[]
        {
            ("scenario", "Scenario files (`scenarios/<topic>/<case>.yaml`)", new[] { "scenario", "kernel" }),
            ("soc", "SoC files (`scenarios/socs/<soc>.yaml`)", new[] { "soc", "memory", "reserved-memory", "iommu-address", "iommu", "region", "iotlb", "device", "device-id", "firmware", "boot-access" }),
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
                if (name == file && doc.RootElement.TryGetProperty("oneOf", out _))
                    sb.Append("\nExactly one of `script` and `lua` is given.\n");
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
        var sb = new StringBuilder();
        sb.Append("# Lua reference\n\n");
        sb.Append("Generated from `lua/types/scenario.lua` (the Lua Language Server annotations, which a test keeps\n");
        sb.Append("equal to the engine's library); do not edit by hand. Conventions and examples: `docs/lua-api.md`.\n");
        var doc = new List<string>();
        var pars = new List<string>();
        var rets = new List<string>();
        string? cls = null;
        var fields = new List<string>();
        void FlushClass()
        {
            if (cls is null) return;
            sb.Append($"\n### `{cls}`\n\n");
            if (fields.Count > 0) sb.Append("| field | type | note |\n|---|---|---|\n").Append(string.Join("", fields));
            cls = null;
            fields.Clear();
        }
        string? section = null;
        sb.Append("\n## Types\n\n| alias | is | note |\n|---|---|---|\n");
        foreach (var raw in File.ReadLines(Path.Combine(Root, "lua", "types", "scenario.lua")))
        {
            var a = Regex.Match(raw, @"^---@alias (\w+) (.+?)(?:\s+#\s*(.*))?$");
            if (a.Success) sb.Append($"| `{a.Groups[1].Value}` | `{a.Groups[2].Value.Replace("|", "\\|")}` | {a.Groups[3].Value.Replace("|", "\\|")} |\n");
        }
        foreach (var raw in File.ReadLines(Path.Combine(Root, "lua", "types", "scenario.lua")))
        {
            var line = raw.TrimEnd();
            Match m;
            if ((m = Regex.Match(line, @"^---@class (\w+)")).Success) { FlushClass(); cls = m.Groups[1].Value; doc.Clear(); continue; }
            if ((m = Regex.Match(line, @"^---@field (\w+) (.+?)(?:\s+#\s*(.*))?$")).Success)
            {
                fields.Add($"| `{m.Groups[1].Value}` | `{m.Groups[2].Value.Replace("|", "\\|")}` | {m.Groups[3].Value.Replace("|", "\\|")} |\n");
                continue;
            }
            if ((m = Regex.Match(line, @"^---@param (\S+) (.+?)(?:\s+#\s*(.*))?$")).Success) { pars.Add($"`{m.Groups[1].Value}`: `{m.Groups[2].Value}`" + (m.Groups[3].Success ? " — " + m.Groups[3].Value : "")); continue; }
            if ((m = Regex.Match(line, @"^---@return (.+?)(?:\s+#\s*(.*))?$")).Success) { rets.Add($"`{m.Groups[1].Value}`" + (m.Groups[2].Success ? " — " + m.Groups[2].Value : "")); continue; }
            if ((m = Regex.Match(line, @"^--- ?(.*)$")).Success && !line.StartsWith("---@", StringComparison.Ordinal)) { doc.Add(m.Groups[1].Value); continue; }
            if ((m = Regex.Match(line, @"^(\w+) = \{\}")).Success)
            {
                FlushClass();
                section = m.Groups[1].Value;
                sb.Append($"\n## `{section}`\n\n");
                if (doc.Count > 0) sb.Append(string.Join(" ", doc)).Append('\n');
                doc.Clear();
                continue;
            }
            if ((m = Regex.Match(line, @"^function (\w+[.:]\w+)\((.*)\)")).Success)
            {
                FlushClass();
                sb.Append($"\n- **`{m.Groups[1].Value}({m.Groups[2].Value})`**");
                if (doc.Count > 0) sb.Append(" — ").Append(string.Join(" ", doc));
                sb.Append('\n');
                foreach (var p in pars) sb.Append($"  - param {p}\n");
                foreach (var r in rets) sb.Append($"  - returns {r}\n");
                doc.Clear(); pars.Clear(); rets.Clear();
                continue;
            }
            if (line.Length == 0 || line.StartsWith("local ", StringComparison.Ordinal)) { if (line.Length == 0) FlushClass(); continue; }
            if (line.StartsWith("--", StringComparison.Ordinal)) continue;
            FlushClass();
            doc.Clear(); pars.Clear(); rets.Clear();
        }
        FlushClass();
        return sb.ToString();
    }
}
