using ScenarioEngine.Yaml;
using ScenarioEngine.Model;

namespace ScenarioEngine.Record;

public enum SnapshotStatus { Matched, Changed, New, NotCompared }

/// <summary>The outcome of one scenario file — the run record the writers read: what happened, the rendered report, the snapshot verdict.</summary>
public sealed class RunResult
{
    public required string Path { get; init; }
    public required string FullPath { get; init; }
    public string? Title { get; init; }
    /// <summary>The chunk name of the scenario's own script (a Lua file's project path, or the YAML path when inline); null when it never loaded.</summary>
    public string? Script { get; init; }
    /// <summary>Wall-clock seconds the scenario took, as the command saw it. Never part of a report (JUnit's time attribute only).</summary>
    public double Seconds { get; set; }
    /// <summary>The scenario's error; set after the run too when its snapshot cannot be compared or written (SE3001).</summary>
    public ScenarioError? Error { get; set; }
    public RunLog Log { get; init; } = new();
    /// <summary>The machine's events as plain data (faults, stale translations, hazards, WARNs).</summary>
    public IReadOnlyList<RecordedEvent> Events { get; init; } = [];
    public required string Report { get; set; }
    /// <summary>The report's pictures as SVG, in the order of its Mermaid blocks (the dashboard draws them in their place). Never part of the report.</summary>
    public IReadOnlyList<string> Svgs { get; init; } = [];
    /// <summary>
    /// Full paths of the files the run read or looked for (scenario, SoC file, script, required
    /// modules, sorted): a change to any of them can change the report. Never part of the report.
    /// </summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];
    /// <summary>
    /// The run left a script thread parked inside its Lua state (a runaway in a non-yieldable C
    /// boundary): a worker process that ran it exits after answering, so the thread dies with it.
    /// </summary>
    public bool Recycle { get; init; }
    public SnapshotStatus Snapshot { get; set; } = SnapshotStatus.NotCompared;
    /// <summary>Unified diff against the verified snapshot when <see cref="Snapshot"/> is Changed.</summary>
    public string? Diff { get; set; }
    public string? SnapshotPath { get; set; }

    public int ExpectationsPassed => Log.ExpectationsPassed;
    public int ExpectationsFailed => Log.ExpectationsFailed;
    /// <summary>Events the run's event log counted but did not keep (its limit is EndState.MaxEvents).</summary>
    public int DroppedEvents { get; init; }
    public bool Passed => Error is null && ExpectationsFailed == 0;

    /// <summary>
    /// Lets go of the report's text and the log's rows once the snapshot comparison is done and no
    /// output needs them (the text summary): a run of many scenarios then holds one report at a time,
    /// not all of them. Counts, expectations, the diff and the error stay.
    /// </summary>
    public void ReleaseBodies()
    {
        Report = "";
        Log.ReleaseRows();
    }
}
