using ScenarioEngine.Record;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting;

/// <summary>
/// The `--format json` document of docs/ci.md: one object with "scenarios" and "summary".
/// Addresses are strings in lowercase 0x hex (JSON numbers lose 64-bit precision in many readers).
/// </summary>
public static class JsonReport
{
    public static string Render(IReadOnlyList<RunResult> results) => JsonText.Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("scenarios");
        foreach (var r in results) Scenario(w, r);
        w.WriteEndArray();
        w.WriteStartObject("summary");
        w.WriteNumber("passed", results.Count(r => r.Passed));
        w.WriteNumber("failed", results.Count(r => !r.Passed));
        w.WriteNumber("changed", results.Count(r => r.Snapshot == SnapshotStatus.Changed));
        w.WriteNumber("new", results.Count(r => r.Snapshot == SnapshotStatus.New));
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static void Scenario(Utf8JsonWriter w, RunResult r)
    {
        w.WriteStartObject();
        w.WriteString("path", r.Path);
        w.WriteString("title", r.Title);
        w.WriteString("status", r.Passed ? "passed" : "failed");
        w.WriteString("snapshot", r.Snapshot switch
        {
            SnapshotStatus.Matched => "matched",
            SnapshotStatus.Changed => "changed",
            SnapshotStatus.New => "new",
            _ => null,
        });
        if (r.Error is { } e)
        {
            w.WriteStartObject("error");
            w.WriteString("code", e.CodeText);
            w.WriteString("message", e.Message);
            w.WriteString("file", e.Where.File);
            w.WriteNumber("line", e.Where.Line);
            w.WriteNumber("column", e.Where.Column);
            w.WriteEndObject();
        }
        else w.WriteNull("error");
        w.WriteStartObject("expectations");
        w.WriteNumber("passed", r.ExpectationsPassed);
        w.WriteNumber("failed", r.ExpectationsFailed);
        w.WriteStartArray("items");
        foreach (var x in r.Log.Expectations)
        {
            w.WriteStartObject();
            w.WriteNumber("line", x.Line);
            if (x.Chunk is not null) w.WriteString("file", x.Chunk);
            w.WriteString("text", x.Text);
            w.WriteBoolean("passed", x.Passed);
            if (x.Detail is not null) w.WriteString("detail", x.Detail);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("steps");
        foreach (var s in r.Log.Items.OfType<Step>())
        {
            w.WriteStartObject();
            w.WriteNumber("line", s.Line);
            if (s.Chunk is not null) w.WriteString("file", s.Chunk);
            w.WriteString("call", $"{s.Name}({s.Args})");
            w.WriteString("result", s.Result);
            w.WriteString("errno", s.Errno);
            if (s.Why is not null) w.WriteString("rule", s.Why);
            if (s.Count > 1) w.WriteNumber("count", s.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("faults");
        foreach (var f in r.Events.Where(e => e.Kind == EventKind.Fault))
        {
            w.WriteStartObject();
            w.WriteNumber("line", f.Line);
            w.WriteString("kind", f.FaultKind);
            w.WriteString("device", f.Device);
            w.WriteString("iova", Hex.Of(f.Iova));
            w.WriteBoolean("write", f.Write);
            w.WriteString("domain", f.Domain);
            w.WriteString("detail", f.Why);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (r.Log.DroppedItems + r.Log.DroppedExpectations + r.DroppedEvents > 0)
        {
            // A run keeps the first RunLog.MaxRecords rows and expectations and EventLog.MaxEvents events; the rest are counted here.
            w.WriteStartObject("truncated");
            w.WriteNumber("rows", r.Log.DroppedItems);
            w.WriteNumber("expectations", r.Log.DroppedExpectations);
            w.WriteNumber("events", r.DroppedEvents);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
