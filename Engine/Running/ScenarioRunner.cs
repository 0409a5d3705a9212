using ScenarioEngine.Record;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Reporting;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Running;

/// <summary>Options of a run; the same for the CLI, the tests and the service.</summary>
public sealed record RunOptions
{
    public Budgets Budgets { get; init; } = Budgets.Default;
    public string? SnapshotsDir { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public CancellationToken Cancel { get; init; }
    /// <summary>Called as each scenario of <see cref="ScenarioRunner.RunAll"/> finishes, from the worker that ran it (progress display).</summary>
    public Action<RunResult>? Completed { get; init; }
    /// <summary>Called from the script's hook at most four times a second with the running script line (a worker reports it to its supervisor).</summary>
    public Action<string?, int>? Heartbeat { get; init; }
    /// <summary>Draw the report's pictures as SVG too (<see cref="RunResult.Svgs"/>, for the dashboard); a plain run does not need them.</summary>
    public bool Svgs { get; init; } = true;
    /// <summary>When set, <see cref="ScenarioRunner.RunAll"/> runs each scenario in a supervised worker process; null runs them in this process.</summary>
    public WorkerPool? Pool { get; init; }
    /// <summary>Tests only: called in-process once the library is installed, before the script runs (the return-shape test wraps the API here).</summary>
    internal Action<LuaSandbox>? Instrument { get; init; }
}

/// <summary>
/// (scenario file) → <see cref="RunResult"/>: load the YAML, boot the simulated kernel, run the Lua
/// script in a fresh sandbox, render the report. The only entry point the Host uses. Bad input and
/// script failures become a failed result with a located error, never an exception.
/// </summary>
public static class ScenarioRunner
{
    public static RunResult Run(string scenarioPath, RunOptions options)
    {
        try
        {
            return RunUnguarded(scenarioPath, options);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in the engine fails this scenario, located at its file; the run goes on.
            return FailedAt(scenarioPath, options.SnapshotsDir,
                where => new ScenarioError(ErrorCode.EngineError, $"internal engine error: {e.GetType().Name}: {Model.Display.Clip(e.Message, 300)}", where));
        }
    }

    private static RunResult RunUnguarded(string scenarioPath, RunOptions options)
    {
        var layout = ProjectLayout.For(scenarioPath, options.SnapshotsDir);
        var display = layout.Display(scenarioPath);
        var full = Path.GetFullPath(scenarioPath);
        var inputs = new SortedSet<string>(StringComparer.Ordinal);
        Scenario scenario;
        try
        {
            scenario = ScenarioLoader.Load(scenarioPath, layout, inputs);
        }
        catch (ScenarioLoadException ex)
        {
            return Failed(display, full, inputs, new RunLog(), ex.Error);
        }
        catch (IOException ex)
        {
            return Failed(display, full, inputs, new RunLog(), new ScenarioError(ErrorCode.FileNotFound, ex.Message, new SourceSpan(display, 0, 0)));
        }

        if (scenario.Advice is { } request) return Advise(scenario, request, display, full, inputs, layout, options);
        return Execute(scenario, display, full, inputs, layout, options).Result;
    }

    /// <summary>A scenario with <c>advise:</c>: its report is the advice (docs/advise.md), its snapshot compared like any other.</summary>
    private static RunResult Advise(Scenario scenario, AdviceRequest request, string display, string full, ICollection<string> inputs, ProjectLayout layout, RunOptions options)
    {
        AdviceRun run;
        try
        {
            run = Advisor.Advise(scenario.Soc, scenario.Soc.SourceFile, request, scenario.Kernel, layout, options, request.Span);
        }
        catch (ScenarioLoadException ex)
        {
            return Failed(display, full, inputs, new RunLog(), ex.Error);
        }
        var part = new AdviceMarkdown.Part(run.Advice, run.Pictures);
        return new RunResult
        {
            Path = display,
            FullPath = full,
            Title = scenario.Title,
            Report = AdviceMarkdown.Render([part], scenario.Title, scenario.Description, display),
            Svgs = options.Svgs ? AdviceMarkdown.Drawn(part).InReportOrder().Select(Reporting.Pictures.SvgWriter.Draw).ToList() : [],
            Inputs = inputs.Order(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>
    /// Boots the scenario's SoC, runs its script in a fresh sandbox and renders the report: the part of a
    /// run after loading, for scenario files and for scenarios the engine generates (docs/advise.md).
    /// Returns the pictures too (the advice document draws the baseline's).
    /// </summary>
    internal static (RunResult Result, Reporting.Pictures.ReportPictures Pictures) Execute(Scenario scenario, string display, string full, ICollection<string> inputs, ProjectLayout layout, RunOptions options)
    {
        var machine = new Hardware.Machine(scenario.Soc);
        var core = new IommuCore(machine, scenario.Kernel, DriverFactory(), Dma.CoreDma.For);
        core.Boot();
        var log = new RunLog();
        ScenarioError? error = null;
        ScenarioLibrary? library = null;
        bool recycle;
        using (var sandbox = new LuaSandbox(options.Budgets, Directory.Exists(layout.LuaRoot) ? layout.LuaRoot : null, layout.Root, options.Cancel) { Heartbeat = options.Heartbeat })
        {
            sandbox.Inputs = inputs;
            library = new ScenarioLibrary(core, log, sandbox);
            library.Install(scenario.Params, Seed(display), scenario.Script.Chunk);
            options.Instrument?.Invoke(sandbox);
            var failure = sandbox.RunScript(scenario.Script.Text, scenario.Script.Chunk, scenario.Script.FirstLine);
            if (failure is not null)
            {
                // Lua's message starts with the same "chunk:line: " the error's location gives.
                var prefix = $"{failure.Chunk}:{failure.Line}: ";
                var message = failure.Message.StartsWith(prefix, StringComparison.Ordinal) ? failure.Message[prefix.Length..] : failure.Message;
                error = new ScenarioError(failure.Code, message, new SourceSpan(failure.Chunk, failure.Line, 0));
            }
            recycle = sandbox.Abandoned;
        }
        // The script's budget ends with the script: the logs let go of the sandbox, so a result kept
        // after the run (in-process runs keep them all) does not keep the Lua state, the library and the
        // whole simulated machine alive through them (984 scenarios in one process held 146 MiB).
        log.Charge = null;
        core.Machine.Log.Charge = null;
        var state = EndStateBuilder.Build(core, d => library.Mappings(d));
        var pictures = Reporting.Pictures.PictureBuilder.Build(scenario, state);
        var report = MarkdownReport.Render(new MarkdownReport.Input(display, scenario, state, log, error) { Pictures = pictures });
        return (new RunResult
        {
            Path = display,
            FullPath = full,
            Title = scenario.Title,
            Script = scenario.Script.Chunk,
            Error = error,
            Log = log,
            Events = state.Events,
            DroppedEvents = core.Machine.Log.Dropped,
            Report = report,
            Svgs = options.Svgs ? pictures.InReportOrder().Select(Reporting.Pictures.SvgWriter.Draw).ToList() : [],
            Inputs = inputs.Order(StringComparer.Ordinal).ToList(),
            Recycle = recycle,
        }, pictures);
    }

    /// <summary>Runs many scenarios on <see cref="RunOptions.Jobs"/> workers; results come back in input order.</summary>
    public static IReadOnlyList<RunResult> RunAll(IReadOnlyList<string> paths, RunOptions options)
    {
        var results = new RunResult[paths.Count];
        Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs) },
            i =>
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                results[i] = options.Pool is { } pool ? pool.Run(paths[i], options) : Run(paths[i], options);
                results[i].Seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
                options.Completed?.Invoke(results[i]);
            });
        return results;
    }

