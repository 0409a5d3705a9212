using ScenarioEngine.Record;
using System.Text.RegularExpressions;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Host;

/// <summary>`scenario run`: discover, shard, filter, run in parallel, compare snapshots, print.</summary>
internal static class RunCommand
{
    public sealed record Args(string[] Paths, string? Filter, string Format, string? Shard, int Jobs, string? Snapshots, Budgets Budgets, bool InProcess = false)
    {
        /// <summary>Files written beside the console output (docs/ci.md): JUnit XML, the JSON document, the review summary in its two sizes.</summary>
        public string? JunitFile { get; init; }
        public string? JsonFile { get; init; }
        public string? SummaryFile { get; init; }
        public string? CommentFile { get; init; }
        /// <summary>Where the received reports can be downloaded, as the summary names it.</summary>
        public string? Artifact { get; init; }
        public JunitReport.Flavor JunitFlavor { get; init; }
    }

    public static int Execute(Args a, TextWriter stdout, TextWriter stderr)
    {
        if (a.Jobs < 1 || a.Jobs > 256) { stderr.WriteLine($"scenario run: --jobs must be between 1 and 256, got {a.Jobs}"); return Cli.Misuse; }
        var paths = Cli.DefaultPaths(a.Paths);
        foreach (var p in paths)
            if (!File.Exists(p) && !Directory.Exists(p)) { stderr.WriteLine($"scenario run: no such file or folder: {p}"); return Cli.Misuse; }
        var files = ScenarioRunner.Discover(paths).ToList();
        bool wholeTree = a.Filter is null && a.Shard is null;
        if (a.Filter is not null)
        {
            var rx = Glob(a.Filter);
            files = files.Where(f => rx.IsMatch(UnderScenarios(f)) || rx.IsMatch(Path.ChangeExtension(UnderScenarios(f), null)!)).ToList();
        }
        if (a.Shard is not null)
        {
            var m = Regex.Match(a.Shard, @"^(\d{1,6})/(\d{1,6})$");
            if (!m.Success || int.Parse(m.Groups[1].Value) < 1 || int.Parse(m.Groups[1].Value) > int.Parse(m.Groups[2].Value))
            {
                stderr.WriteLine($"scenario run: --shard must be K/N with 1 ≤ K ≤ N ≤ 999999, got '{Display.Clip(a.Shard, 40)}'");
                return Cli.Misuse;
            }
            int k = int.Parse(m.Groups[1].Value) - 1, n = int.Parse(m.Groups[2].Value);
            files = files.Where((_, i) => i % n == k).ToList();
        }
        if (a.Snapshots is not null && (File.Exists(a.Snapshots) || InputFiles.IsSpecial(a.Snapshots)))
        {
            stderr.WriteLine($"scenario run: --snapshots must be a folder, and '{Display.Clip(a.Snapshots, 200)}' is a file");
            return Cli.Misuse;
        }
        var outputs = new[] { ("--junit", a.JunitFile), ("--json", a.JsonFile), ("--summary", a.SummaryFile), ("--comment", a.CommentFile) }
            .Where(o => o.Item2 is not null).Select(o => (Option: o.Item1, File: o.Item2!)).ToList();
        foreach (var (option, file) in outputs)
            if (OutputProblem(file) is { } problem) { stderr.WriteLine($"scenario run: {option} {Display.Clip(file, 200)}: {problem}"); return Cli.Misuse; }
        foreach (var same in outputs.GroupBy(o => Path.GetFullPath(o.File), StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            stderr.WriteLine($"scenario run: {string.Join(" and ", same.Select(o => o.Option))} name the same file {Display.Clip(same.First().File, 200)}");
            return Cli.Misuse;
        }
        if (a.Artifact is not null && (a.Artifact.Length > 2000 || a.Artifact.Any(Display.IsUnsafe)))
        {
            stderr.WriteLine("scenario run: --summary-artifact must be one line of at most 2000 characters");
            return Cli.Misuse;
        }
        if (files.Count == 0)
        {
            stderr.WriteLine($"scenario run: no scenarios found in {string.Join(", ", paths)}" + (a.Filter is null ? "" : $" matching '{a.Filter}'"));
            return Cli.Misuse;
        }

        foreach (var root in files.Select(f => ProjectLayout.For(f, a.Snapshots).SnapshotsRoot).Distinct(StringComparer.Ordinal))
            foreach (var stale in SnapshotStore.RemoveStaleTemps(root))
                stderr.WriteLine($"scenario run: removed {Display.Controls(stale)}, a temporary file left by a run that was killed while writing");
        var progress = a.Format == "text" && Progress.Interactive(stderr) ? new Progress(stderr, files.Count) : null;
        using var pool = a.InProcess ? null : new WorkerPool(WorkerLauncher.Command(), Math.Min(a.Jobs, files.Count));
        // Each result is compared with its snapshot as it arrives; the text summary needs no report or
        // log rows after that, so a run of many scenarios holds one report at a time. One comparison at
        // a time in this process: the snapshot folder's lock is a file lock, and two of our own threads
        // meeting on it would wait out its retry sleep.
        var compareGate = new object();
        // The review summary keeps what it shows of each result while the report is in memory (bounded: ReviewCollector).
        var review = a.SummaryFile is not null || a.CommentFile is not null ? new Reporting.Review.ReviewCollector() : null;
        var options = new RunOptions
        {
            Budgets = a.Budgets, Jobs = a.Jobs, SnapshotsDir = a.Snapshots, Pool = pool, Svgs = false,
            Completed = r =>
            {
                lock (compareGate) SnapshotStore.Compare(r, a.Snapshots);
                review?.Add(r);
                // Only the JSON document needs every report's rows at the end; the JUnit XML and the text need the counts, expectations and diff.
                if (a.Format != "json" && a.JsonFile is null) r.ReleaseBodies();
                progress?.Completed(r.Path);
            },
        };
        var results = ScenarioRunner.RunAll(files, options);
        progress?.Finish();

        var dangling = new List<string>();
        if (wholeTree)
        {
            foreach (var root in paths.Where(Directory.Exists))
            {
                var layout = ProjectLayout.For(Path.Combine(root, "x.yaml"), a.Snapshots);
                if (Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) != layout.ScenariosRoot.TrimEnd(Path.DirectorySeparatorChar)) continue;
                dangling.AddRange(SnapshotStore.Dangling(layout.ScenariosRoot, layout.SnapshotsRoot).Select(layout.Display));
            }
        }

        if (a.Format == "json") stdout.Write(JsonReport.Render(results));
        else if (a.Format == "junit") stdout.Write(JunitReport.Render(results, a.JunitFlavor));
        else TextSummary.Write(stdout, results, dangling);
        if (a.Format != "text")
            foreach (var d in dangling) stderr.WriteLine($"scenario run: dangling snapshot {Display.Controls(d)} (its scenario no longer exists)");
        bool written = true;
        foreach (var (option, file) in outputs)
        {
            var text = option switch
            {
                "--junit" => JunitReport.Render(results, a.JunitFlavor),
                "--json" => JsonReport.Render(results),
                "--summary" => Reporting.Review.ReviewSummary.Render(results, dangling, review!, Reporting.Review.SummaryLimit.JobSummary, a.Artifact),
                _ => Reporting.Review.ReviewSummary.Render(results, dangling, review!, Reporting.Review.SummaryLimit.Comment, a.Artifact),
            };
            try { SnapshotStore.WriteAtomic(Path.GetFullPath(file), text); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"scenario run: {option} {Display.Clip(file, 200)} could not be written: {Display.Clip(e.Message, 300)}");
                written = false;
            }
        }
        DiffLauncher.MaybeLaunch(results);

        bool ok = results.All(r => r.Passed && r.Snapshot == SnapshotStatus.Matched) && dangling.Count == 0 && written;
        return ok ? Cli.Ok : Cli.Failed;
    }

    /// <summary>Why an output file cannot be written, checked before anything runs (null: it can be tried).</summary>
    private static string? OutputProblem(string file)
    {
        if (file.Length == 0 || file.Length > 4096 || file.Any(Display.IsUnsafe)) return "not a usable file name";
        if (Directory.Exists(file)) return "is a folder";
        if (InputFiles.IsSpecial(file)) return "is not a regular file";
        var dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is null || !Directory.Exists(dir)) return "its folder does not exist";
        return null;
    }

    private static string UnderScenarios(string file)
    {
        var layout = ProjectLayout.For(file);
        return Path.GetRelativePath(layout.ScenariosRoot, file).Replace('\\', '/');
    }

    internal static Regex Glob(string glob)
    {
        var rx = Regex.Escape(glob).Replace(@"\*\*", "\u0001", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal).Replace("\u0001", ".*", StringComparison.Ordinal);
        // NonBacktracking: matching time stays linear whatever glob the user passes.
        return new Regex("^" + rx + "$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
    }
}
