using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScenarioEngine.Record;
using static ScenarioEngine.Yaml.SchemaNodes;

namespace ScenarioEngine.Reporting;

/// <summary>
/// schema/advice.schema.json: the JSON `scenario advise --format json` writes (<see cref="AdviceJson"/>),
/// one document or a list of them, with the verdicts and hazard kinds the engine knows as enums.
/// tests/Scenarios.Tests/GeneratedDocsTests.cs keeps the committed file equal to this output, and
/// tests/Host.Tests validate the command's output against it.
/// </summary>
public static class AdviceSchema
{
    public static string Write()
    {
        var hex = new JsonObject { ["type"] = "string", ["pattern"] = "^0x[0-9a-f]+$" };
        var nullableString = new JsonObject { ["type"] = Strings("string", "null") };
        var hazard = Obj("A hazard the strategy's run showed.", new()
        {
            ["kind"] = new JsonObject { ["enum"] = Strings(HazardKinds.All) },
            ["text"] = Str("what happened, with names and addresses"),
        }, ["kind", "text"]);
        var change = Obj("The change the strategy needs besides runtime calls.", new()
        {
            ["kind"] = new JsonObject { ["enum"] = Strings("none", "kernel-command-line", "device-tree", "platform-data", "hardware") },
            ["summary"] = Str(),
            ["diff"] = Array(Str("a line of the YAML diff: ' ' context, '-' removed, '+' added")),
        }, ["kind", "summary", "diff"]);
        var strategy = Obj("One strategy's outcome.", new()
        {
            ["id"] = Str("the strategy (docs/advise.md)"),
            ["verdict"] = new JsonObject { ["enum"] = Strings(Verdicts.Names) },
            ["errno"] = new JsonObject { ["type"] = Strings("string", "null"), ["description"] = "the first failed call's errno (EINVAL …), null when none failed" },
            ["rule"] = Str("the kernel rule that decided the run"),
            ["hazards"] = Array(Ref("hazard")),
            ["change"] = new JsonObject { ["anyOf"] = new JsonArray(Ref("change"), new JsonObject { ["type"] = "null" }), ["description"] = "null for not-applicable" },
            ["note"] = nullableString.DeepClone(),
            ["source"] = Str("the kernel code the strategy exercises"),
        }, ["id", "verdict", "errno", "rule", "hazards", "change"]);
        var advice = Obj("The advice for one SoC.", new()
        {
            ["soc"] = Str(),
            ["soc_file"] = Str(),
            ["device"] = Str(),
            ["window"] = Obj("The firmware window.", new() { ["name"] = Str(), ["iova"] = hex.DeepClone(), ["size"] = hex.DeepClone() }, ["iova", "size"]),
            ["kernel"] = Str("the release and the boot knobs the strategies ran under"),
            ["strategies"] = Array(Ref("strategy"), minItems: 1),
            ["best"] = new JsonObject { ["type"] = Strings("string", "null"), ["description"] = "the best working strategy's id, null when none works" },
        }, ["soc", "device", "window", "kernel", "strategies"]);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "ScenarioEngine advice (scenario advise --format json)",
            ["anyOf"] = new JsonArray(Ref("advice"), new JsonObject { ["type"] = "array", ["items"] = Ref("advice"), ["minItems"] = 1 }),
            ["definitions"] = new JsonObject { ["advice"] = advice, ["strategy"] = strategy, ["hazard"] = hazard, ["change"] = change },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }
}