    /// <summary>A failed result for a scenario that stopped outside the script (a dead worker, a heap limit): the error at the scenario file, and a short report.</summary>
    internal static RunResult FailedAt(string scenarioPath, string? snapshotsDir, ErrorAt error)
    {
        var layout = ProjectLayout.For(scenarioPath, snapshotsDir);
        var display = layout.Display(scenarioPath);
        return Failed(display, Path.GetFullPath(scenarioPath), [Path.GetFullPath(scenarioPath)], new RunLog(), error(new SourceSpan(display, 0, 0)));
    }

    private static RunResult Failed(string display, string full, IEnumerable<string> inputs, RunLog log, ScenarioError error) => new()
    {
        Path = display,
        FullPath = full,
        Error = error,
        Log = log,
        Report = MarkdownReport.Render(new MarkdownReport.Input(display, null, null, log, error)),
        Inputs = inputs.ToList(),
    };

    /// <summary>One driver per family per SoC (<see cref="Drivers.Families"/>), created when its first instance probes.</summary>
    internal static Func<IommuCore, IommuInstance, IIommuDriver> DriverFactory()
    {
        var drivers = new Dictionary<string, IIommuDriver>(StringComparer.Ordinal);
        return (core, inst) => drivers.TryGetValue(inst.Driver, out var d) ? d
            : drivers[inst.Driver] = (Drivers.Families.Find(inst.Driver) ?? throw new InvalidOperationException($"driver {inst.Driver} passed the loader but has no model")).CreateDriver(core);
    }

    /// <summary>The per-scenario math.random seed: a stable hash of the scenario's display path (FNV-1a).</summary>
    private static int Seed(string display)
    {
        uint h = 2166136261;
        foreach (var c in display) { h ^= c; h *= 16777619; }
        return (int)(h & 0x7fffffff);
    }

    /// <summary>
    /// Every scenario file under the given paths (files or folders), SoC files excluded, sorted
    /// ordinally. The walk is bounded and follows no symbolic link (a link to a parent folder would
    /// loop), yet drops none without a word: a linked scenario file is listed and read like any other —
    /// through <see cref="InputFiles"/>, so its target must be a regular file inside the project tree, else
    /// a located SE1014 — and a linked folder is listed, so that its entry fails with a located SE1014
    /// saying it was not followed (give the folder itself to run what it holds).
    /// </summary>
    public static IReadOnlyList<string> Discover(IEnumerable<string> paths)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            if (File.Exists(p)) { found.Add(Path.GetFullPath(p)); continue; }
            if (!Directory.Exists(p)) continue;
            void Add(string f)
            {
                var rel = Path.GetRelativePath(p, f).Replace('\\', '/');
                if (rel.StartsWith("socs/", StringComparison.Ordinal) || rel.Contains("/socs/", StringComparison.Ordinal)) return;
                found.Add(Path.GetFullPath(f));
            }
            var walk = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 32, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint };
            foreach (var f in Directory.EnumerateFiles(p, "*.yaml", walk)) Add(f);
            // the links the walk above skips: each folder it visits, listed once more without skipping them
            var here = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
            foreach (var dir in Directory.EnumerateDirectories(p, "*", walk).Prepend(p))
                foreach (var e in Directory.EnumerateFileSystemEntries(dir, "*", here))
                {
                    var info = new FileInfo(e);
                    if (info.LinkTarget is null) continue;
                    if (e.EndsWith(".yaml", StringComparison.Ordinal) || Directory.Exists(e)) Add(e);
                }
        }
        return found.ToList();
    }
}
