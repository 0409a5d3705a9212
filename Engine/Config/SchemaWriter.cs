using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;
using static ScenarioEngine.Yaml.SchemaNodes;

namespace ScenarioEngine.Config;

/// <summary>
/// schema/soc.schema.json and schema/scenario.schema.json (JSON Schema draft 2020-12, for editors
/// through the yaml-language-server modeline), written from the loader's own key lists and from each
/// family (<see cref="IommuFamily"/>: its types, page-table formats, flags, banks, its own IOMMU keys
/// and how its masters are named), so a new family changes the schema from its own folder.
/// tests/Scenarios.Tests/GeneratedDocsTests.cs keeps the committed files equal to this output.
/// </summary>
public static class SchemaWriter
{
    /// <summary>The IOMMU keys the loader accepts: the common ones and every family's own.</summary>
    public static IReadOnlyList<string> IommuKeys =>
        YamlKeys.IommuCommon.Concat(Families.All.SelectMany(f => f.IommuKeys)).Distinct().ToList();

    /// <summary>The keys of a device's <c>ids</c> entry: the instance, and every family's way of naming a master.</summary>
    public static IReadOnlyList<string> DeviceIdKeys =>
        new[] { "iommu" }.Concat(Families.All.SelectMany(f => f.DeviceIdKeys)).Distinct().ToList();

    /// <summary>Schema definition name → keys (the scenario and SoC documents are their schemas' roots).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> KeysByDefinition
    {
        get
        {
            var d = YamlKeys.ByDefinition.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value);
            d["iommu"] = IommuKeys;
            d["device-id"] = DeviceIdKeys;
            foreach (var f in Families.All)
                foreach (var (name, keys) in f.SchemaDefinitionKeys) d[name] = keys;
            return d;
        }
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Soc() => Write(Root("soc.schema.json", "ScenarioEngine SoC file", SocRoot(), SocDefinitions()));

    public static string Scenario()
    {
        var defs = SocDefinitions();
        defs["kernel"] = Obj("Boot parameters (Documentation/admin-guide/kernel-parameters.txt).", new()
        {
            ["iommu.strict"] = new JsonObject { ["type"] = "boolean", ["description"] = "default true" },
            ["iommu.passthrough"] = new JsonObject { ["type"] = "boolean" },
            ["iommu.forcedac"] = new JsonObject { ["type"] = "boolean" },
            ["pci"] = PciSchema.KernelProperty(),
            ["fixes"] = new JsonObject
            {
                ["type"] = "array",
                ["description"] = "upstream fixes applied on top of Linux 7.0.0 as released (commit ids, 12+ hex digits); known: "
                    + string.Join("; ", KernelFixes.Known.Select(f => $"{f.Key} ({f.Value})")),
                ["items"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9a-fA-F]{12,40}$" },
            },
        }, []);
        defs["advise"] = Obj("Instead of a script: the report is the advice for a device's firmware window (docs/advise.md): every strategy run on the SoC.", new()
        {
            ["device"] = new JsonObject { ["type"] = "string", ["description"] = "a device of the SoC" },
            ["window"] = new JsonObject { ["type"] = "string", ["description"] = "one of its firmware windows (default: its only one)" },
            ["iova"] = Num("the window's start when the SoC file names none (with size)"),
            ["size"] = Num("the window's bytes (with iova)"),
        }, ["device"]);
        var root = Obj("A scenario: an SoC, boot knobs and a Lua script, or an advice.", new()
        {
            ["scenario"] = new JsonObject { ["type"] = "string", ["description"] = "the title (the report's heading)" },
            ["description"] = new JsonObject { ["type"] = "string" },
            ["soc"] = new JsonObject
            {
                ["anyOf"] = new JsonArray(
                    new JsonObject { ["type"] = "string", ["description"] = "path of an SoC file, relative to this file" },
                    Ref("soc")),
            },
            ["kernel"] = Ref("kernel"),
            ["script"] = new JsonObject { ["type"] = "string", ["description"] = "a Lua file, relative to this file" },
            ["lua"] = new JsonObject { ["type"] = "string", ["description"] = "inline Lua (use a block scalar: lua: |)" },
            ["params"] = new JsonObject { ["type"] = "object", ["description"] = "values the script reads as params.NAME" },
            ["advise"] = Ref("advise"),
            ["pictures"] = new JsonObject
            {
                ["type"] = "array", ["uniqueItems"] = true, ["items"] = new JsonObject { ["enum"] = Strings("topology", "iova-maps") },
                ["description"] = "the pictures the report draws (Mermaid): both when absent, [] for none",
            },
        }, ["scenario", "soc"]);
        defs["scenario"] = root.DeepClone();
        root["oneOf"] = new JsonArray(new JsonObject { ["required"] = Strings("script") }, new JsonObject { ["required"] = Strings("lua") }, new JsonObject { ["required"] = Strings("advise") });
        return Write(Root("scenario.schema.json", "ScenarioEngine scenario file", root, defs));
    }

