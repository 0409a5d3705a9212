using ScenarioEngine.Record;
using System.Text;
using System.Text.Json;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Running;

/// <summary>
/// The worker process's side of <see cref="WorkerPool"/>: one request line in (a scenario path and
/// its budgets), an acknowledgement at once (<c>{"ack": true}</c>: the supervisor knows the scenario
/// was taken, and runs it elsewhere when a worker dies before taking it), heartbeat lines while the
/// script runs (<c>{"at": {"chunk", "line"}}</c>, four a second and at every 32 MiB the script's memory
/// grows), one result line out (<see cref="RunResultWire"/>). The loop ends at end of input, after a
/// run that left a parked script thread or ran the managed heap out (the result says "recycle"), or
/// when, after its result is written and memory given back, the process still holds more than
/// <see cref="RecycleAbove"/> over what it held when it took its first scenario (the supervisor then
/// finds it gone and starts a fresh worker): a scenario's memory verdict must not depend on what ran
/// before it in the same worker. Nothing else is written to the output stream.
/// </summary>
public static class WorkerLoop
{
    /// <summary>Resident memory over the first request's at which a worker gives memory back after a scenario (a normal worker stays well below).</summary>
    public const long GiveBackAbove = 64L << 20;
    /// <summary>Resident memory over the first request's that a worker may keep after giving memory back; above it the worker retires.</summary>
    public const long RecycleAbove = 96L << 20;

    public static int Serve(TextReader input, TextWriter output)
    {
        var gate = new object();
        long? first = null;
        while (input.ReadLine() is { } line)
        {
            WorkerRequest request;
            try { request = WorkerRequest.Parse(line); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return 2; // not our supervisor on the other end
            }
            lock (gate) { output.WriteLine(Ack); output.Flush(); }
            first ??= ProcessMemory.Resident();
            (string? Chunk, int Line) last = (null, 0);
            var options = new RunOptions
            {
                Budgets = request.Budgets,
                SnapshotsDir = request.SnapshotsDir,
                Svgs = request.Svgs,
                Heartbeat = (chunk, at) =>
                {
                    var beat = Beat(chunk, at);
                    lock (gate) { output.WriteLine(beat); output.Flush(); last = (chunk, at); }
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
                // The managed heap hit its hard limit (the supervisor sets one): the host-side records of this run,
                // located where the script last reported its line (it reports each 32 MiB it grows), as a kill at the cap is.
                var at = last;
                result = ScenarioRunner.FailedAt(request.Path, request.SnapshotsDir,
                    error => new ScenarioError(ErrorCode.MemoryBudget, "the engine ran out of memory for this scenario's records (host-side memory); reduce what the script records",
                        at is { Chunk: { } c, Line: > 0 } ? new SourceSpan(c, at.Line, 0) : error));
                recycle = true;
            }
            catch (Exception e)
            {
                result = ScenarioRunner.FailedAt(request.Path, request.SnapshotsDir,
                    where => new ScenarioError(ErrorCode.EngineError, $"internal engine error: {e.GetType().Name}: {e.Message}", where));
            }
            recycle = recycle || result.Recycle;
            var text = RunResultWire.Write(result, recycle);
            result = null!; // what the run kept can go before memory is given back
            lock (gate) { output.WriteLine(text); output.Flush(); }
            // A worker that stays much larger than it started retires now; the supervisor finds it gone
            // (or gone before it took its next request) and runs the next scenario on a fresh one.
            if (recycle || Kept(first)) return 0;
        }
        return 0;
    }

    /// <summary>The acknowledgement of a request, written before the scenario runs.</summary>
    public const string Ack = "{\"ack\":true}";

    /// <summary>
    /// After a scenario that left the process large: gives memory back, and says whether the process
    /// still holds more than <see cref="RecycleAbove"/> over <paramref name="first"/> (then it retires).
    /// </summary>
    private static bool Kept(long? first)
    {
        if (first is not { } f || ProcessMemory.Resident() is not { } now || now <= f + GiveBackAbove) return false;
        ProcessMemory.GiveBack();
        return ProcessMemory.Resident() is { } after && after > f + RecycleAbove;
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
