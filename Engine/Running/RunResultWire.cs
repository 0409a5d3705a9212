using ScenarioEngine.Record;
using ScenarioEngine.Hardware;
using System.Text;
using System.Text.Json;
using ScenarioEngine.Yaml;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Running;

/// <summary>
/// A <see cref="RunResult"/> as one line of JSON between a worker process and its supervisor
/// (<see cref="WorkerPool"/>). It carries what the host's writers read: the rendered report, the
/// error, the inputs, the steps and expectations (JSON, JUnit, text) and the events (JSON faults).
/// Notes, sections and tables travel inside the report only; a fault's registers travel as its report line and message.
/// Strings are JSON-escaped, so a line never holds a raw newline.
/// </summary>
internal static class RunResultWire
{
    /// <param name="recycle">the worker retires after this result (also when the result itself does not say so)</param>
    public static string Write(RunResult r, bool recycle = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("result");
            w.WriteString("path", r.Path);
            w.WriteString("fullPath", r.FullPath);
            w.WriteString("title", r.Title);
            w.WriteString("script", r.Script);
            if (r.Error is { } e) WriteError(w, "error", e);
            w.WriteString("report", r.Report);
            w.WriteStartArray("svgs");
            foreach (var svg in r.Svgs) w.WriteStringValue(svg);
            w.WriteEndArray();
            w.WriteBoolean("recycle", r.Recycle || recycle);
            w.WriteNumber("droppedItems", r.Log.DroppedItems);
            w.WriteNumber("droppedExpectations", r.Log.DroppedExpectations);
            w.WriteNumber("passed", r.ExpectationsPassed);
            w.WriteNumber("failed", r.ExpectationsFailed);
            w.WriteNumber("droppedEvents", r.DroppedEvents);
            w.WriteStartArray("inputs");
            foreach (var i in r.Inputs) w.WriteStringValue(i);
            w.WriteEndArray();
            w.WriteStartArray("steps");
            foreach (var s in r.Log.Items.OfType<Step>())
            {
                w.WriteStartObject();
                w.WriteNumber("n", s.Number);
                w.WriteNumber("line", s.Line);
                w.WriteString("chunk", s.Chunk);
                w.WriteString("name", s.Name);
                w.WriteString("args", s.Args);
                w.WriteString("result", s.Result);
                w.WriteString("errno", s.Errno);
                w.WriteString("why", s.Why);
                w.WriteNumber("count", s.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("expectations");
            foreach (var x in r.Log.Expectations)
            {
                w.WriteStartObject();
                w.WriteNumber("line", x.Line);
                w.WriteString("chunk", x.Chunk);
                w.WriteString("text", x.Text);
                w.WriteBoolean("passed", x.Passed);
                w.WriteString("detail", x.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("events");
            foreach (var v in r.Events)
            {
                w.WriteStartObject();
                w.WriteString("kind", v.Kind.Name());
                w.WriteNumber("line", v.Line);
                w.WriteString("device", v.Device);
                w.WriteNumber("iova", v.Iova);
                w.WriteBoolean("write", v.Write);
                w.WriteString("faultKind", v.FaultKind);
                w.WriteString("domain", v.Domain);
                w.WriteString("why", v.Why);
                w.WriteNumber("pa", v.Pa);
                w.WriteNumber("unmapLine", v.UnmapLine);
                w.WriteString("registers", v.RegistersLine);
                w.WriteString("message", v.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Reads a result line; throws <see cref="JsonException"/> or <see cref="FormatException"/> on anything malformed.</summary>
    public static RunResult Read(JsonElement r)
    {
        var log = new RunLog();
        foreach (var s in r.GetProperty("steps").EnumerateArray())
            log.Restore(new Step(s.GetProperty("n").GetInt32(), s.GetProperty("line").GetInt32(), Str(s, "name")!, Str(s, "args")!, Str(s, "result")!, Str(s, "errno"), Str(s, "why"))
            {
                Chunk = Str(s, "chunk"),
                Count = s.GetProperty("count").GetInt32(),
            });
        foreach (var x in r.GetProperty("expectations").EnumerateArray())
            log.Restore(new Expectation(x.GetProperty("line").GetInt32(), Str(x, "text")!, x.GetProperty("passed").GetBoolean(), Str(x, "detail")) { Chunk = Str(x, "chunk") });
        log.RestoreDropped(r.GetProperty("droppedItems").GetInt32(), r.GetProperty("droppedExpectations").GetInt32(), r.GetProperty("passed").GetInt32(), r.GetProperty("failed").GetInt32());
        var events = new List<RecordedEvent>();
        foreach (var v in r.GetProperty("events").EnumerateArray())
            events.Add(new RecordedEvent(EventKinds.Parse(Str(v, "kind")!), v.GetProperty("line").GetInt32(), Str(v, "device"), v.GetProperty("iova").GetUInt64(), v.GetProperty("write").GetBoolean(),
                Str(v, "faultKind")!, Str(v, "domain"), Str(v, "why")!)
            { Pa = v.GetProperty("pa").GetUInt64(), UnmapLine = v.GetProperty("unmapLine").GetInt32(), RegistersLine = Str(v, "registers"), Message = Str(v, "message") });
        return new RunResult
        {
            Path = Str(r, "path")!,
            FullPath = Str(r, "fullPath")!,
            Title = Str(r, "title"),
            Script = Str(r, "script"),
            Error = r.TryGetProperty("error", out var e) ? ReadError(e) : null,
            Report = Str(r, "report")!,
            Svgs = r.GetProperty("svgs").EnumerateArray().Select(i => i.GetString()!).ToList(),
            Recycle = r.GetProperty("recycle").GetBoolean(),
            DroppedEvents = r.GetProperty("droppedEvents").GetInt32(),
            Inputs = r.GetProperty("inputs").EnumerateArray().Select(i => i.GetString()!).ToList(),
            Log = log,
            Events = events,
        };
    }

    public static void WriteError(Utf8JsonWriter w, string name, ScenarioError e)
    {
        w.WriteStartObject(name);
        w.WriteNumber("code", (int)e.Code);
        w.WriteString("message", e.Message);
        w.WriteString("file", e.Where.File);
        w.WriteNumber("line", e.Where.Line);
        w.WriteNumber("column", e.Where.Column);
        w.WriteEndObject();
    }

    public static ScenarioError ReadError(JsonElement e) => new(
        (ErrorCode)e.GetProperty("code").GetInt32(), Str(e, "message")!,
        new SourceSpan(Str(e, "file")!, e.GetProperty("line").GetInt32(), e.GetProperty("column").GetInt32()));

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetString() : null;
}