    // ------------------------------------------------------------------ SoC definitions

    private static JsonObject SocDefinitions()
    {
        var families = Families.All;
        var defs = new JsonObject
        {
            ["number"] = new JsonObject
            {
                ["anyOf"] = new JsonArray(
                    new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                    new JsonObject { ["type"] = "string", ["pattern"] = "^(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|[0-9](_?[0-9])*) *(KiB|MiB|GiB|TiB)?$" }),
                ["description"] = "decimal, 0x hex, '_' between digits, optional IEC suffix: 4096, 0x6000_0000, 16MiB",
            },
            ["memory"] = Obj("A DRAM bank.", new() { ["name"] = Str(), ["base"] = Num("physical base"), ["size"] = Num("bytes, not 0") }, ["name", "base", "size"]),
            ["iommu-address"] = Obj("An iommu-addresses entry of a reserved-memory node (reserved-memory.yaml binding).",
                new() { ["device"] = Str("a device of this SoC"), ["iova"] = Num("IOVA the device expects"), ["size"] = Num("bytes") }, ["device", "iova", "size"]),
            ["reserved-memory"] = Obj("A reserved-memory node (a carve-out the page allocator skips; without base, an IOVA-only reservation).", new()
            {
                ["name"] = Str(), ["base"] = Num("physical base (reg); omit it for a node with no reg"), ["size"] = Num("bytes, not 0"),
                ["iommu-addresses"] = Array(Ref("iommu-address")),
            }, ["name", "size"]),
        };
        foreach (var f in families)
            foreach (var (name, def) in f.SchemaDefinitions()) defs[name] = def;
        defs["iotlb"] = Obj("The IOTLB geometry of an instance (the hardware's is rarely public; the default, 64 entries in 4 ways, is an assumption, docs/modelled.md).",
            new() { ["entries"] = Int(1, 4096), ["ways"] = Int(1, 4096) }, []);
        defs["iommu"] = Iommu(families);
        defs["device-id"] = DeviceId(families);
        defs["boot-access"] = Obj("One access the firmware makes at boot.", new() { ["iova"] = Num("inside the window"), ["size"] = Num("bytes (default 4)"), ["write"] = Bool() }, ["iova"]);
        defs["firmware"] = Obj("A firmware window linked at a fixed IOVA.", new()
        {
            ["name"] = Str(), ["iova"] = Num("linked address"), ["size"] = Num("bytes, not 0"), ["boot"] = Array(Ref("boot-access")),
        }, ["name", "iova", "size"]);
        defs["dma-range"] = Obj("A dma-ranges window of the device's bus (of_dma_get_range): the device reaches CPU physical [cpu, cpu + size) at bus address bus. The highest bus address is its bus_dma_limit.",
            new() { ["bus"] = Num("bus (DMA) address"), ["cpu"] = Num("CPU physical address"), ["size"] = Num("bytes, not 0") }, ["bus", "cpu", "size"]);
        defs["device"] = Obj("A DMA master.", new()
        {
            ["name"] = Str(),
            ["ids"] = Array(Ref("device-id"), minItems: 1),
            ["bus"] = new JsonObject { ["enum"] = Strings("platform", "pci") },
            ["dma-mask"] = Int(1, 64, "bits (default 32)"),
            ["driver-bound"] = Bool("a DMA-API driver is bound (counts in owner_cnt); default true"),
            ["memory-region"] = new JsonObject
            {
                ["type"] = "array", ["items"] = Str(),
                ["description"] = "the DT memory-region phandles: reserved-memory node names; of_iommu_get_resv_regions reads iommu-addresses only from these",
            },
            ["firmware"] = Array(Ref("firmware")),
            ["dma-ranges"] = Array(Ref("dma-range")),
        }, ["name", "ids"]);
        PciSchema.AddDefinitions(defs);
        defs["soc"] = SocRoot();
        return defs;
    }

