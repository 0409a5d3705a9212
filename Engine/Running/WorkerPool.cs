using ScenarioEngine.Record;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;

namespace ScenarioEngine.Running;

/// <summary>How to start one worker process: the program and its arguments (the Host's <c>scenario worker</c>).</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>
/// Scenarios run in supervised worker processes, as many as the run's jobs, each reused across
/// scenarios (start-up is paid once per worker). The supervisor sends one request at a time and
/// watches the worker while it runs: a worker that dies (a native crash, an abort), outlives the
/// wall-clock budget plus a grace period, or grows past its memory cap is killed and replaced, and
/// its scenario fails with a located error — the last script line the worker reported, and the
/// signal, the budget or the cap — and a short report. Every other scenario runs on.
/// The worker's managed heap gets a hard limit (DOTNET_GCHeapHardLimit) at the same cap, so host-side
/// records that run away end as an out-of-memory result inside the worker rather than as swapping.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long a worker may run past the scenario's wall-clock budget (loading, boot and the report are outside the script's clock).</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(25);

    private readonly WorkerCommand _command;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<Worker> _idle = new();
    private readonly ConcurrentDictionary<Worker, byte> _all = new();
    private bool _disposed;

    private readonly TimeSpan _grace;
    private readonly long? _cap;

    /// <param name="grace">how long past the wall-clock budget a worker may run (default <see cref="DefaultGrace"/>)</param>
    /// <param name="memoryCap">the resident-memory cap of a worker (default <see cref="MemoryCap"/> of the run's budgets)</param>
    public WorkerPool(WorkerCommand command, int size, TimeSpan? grace = null, long? memoryCap = null)
    {
        _command = command;
        _slots = new SemaphoreSlim(Math.Max(1, size));
        _grace = grace ?? DefaultGrace;
        _cap = memoryCap;
    }

    /// <summary>Workers started so far (tests and the overhead figures).</summary>
    public int Started => _started;
    private int _started;

    /// <summary>The resident-memory cap of a worker for these budgets: the Lua budget plus 512 MiB for the runtime and host-side records.</summary>
    public static long MemoryCap(Scripting.Budgets b) => b.MemoryBytes + (512L << 20);

    /// <summary>Runs one scenario in a worker; never throws for anything the scenario or the worker does.</summary>
    public RunResult Run(string scenarioPath, RunOptions options)
    {
        var full = Path.GetFullPath(scenarioPath);
        _slots.Wait();
        Worker? worker = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (options.Cancel.IsCancellationRequested)
                return ScenarioRunner.FailedAt(full, options.SnapshotsDir, where => new ScenarioError(ErrorCode.Cancelled, "cancelled", where));
            while (_idle.TryTake(out var w))
            {
                if (!w.HasExited) { worker = w; break; }
                Retire(w);
            }
            worker ??= Start(options.Budgets);
            var (result, healthy) = worker.Run(new WorkerRequest(full, options.SnapshotsDir, options.Budgets, options.Svgs), options);
            if (healthy) _idle.Add(worker);
            else Retire(worker);
            worker = null;
            return result;
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            if (worker is not null) Retire(worker);
            return ScenarioRunner.FailedAt(full, options.SnapshotsDir,
                where => new ScenarioError(ErrorCode.WorkerDied, $"could not run a worker process: {e.Message}", where));
        }
        finally
        {
            _slots.Release();
        }
    }

    private Worker Start(Scripting.Budgets budgets)
    {
        var psi = new ProcessStartInfo(_command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new System.Text.UTF8Encoding(false),
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
        };
        foreach (var a in _command.Arguments) psi.ArgumentList.Add(a);
        var cap = _cap ?? MemoryCap(budgets);
        psi.Environment["DOTNET_GCHeapHardLimit"] = cap.ToString("x", CultureInfo.InvariantCulture);
        SingleCpuTiering(psi);
        ShortScriptsProfile(psi);
        NoInheritedDiagnosticPort(psi);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_command.FileName}");
        var w = new Worker(p, cap, _grace);
        _all[w] = 0;
        Interlocked.Increment(ref _started);
        return w;
    }

    /// <summary>
    /// On a machine with one CPU the runtime waits ten times longer before it recompiles hot methods
    /// optimised (TC_DelaySingleProcMultiplier, default 10: a 1 s call-counting delay, renewed by every
    /// new tier-0 method), so a worker's hot paths ran at tier 0 for most of a run — LPAE map 3.8× and
    /// map_pages 9× slower than on two cores (docs/performance.md). A worker gets the two-core delay;
    /// the knob is read only from the environment, so it is set for the process the engine starts,
    /// unless the user set it.
    /// </summary>
    public static void SingleCpuTiering(ProcessStartInfo psi)
    {
        if (Environment.GetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier") is null)
            psi.Environment["DOTNET_TC_DelaySingleProcMultiplier"] = "1";
    }

    /// <summary>
    /// A worker runs short scripts whose time goes to Lua, the boot and the report, not to a few hot
    /// loops: there tiered PGO's instrumented recompilation costs more than its profile returns. Measured
    /// with the Release build on two cores (farm-bench, docs/performance.md): 984 scenarios 1.43 → 1.33 s,
    /// and a scenario of 2.4 million host calls 1.30 → 1.26 s. `scenario bench` starts its rows' processes
    /// with these settings too, so its figures are what a run gets. Read from the environment; a user's
    /// own setting wins.
    /// </summary>
    public static void ShortScriptsProfile(ProcessStartInfo psi)
    {
        if (Environment.GetEnvironmentVariable("DOTNET_TieredPGO") is null)
            psi.Environment["DOTNET_TieredPGO"] = "0";
        // A 2 MiB generation-0 budget instead of one sized from the CPU's cache: a worker's garbage is
        // a scenario's, short-lived and small. Measured: 12 MiB less resident per worker and no slower
        // (984 scenarios). Read only from the environment.
        if (Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is null)
            psi.Environment["DOTNET_GCgen0size"] = "200000"; // hex without "0x": NativeAOT ignores a value with the prefix (tested), the JIT runtime takes both
    }

    /// <summary>
    /// A diagnostic port given to the command (dotnet-trace or dotnet-monitor starting it, which asks
    /// the runtime to suspend until the tool connects) is the command's own: a worker that inherited
    /// it would wait at start-up for a tool that never connects, until the watchdog killed it — every
    /// scenario of a traced run ended as a wall-clock failure. Workers start without it.
    /// </summary>
    public static void NoInheritedDiagnosticPort(ProcessStartInfo psi)
    {
        psi.Environment.Remove("DOTNET_DiagnosticPorts");
        psi.Environment.Remove("DOTNET_DefaultDiagnosticPortSuspend");
    }

    private void Retire(Worker w)
    {
        _all.TryRemove(w, out _);
        w.Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var w in _all.Keys) Retire(w);
        while (_idle.TryTake(out _)) { }
    }

    /// <summary>One worker process and the threads that drain its output streams.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly Process _p;
        private readonly long _cap;
        private readonly TimeSpan _grace;
        private readonly BlockingCollection<string> _lines = new(new ConcurrentQueue<string>());
        private readonly Queue<string> _stderr = new();
        private readonly Thread _out, _err;

        public Worker(Process p, long cap, TimeSpan grace)
        {
            _p = p;
            _cap = cap;
            _grace = grace;
            _out = new Thread(() =>
            {
                try { while (_p.StandardOutput.ReadLine() is { } l) _lines.Add(l); }
                catch (Exception e) when (e is IOException or ObjectDisposedException) { }
                finally { _lines.CompleteAdding(); }
            }) { IsBackground = true, Name = "worker-out" };
            _err = new Thread(() =>
            {
                try
                {
                    while (_p.StandardError.ReadLine() is { } l)
                        lock (_stderr)
                        {
                            _stderr.Enqueue(l.Length > 300 ? l[..300] : l);
                            if (_stderr.Count > 8) _stderr.Dequeue();
                        }
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            }) { IsBackground = true, Name = "worker-err" };
            _out.Start();
            _err.Start();
        }

        public bool HasExited => _lines.IsAddingCompleted || _p.HasExited;

        /// <summary>Sends one request and supervises it; healthy is false when the worker must not be reused.</summary>
        public (RunResult Result, bool Healthy) Run(WorkerRequest request, RunOptions options)
        {
            _p.StandardInput.WriteLine(request.ToJson());
            _p.StandardInput.Flush();
            var deadline = Stopwatch.StartNew();
            var limit = request.Budgets.WallClock + _grace;
            string? chunk = null;
            int line = 0;
            while (true)
            {
                if (_lines.TryTake(out var text, PollEvery))
                {
                    JsonDocument doc;
                    try { doc = JsonDocument.Parse(text); }
                    catch (JsonException)
                    {
                        Kill();
                        return (Fail(request, options, chunk, line, ErrorCode.WorkerDied, "the worker process wrote something that is not a result line; it was killed"), false);
                    }
                    using var _ = doc;
                    if (doc.RootElement.TryGetProperty("at", out var at))
                    {
                        chunk = at.GetProperty("chunk").GetString();
                        line = at.GetProperty("line").GetInt32();
                        continue;
                    }
                    var result = RunResultWire.Read(doc.RootElement.GetProperty("result"));
                    return (result, !result.Recycle);
                }
                if (_lines.IsCompleted)
                {
                    _p.WaitForExit(2000);
                    var how = _p.HasExited ? ExitText(_p.ExitCode) : "closed its output";
                    return (Fail(request, options, chunk, line, ErrorCode.WorkerDied, $"the worker process running this scenario died ({how}){LastStderr()}"), false);
                }
                if (options.Cancel.IsCancellationRequested)
                {
                    Kill();
                    return (Fail(request, options, chunk, line, ErrorCode.Cancelled, "cancelled"), false);
                }
                if (deadline.Elapsed > limit)
                {
                    Kill();
                    return (Fail(request, options, chunk, line, ErrorCode.TimeBudget,
                        string.Create(CultureInfo.InvariantCulture, $"wall-clock budget exceeded ({request.Budgets.WallClock.TotalSeconds:0.#} s, and {_grace.TotalSeconds:0.#} s more for loading and the report): the worker was killed")), false);
                }
                if (Resident() is { } rss && rss > _cap)
                {
                    Kill();
                    return (Fail(request, options, chunk, line, ErrorCode.MemoryBudget,
                        $"memory cap exceeded: the worker process grew to {rss >> 20} MiB (cap {_cap >> 20} MiB) and was killed"), false);
                }
            }
        }

        private static RunResult Fail(WorkerRequest request, RunOptions options, string? chunk, int line, ErrorCode code, string message) =>
            ScenarioRunner.FailedAt(request.Path, options.SnapshotsDir,
                where => new ScenarioError(code, message, chunk is null || line <= 0 ? where : new SourceSpan(chunk, line, 0)));

        private static string ExitText(int code) => code > 128 && code < 128 + 65
            ? $"killed by signal {code - 128}{SignalName(code - 128)}"
            : $"exit code {code}";

        private static string SignalName(int s) => s switch
        {
            6 => " (SIGABRT)", 9 => " (SIGKILL)", 11 => " (SIGSEGV)", 7 => " (SIGBUS)", 15 => " (SIGTERM)", _ => "",
        };

        private string LastStderr()
        {
            _err.Join(500);
            lock (_stderr)
            {
                var last = _stderr.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
                return last is null ? "" : ": " + last.Trim();
            }
        }

        /// <summary>Resident set size from /proc (Linux); null where it cannot be read.</summary>
        private long? Resident()
        {
            try
            {
                var statm = File.ReadAllText($"/proc/{_p.Id.ToString(CultureInfo.InvariantCulture)}/statm");
                var parts = statm.Split(' ');
                return parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages) ? pages * Environment.SystemPageSize : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                return null;
            }
        }

        private void Kill()
        {
            try { if (!_p.HasExited) _p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            _p.WaitForExit(5000);
        }

        public void Dispose()
        {
            try { _p.StandardInput.Close(); } catch (IOException) { }
            if (!_p.WaitForExit(200)) Kill();
            _p.Dispose();
        }
    }
}
