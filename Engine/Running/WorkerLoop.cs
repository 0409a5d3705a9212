using ScenarioEngine.Record;
using System.Text;
using System.Text.Json;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Running;

/// <summary>
/// The worker process's side of <see cref="WorkerPool"/>: one request line in (a scenario path and
/// its budgets), heartbeat lines while the script runs (<c>{"at": {"chunk", "line"}}</c>, at most four
/// a second), one result line out (<see cref="RunResultWire"/>). The loop ends at end of input, or
/// after a run that left a parked script thread or ran the managed heap out (the supervisor starts
/// a fresh worker). Nothing else is written to the output stream.
/// </summary>
public static class WorkerLoop
{
    public static int Serve(TextReader input, TextWriter output)
    {
        var gate = new object();
        while (input.ReadLine() is { } line)
        {
            WorkerRequest request;
            try { request = WorkerRequest.Parse(line); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return 2; // not our supervisor on the other end
            }
            var options = new RunOptions
            {
                Budgets = request.Budgets,
                SnapshotsDir = request.SnapshotsDir,
                Svgs = request.Svgs,
                Heartbeat = (chunk, at) =>
                {
                    var beat = Beat(chunk, at);
                    lock (gate) { output.WriteLine(beat); output.Flush(); }
                },
            };
            RunResult result;
            bool recycle = false;
            try
            {
                result = ScenarioRunner.Run(request.Path, options);
            }
            catch (OutOfMemoryException)
            {
                // The managed heap hit its hard limit (the supervisor sets one): the host-side records of this run.
                result = ScenarioRunner.FailedAt(request.Path, request.SnapshotsDir,
                    error => new ScenarioError(ErrorCode.MemoryBudget, "the engine ran out of memory for this scenario's records (host-side memory); reduce what the script records", error));
                recycle = true;
            }
            catch (Exception e)
            {
                result = ScenarioRunner.FailedAt(request.Path, request.SnapshotsDir,
                    where => new ScenarioError(ErrorCode.EngineError, $"internal engine error: {e.GetType().Name}: {e.Message}", where));
            }
            var text = RunResultWire.Write(result);
            lock (gate) { output.WriteLine(text); output.Flush(); }
            if (result.Recycle || recycle) return 0;
        }
        return 0;
    }

    private static string Beat(string? chunk, int line)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("at");
            w.WriteString("chunk", chunk);
            w.WriteNumber("line", line);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}

/// <summary>What the supervisor asks a worker to run: one scenario file with its budgets.</summary>
public sealed record WorkerRequest(string Path, string? SnapshotsDir, Budgets Budgets, bool Svgs = true)
{
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("path", Path);
            w.WriteString("snapshots", SnapshotsDir);
            w.WriteNumber("instructions", Budgets.Instructions);
            w.WriteNumber("memory", Budgets.MemoryBytes);
            w.WriteNumber("wallMs", (long)Budgets.WallClock.TotalMilliseconds);
            w.WriteBoolean("svgs", Svgs);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static WorkerRequest Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var snapshots = r.GetProperty("snapshots");
        return new WorkerRequest(r.GetProperty("path").GetString()!, snapshots.ValueKind == JsonValueKind.Null ? null : snapshots.GetString(),
            new Budgets(r.GetProperty("instructions").GetInt64(), r.GetProperty("memory").GetInt64(), TimeSpan.FromMilliseconds(r.GetProperty("wallMs").GetInt64())),
            !r.TryGetProperty("svgs", out var svgs) || svgs.ValueKind != JsonValueKind.False);
    }
}

/// <summary>A location where a run stopped, for errors raised outside the script (a dead worker, a heap limit).</summary>
internal delegate ScenarioError ErrorAt(SourceSpan where);