    private static JsonObject SocRoot() => Obj("An SoC: memory, IOMMU instances, masters.", new()
    {
        ["soc"] = Str("the SoC's name"), ["description"] = Str(),
        ["memory"] = Array(Ref("memory"), minItems: 1),
        ["reserved-memory"] = Array(Ref("reserved-memory")),
        ["iommus"] = Array(Ref("iommu")),
        ["devices"] = Array(Ref("device")),
        ["pci"] = PciSchema.SocProperty(),
    }, ["soc", "memory"]);

    /// <summary>The iommu object: the common keys, every family's own, and one branch per family holding it to its own values and keys.</summary>
    private static JsonObject Iommu(IReadOnlyList<IommuFamily> families)
    {
        int maxBanks = families.Max(f => f.MaxBanks);
        var props = new Dictionary<string, JsonNode>
        {
            ["name"] = Str(),
            ["compatible"] = new JsonObject { ["enum"] = Strings(families.SelectMany(f => f.Compatibles).Select(e => e.Compatible)), ["description"] = "a device-tree compatible: the catalogue fills the driver's platform data; keys beside it override (docs/your-board.md)" },
            ["driver"] = new JsonObject { ["enum"] = Strings(families.Select(f => f.Name)), ["description"] = $"the driver family (modelled: {string.Join(", ", families.Select(f => f.Name))})" },
            ["type"] = new JsonObject { ["enum"] = Strings(families.SelectMany(f => f.Types)), ["description"] = string.Join("; ", families.Select(f => $"{f.Name}: {string.Join(", ", f.Types)}")) },
            ["pgtable"] = new JsonObject { ["enum"] = Strings(families.SelectMany(f => f.Pgtables).Distinct()), ["description"] = "the io-pgtable format the driver uses (" + string.Join("; ", families.Select(f => $"{f.Name}: {string.Join(", ", f.Pgtables)}")) + ")" },
            ["ias"] = Int(32, 48, "input (IOVA) address bits"),
            ["oas"] = Int(32, 48, "output (PA) address bits"),
            ["banks"] = Int(1, maxBanks, string.Join("; ", families.Select(f => f.BanksSchemaText))),
            ["iotlb"] = Ref("iotlb"),
        };
        if (families.Any(f => f.Flags.Count > 0))
            props["flags"] = new JsonObject
            {
                ["type"] = "array", ["uniqueItems"] = true, ["items"] = new JsonObject { ["enum"] = Strings(families.SelectMany(f => f.Flags)) },
                ["description"] = "platform-data flags, lowercase with '-' (" + string.Join("; ", families.Where(f => f.Flags.Count > 0).Select(f => f.Name)) + ")",
            };
        foreach (var f in families)
            foreach (var (key, schema) in f.SchemaIommuProperties()) props[key] = Owned(f, schema);
        var all = IommuKeys;
        var ordered = new JsonObject();
        foreach (var k in all) ordered[k] = props[k].DeepClone();
        var obj = Obj("An IOMMU instance and its platform data. Each driver takes only its own values and keys: "
            + string.Join("; ", families.Select(f => $"{f.Name} takes {string.Join(", ", f.IommuKeys)}")) + ".", [], ["name"]);
        obj["properties"] = ordered;
        var branches = new JsonArray();
        foreach (var f in families)
        {
            var p = new JsonObject
            {
                ["driver"] = new JsonObject { ["enum"] = Strings(f.Name) },
                ["type"] = new JsonObject { ["enum"] = Strings(f.Types) },
                ["pgtable"] = new JsonObject { ["enum"] = Strings(f.Pgtables) },
            };
            if (f.MaxBanks < maxBanks) p["banks"] = new JsonObject { ["maximum"] = f.MaxBanks };
            p["compatible"] = new JsonObject { ["enum"] = Strings(f.Compatibles.Select(e => e.Compatible)) };
            var branch = new JsonObject
            {
                ["properties"] = p,
                // a driver, or a compatible that names one
                ["anyOf"] = new JsonArray(new JsonObject { ["required"] = Strings("driver") }, new JsonObject { ["required"] = Strings("compatible") }),
            };
            // what the family's compatibles cannot give (the hardware's ID registers do) is required beside them
            if (f.Compatibles.SelectMany(e => e.Required).Distinct().ToList() is { Count: > 0 } required)
            {
                branch["if"] = new JsonObject { ["required"] = Strings("compatible") };
                branch["then"] = new JsonObject { ["required"] = Strings(required) };
            }
            var refused = all.Where(k => !f.IommuKeys.Contains(k)).ToList();
            if (refused.Count > 0)
                branch["not"] = new JsonObject { ["anyOf"] = new JsonArray(refused.Select(k => (JsonNode)new JsonObject { ["required"] = Strings(k) }).ToArray()) };
            branches.Add((JsonNode)branch); // the non-generic Add: no reflection (trimming, NativeAOT)
        }
        obj["anyOf"] = branches;
        return obj;
    }

