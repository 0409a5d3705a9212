using System.Diagnostics;
using System.Globalization;
using ScenarioEngine.Model;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// Whole runs (issue "1,000 scenarios a second"): copies of the shipped tree — scenarios, lua/ and the
/// approved snapshots, so every scenario is compared and matches — in a temporary folder, at least
/// 1,000 scenarios, run by `scenario run` in a child process of this same program with the default
/// --jobs (supervised workers). Rows: wall time per scenario (target: 1,000 a second), timed without
/// watching memory; and, in runs of their own, the peak memory of the run — the command and its
/// workers together as proportional set sizes (/proc/PID/smaps_rollup "Pss": a page shared by the
/// three processes, the runtime's code for one, is counted once, as a memory cgroup would charge it;
/// target: under 150 MiB), with the sum of their resident sizes (each shared page counted in every
/// process) beside it. Only when a shipped tree (scenarios/ with snapshots/ beside it) is found from
/// the current folder.
/// </summary>
internal static class TreeBench
{
    private const int Wanted = 1000;
    private const string PerScenario = "run: 1,000 copies of the shipped scenarios, per scenario";
    private const string Memory = "run: 1,000 copies of the shipped scenarios, peak memory";

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
        ShippedRoot() is null ? [] : [(PerScenario, () => Measure(watchMemory: false).PerScenario), (Memory, () => Measure(watchMemory: true).Memory)];

    /// <summary>The project root holding scenarios/, lua/ and snapshots/, from the current folder up.</summary>
    private static string? ShippedRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "scenarios")) && Directory.Exists(Path.Combine(dir.FullName, "snapshots")))
                return dir.FullName;
        return null;
    }

    private static (BenchCommand.Figure PerScenario, BenchCommand.Figure Memory) Measure(bool watchMemory)
    {
        var root = ShippedRoot()!;
        var tmp = Directory.CreateTempSubdirectory("scenario-bench-tree-").FullName; // fresh and private, never one planted beforehand
        try
        {
            int perCopy = Running.ScenarioRunner.Discover([Path.Combine(root, "scenarios")]).Count;
            int copies = (Wanted + perCopy - 1) / perCopy;
            var paths = new List<string>();
            for (int c = 0; c < copies; c++)
            {
                var project = Path.Combine(tmp, "p" + c.ToString(CultureInfo.InvariantCulture));
                foreach (var part in new[] { "scenarios", "lua", "snapshots" })
                    if (Directory.Exists(Path.Combine(root, part))) Copy(Path.Combine(root, part), Path.Combine(project, part));
                paths.Add(Path.Combine(project, "scenarios"));
            }
            int total = copies * perCopy;
            var times = new double[3];
            (double Pss, double Rss) peak = (0, 0);
            for (int r = 0; r < times.Length; r++)
            {
                var (seconds, memory) = RunOnce(paths, watchMemory);
                times[r] = seconds * 1e9 / total;
                peak = (Math.Max(peak.Pss, memory.Pss), Math.Max(peak.Rss, memory.Rss));
            }
            var rounds = BenchCommand.FromTimes(times);
            return (new BenchCommand.Figure(PerScenario, rounds, total, $"≥ 1,000 scenarios/s (≤ 1,000,000 ns each); {1e9 / rounds.Median:0} scenarios/s here, {total} scenarios", 1_000_000),
                    new BenchCommand.Figure(Memory, BenchCommand.Rounds.Of(peak.Pss / (1 << 20)), total,
                        string.Create(CultureInfo.InvariantCulture, $"< 150 MiB (the command and its workers, shared pages once; resident sizes summed: {peak.Rss / (1 << 20):0} MiB)"), 150) { Unit = "MiB" });
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// One `scenario run` of the copies: its wall seconds and, when <paramref name="watchMemory"/>, the
    /// peaks of its memory with its workers (0 where /proc is not there): proportional and resident
    /// sizes summed over the processes, bytes. Reading smaps costs the run time, so timed runs do not.
    /// </summary>
    private static (double Seconds, (double Pss, double Rss) Peak) RunOnce(IReadOnlyList<string> paths, bool watchMemory)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("no process path to start the run from");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet" && WorkerLauncher.AssemblyFile() is { } dll) psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("run");
        foreach (var p in paths) psi.ArgumentList.Add(p);
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        (double Pss, double Rss) peak = (0, 0);
        if (watchMemory)
            while (!process.WaitForExit(10))
            {
                var now = TreeMemory(process.Id);
                peak = (Math.Max(peak.Pss, now.Pss), Math.Max(peak.Rss, now.Rss));
            }
        else process.WaitForExit();
        sw.Stop();
        drain.Wait();
        if (process.ExitCode != 0) throw new InvalidOperationException($"the run of the copies exited {process.ExitCode}: {Display.Clip(drain.Result[0] + drain.Result[1], 400)}");
        return (sw.Elapsed.TotalSeconds, peak);
    }

    /// <summary>Pss and Rss of a process and its children (/proc/PID/smaps_rollup), bytes.</summary>
    private static (double Pss, double Rss) TreeMemory(int pid)
    {
        (double Pss, double Rss) sum = (0, 0);
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal)) sum.Pss += Kib(line[4..]);
                else if (line.StartsWith("Rss:", StringComparison.Ordinal)) sum.Rss += Kib(line[4..]);
            }
            // a process's children are listed per thread that started them
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var children = Path.Combine(task, "children");
                if (File.Exists(children))
                    foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var c = TreeMemory(int.Parse(child, CultureInfo.InvariantCulture));
                        sum = (sum.Pss + c.Pss, sum.Rss + c.Rss);
                    }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return sum;
    }

    private static double Kib(string field) => double.Parse(field.Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            if (f.EndsWith(".received.md", StringComparison.Ordinal)) continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }
}
