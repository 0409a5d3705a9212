using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using static ScenarioEngine.Yaml.SchemaNodes;

namespace ScenarioEngine.Reporting;

/// <summary>
/// schema/groups.schema.json: the JSON `scenario groups --format json` writes (<see cref="GroupsJson"/>).
/// tests/Scenarios.Tests/GeneratedDocsTests.cs keeps the committed file equal to this output, and the
/// command's output is validated against it.
/// </summary>
public static class GroupsSchema
{
    public static string Write()
    {
        var group = Obj("An IOMMU group at boot.", new()
        {
            ["id"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["description"] = "the group's number (groupN; /sys/kernel/iommu_groups/N)" },
            ["iommu"] = Str("the IOMMU instance of its first device"),
            ["devices"] = Array(Str("a PCI function's BDF (0000:01:00.0), or a platform master's name"), minItems: 1),
            ["names"] = Array(Str("the device as the report names it: the BDF with the SoC file's name in parentheses when it has one")),
            ["why"] = Array(Str("for each PCI function, the rule of pci_device_group that put it here; for a platform group, the driver's rule")),
        }, ["id", "devices", "why"]);
        var hazard = Obj("Devices in different groups that reach each other without the IOMMU.", new()
        {
            ["kind"] = new JsonObject { ["enum"] = Strings("p2p-across-groups") },
            ["devices"] = Array(Str("a BDF"), minItems: 2),
            ["text"] = Str("which devices, through which port, which ACS bits are missing"),
        }, ["kind", "devices", "text"]);
        var loose = Obj("A master without a group.", new() { ["device"] = Str(), ["why"] = Str() }, ["device", "why"]);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "ScenarioEngine groups at boot (scenario groups --format json)",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["soc"] = Str(), ["soc_file"] = Str(), ["kernel"] = Str("the release and the boot knobs"),
                ["pci_log"] = Array(Str("a line the PCI core printed while setting ACS up (pci_enable_acs and the pci= parameter)")),
                ["groups"] = Array(Ref("group")), ["hazards"] = Array(Ref("hazard")), ["ungrouped"] = Array(Ref("loose")),
            },
            ["required"] = Strings("soc", "kernel", "groups", "hazards", "ungrouped"),
            ["additionalProperties"] = false,
            ["definitions"] = new JsonObject { ["group"] = group, ["hazard"] = hazard, ["loose"] = loose },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }
}