    /// <summary>A device's ids entry: the instance, then one family's way of naming a master (never two at once).</summary>
    private static JsonObject DeviceId(IReadOnlyList<IommuFamily> families)
    {
        var props = new Dictionary<string, JsonNode> { ["iommu"] = Str() };
        foreach (var f in families)
            foreach (var (key, schema) in f.SchemaDeviceIdProperties()) props[key] = Owned(f, schema);
        var obj = Obj("One IOMMU specifier of the device (" + string.Join("; ", families.Select(f => $"{f.Name}: {string.Join(" and ", f.DeviceIdKeys)}")) + ").", [], ["iommu"]);
        var ordered = new JsonObject();
        foreach (var k in DeviceIdKeys) ordered[k] = props[k].DeepClone();
        obj["properties"] = ordered;
        var branches = new JsonArray();
        foreach (var f in families)
        {
            var others = families.Where(o => o != f).SelectMany(o => o.DeviceIdKeys).Where(k => !f.DeviceIdKeys.Contains(k)).Distinct().ToList();
            var branch = new JsonObject { ["required"] = Strings(f.DeviceIdRequired) };
            if (others.Count > 0)
                branch["not"] = new JsonObject { ["anyOf"] = new JsonArray(others.Select(k => (JsonNode)new JsonObject { ["required"] = Strings(k) }).ToArray()) };
            branches.Add((JsonNode)branch);
        }
        obj["anyOf"] = branches;
        return obj;
    }

    /// <summary>A family's own key: its description says whose it is.</summary>
    private static JsonNode Owned(IommuFamily f, JsonNode schema)
    {
        var copy = schema.DeepClone();
        if (copy is JsonObject o)
            o["description"] = o["description"] is { } d ? $"{f.Name}: {d.GetValue<string>()}" : $"{f.Name} only";
        return copy;
    }

    // ------------------------------------------------------------------ building blocks

    private static JsonObject Root(string id, string title, JsonObject root, JsonObject defs)
    {
        var s = new JsonObject { ["$schema"] = "https://json-schema.org/draft/2020-12/schema", ["title"] = title };
        foreach (var (k, v) in root) s[k] = v!.DeepClone();
        s["definitions"] = defs.DeepClone();
        return s;
    }

    private static string Write(JsonObject o) => o.ToJsonString(Options).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
}
