using System.Text.Json;
using ScenarioEngine.Model;
using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting;

/// <summary>
/// `scenario advise --format json` (docs/advise.md; schema/advice.schema.json): one document per SoC,
/// a list of them for several. Addresses are lowercase 0x hex strings, as in the run's JSON (docs/ci.md).
/// </summary>
public static class AdviceJson
{
    public static string Render(IReadOnlyList<SocAdvice> advice) => JsonText.Write(w =>
    {
        if (advice.Count == 1) One(w, advice[0]);
        else
        {
            w.WriteStartArray();
            foreach (var a in advice) One(w, a);
            w.WriteEndArray();
        }
    });

    private static void One(Utf8JsonWriter w, SocAdvice a)
    {
        w.WriteStartObject();
        w.WriteString("soc", a.Soc);
        w.WriteString("soc_file", a.SocFile);
        w.WriteString("device", a.Device);
        w.WriteStartObject("window");
        w.WriteString("name", a.Window);
        w.WriteString("iova", Hex.Of(a.Iova));
        w.WriteString("size", Hex.Of(a.Size));
        w.WriteEndObject();
        w.WriteString("kernel", a.Kernel);
        w.WriteStartArray("strategies");
        foreach (var s in a.Strategies)
        {
            w.WriteStartObject();
            w.WriteString("id", s.Id);
            w.WriteString("verdict", s.Verdict.Name());
            if (s.Errno is null) w.WriteNull("errno"); else w.WriteString("errno", s.Errno);
            w.WriteString("rule", s.Rule);
            w.WriteStartArray("hazards");
            foreach (var h in s.Hazards)
            {
                w.WriteStartObject();
                w.WriteString("kind", h.Kind);
                w.WriteString("text", h.Text);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (s.Change is null) w.WriteNull("change");
            else
            {
                w.WriteStartObject("change");
                w.WriteString("kind", s.Change.Kind switch
                {
                    ChangeKind.None => "none",
                    ChangeKind.KernelCommandLine => "kernel-command-line",
                    ChangeKind.DeviceTree => "device-tree",
                    ChangeKind.Hardware => "hardware",
                    _ => "platform-data",
                });
                w.WriteString("summary", s.Change.Summary);
                w.WriteStartArray("diff");
                foreach (var line in s.Change.Diff) w.WriteStringValue(line);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            if (s.Note is null) w.WriteNull("note"); else w.WriteString("note", s.Note);
            w.WriteString("source", s.Source);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (a.Best is { } b) w.WriteString("best", b.Id); else w.WriteNull("best");
        w.WriteEndObject();
    }
}
