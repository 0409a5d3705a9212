using System.Text.Json.Nodes;

namespace ScenarioEngine.Yaml;

/// <summary>Building blocks of the JSON Schema the loader's YAML is described by (Config.SchemaWriter and each family's own part).</summary>
public static class SchemaNodes
{
    public static JsonObject Obj(string description, Dictionary<string, JsonNode> props, string[] required)
    {
        var p = new JsonObject();
        foreach (var (k, v) in props) p[k] = v;
        return new JsonObject
        {
            ["type"] = "object", ["description"] = description, ["additionalProperties"] = false,
            ["required"] = Strings(required), ["properties"] = p,
        };
    }

    public static JsonObject Num(string description) => new() { ["$ref"] = "#/definitions/number", ["description"] = description };
    public static JsonObject Ref(string definition) => new() { ["$ref"] = "#/definitions/" + definition };
    public static JsonObject Str(string? description = null) => description is null ? new() { ["type"] = "string" } : new() { ["type"] = "string", ["description"] = description };
    public static JsonObject Bool(string? description = null) => description is null ? new() { ["type"] = "boolean" } : new() { ["type"] = "boolean", ["description"] = description };

    public static JsonObject Int(int min, int max, string? description = null)
    {
        var o = new JsonObject { ["type"] = "integer", ["minimum"] = min, ["maximum"] = max };
        if (description is not null) o["description"] = description;
        return o;
    }

    public static JsonObject Array(JsonNode items, int minItems = 0)
    {
        var o = new JsonObject { ["type"] = "array" };
        if (minItems > 0) o["minItems"] = minItems;
        o["items"] = items;
        return o;
    }

    public static JsonArray Strings(params IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
}
