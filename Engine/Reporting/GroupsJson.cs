using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting;

/// <summary>`scenario groups --format json` (schema/groups.schema.json): {"soc", "kernel", "groups": [{"id", "iommu", "devices", "names", "why"}], "hazards": [{"kind", "devices", "text"}], "ungrouped": [{"device", "why"}]}.</summary>
public static class GroupsJson
{
    public static string Render(GroupsDoc doc) => JsonText.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("soc", doc.Soc);
        w.WriteString("soc_file", doc.SocFile);
        w.WriteString("kernel", doc.Kernel);
        Strings(w, "pci_log", doc.PciLog);
        w.WriteStartArray("groups");
        foreach (var g in doc.Groups)
        {
            w.WriteStartObject();
            w.WriteNumber("id", g.Id);
            w.WriteString("iommu", g.Iommu);
            Strings(w, "devices", g.Devices);
            Strings(w, "names", g.Names);
            Strings(w, "why", g.Why);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("hazards");
        foreach (var h in doc.Hazards)
        {
            w.WriteStartObject();
            w.WriteString("kind", h.Kind);
            Strings(w, "devices", h.Devices);
            w.WriteString("text", h.Text);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("ungrouped");
        foreach (var l in doc.Ungrouped)
        {
            w.WriteStartObject();
            w.WriteString("device", l.Device);
            w.WriteString("why", l.Why);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void Strings(System.Text.Json.Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
