using System.CommandLine;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Host;

public static class Cli
{
    public const int Ok = 0, Failed = 1, Misuse = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = Build(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) stderr.WriteLine("scenario: " + e.Message);
            stderr.WriteLine("Try 'scenario --help'.");
            return Misuse;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>Every command, argument and option of <c>scenario</c> (docs/cli.md documents each; a test keeps them in step).</summary>
    internal static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("ScenarioEngine: IOMMU scenarios against a simulated Linux IOMMU core and hardware.");

        var runPaths = PathsArgument();
        var filter = new Option<string?>("--filter") { Description = "Only scenarios whose path under scenarios/ matches this glob (e.g. 'seed/*')." };
        var format = new Option<string>("--format") { Description = "Output format: text, json (docs/ci.md) or junit (JUnit XML for CI).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "junit");
        var shard = new Option<string?>("--shard") { Description = "Run shard K of N (K/N, 1-based): a deterministic partition of the sorted scenario list." };
        var jobs = new Option<int>("--jobs") { Description = "Scenarios run in parallel.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var snapshots = new Option<string?>("--snapshots") { Description = "Snapshot folder (default: snapshots/ beside the nearest scenarios/)." };
        var instructions = new Option<long>("--max-instructions") { Description = "Lua instruction budget per scenario.", DefaultValueFactory = _ => Budgets.Default.Instructions };
        var memory = new Option<long>("--max-memory-mib") { Description = "Lua memory budget per scenario, MiB.", DefaultValueFactory = _ => Budgets.Default.MemoryBytes >> 20 };
        var seconds = new Option<double>("--max-seconds") { Description = "Wall-clock budget per scenario, seconds (a backstop; the instruction budget is the deterministic one).", DefaultValueFactory = _ => Budgets.Default.WallClock.TotalSeconds };
        var inProcess = new Option<bool>("--in-process") { Description = "Run scenarios inside this process instead of supervised worker processes (for debugging; a crash then ends the whole run)." };
        var junitFile = new Option<string?>("--junit") { Description = "Also write the JUnit XML to FILE (whatever --format prints)." };
        var jsonFile = new Option<string?>("--json") { Description = "Also write the JSON document to FILE (whatever --format prints)." };
        var summaryFile = new Option<string?>("--summary") { Description = "Also write the review summary (GitHub-flavoured Markdown, at most 1 MiB: a job summary) to FILE." };
        var commentFile = new Option<string?>("--comment") { Description = "Also write the review summary sized for a pull-request comment (at most 65,536 characters, a marker line first) to FILE." };
        var artifact = new Option<string?>("--summary-artifact") { Description = "Where the received reports can be downloaded (a URL or a name): the summary points there." };
        var junitFlavor = new Option<string>("--junit-flavor") { Description = "JUnit dialect: standard (file and line per testcase) or jenkins (junit-10's elements only, one testsuite per topic).", DefaultValueFactory = _ => "standard" };
        junitFlavor.AcceptOnlyFromAmong("standard", "jenkins");
        var run = new Command("run", "Run scenarios, compare their reports with the approved snapshots.")
        { runPaths, filter, format, shard, jobs, snapshots, instructions, memory, seconds, inProcess, junitFile, jsonFile, summaryFile, commentFile, artifact, junitFlavor };
        run.SetAction(p =>
        {
            if (BudgetsFrom(p, instructions, memory, seconds, "run", stderr) is not { } budgets) return Misuse;
            return RunCommand.Execute(new RunCommand.Args(
                p.GetValue(runPaths) ?? [], p.GetValue(filter), p.GetValue(format)!, p.GetValue(shard), p.GetValue(jobs),
                p.GetValue(snapshots), budgets, p.GetValue(inProcess))
            {
                JunitFile = p.GetValue(junitFile), JsonFile = p.GetValue(jsonFile), SummaryFile = p.GetValue(summaryFile),
                CommentFile = p.GetValue(commentFile), Artifact = p.GetValue(artifact),
                JunitFlavor = p.GetValue(junitFlavor) == "jenkins" ? Reporting.JunitReport.Flavor.Jenkins : Reporting.JunitReport.Flavor.Standard,
            }, stdout, stderr);
        });

        var worker = new Command("worker", "Internal: serve run requests from a supervising 'scenario run' or 'watch' on standard input.") { Hidden = true };
        worker.SetAction(_ => WorkerLoop.Serve(Console.In, Console.Out));

        var approvePaths = PathsArgument();
        var approveSnapshots = new Option<string?>("--snapshots") { Description = "Snapshot folder." };
        var approveFrom = new Option<string?>("--from") { Description = "Take the received reports from this folder (a downloaded CI artefact: TOPIC/CASE.received.md) instead of beside the snapshots." };
        var approveFormat = new Option<string>("--format") { Description = "Output format: text, or json (what was approved, what was not and why).", DefaultValueFactory = _ => "text" };
        approveFormat.AcceptOnlyFromAmong("text", "json");
        var approve = new Command("approve", "Accept received reports: move *.received.md over *.verified.md.") { approvePaths, approveSnapshots, approveFrom, approveFormat };
        approve.SetAction(p => ApproveCommand.Execute(p.GetValue(approvePaths) ?? [], p.GetValue(approveSnapshots), stdout, stderr,
            from: p.GetValue(approveFrom), format: p.GetValue(approveFormat)!));

        var validatePaths = PathsArgument();
        var validate = new Command("validate", "Load and check YAML, compile Lua, without running.") { validatePaths };
        validate.SetAction(p => ValidateCommand.Execute(p.GetValue(validatePaths) ?? [], stdout, stderr));

        var benchJson = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var benchOnly = new Option<string?>("--only") { Description = "Only benchmarks whose name contains this text." };
        var benchInProcess = new Option<bool>("--in-process") { Description = "Run every benchmark in this process (default: one child process each, for independent JIT profiles)." };
        var bench = new Command("bench", "Measure the engine's hot paths against the kernel's own code's figures.") { benchJson, benchOnly, benchInProcess };
        bench.SetAction(p => Bench.BenchCommand.Execute(p.GetValue(benchJson), p.GetValue(benchOnly), p.GetValue(benchInProcess), stdout));

        var newSocName = new Argument<string>("name") { Description = "The SoC's name; the file is scenarios/socs/NAME.yaml." };
        var newSocDir = new Option<string?>("--dir") { Description = "Folder for the file (default: scenarios/socs)." };
        var newSoc = new Command("soc", "Scaffold an SoC file that validates.") { newSocName, newSocDir };
        newSoc.SetAction(p => NewCommand.Soc(p.GetValue(newSocName)!, p.GetValue(newSocDir), stdout, stderr));
        var newScenarioName = new Argument<string>("name") { Description = "The scenario's name, optionally under a folder (seed/apu-attach); the file is scenarios/NAME.yaml." };
        var newScenarioSoc = new Option<string>("--soc") { Description = "The SoC file the scenario runs on.", Required = true };
        var newScenarioDir = new Option<string?>("--dir") { Description = "Folder for the file (default: scenarios)." };
        var newScenario = new Command("scenario", "Scaffold a scenario that validates and runs on an SoC file.") { newScenarioName, newScenarioSoc, newScenarioDir };
        newScenario.SetAction(p => NewCommand.Scenario(p.GetValue(newScenarioName)!, p.GetValue(newScenarioSoc)!, p.GetValue(newScenarioDir), stdout, stderr));
        var @new = new Command("new", "Scaffold a new SoC or scenario file (never overwrites).") { newSoc, newScenario };

        var watchPath = new Argument<string?>("path") { Description = "The scenarios/ folder to keep checked (default: scenarios).", Arity = ArgumentArity.ZeroOrOne };
        var watchPoll = new Option<int?>("--poll-ms") { Description = "Poll content hashes at this interval instead of file-system events (for file systems without events)." };
        var watchDebounce = new Option<int>("--debounce-ms") { Description = "Quiet time per file before a change is acted on.", DefaultValueFactory = _ => 200 };
        var watchJobs = new Option<int>("--jobs") { Description = "Scenarios run in parallel.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var watchSnapshots = new Option<string?>("--snapshots") { Description = "Snapshot folder (default: snapshots/ beside scenarios/)." };
        var watchUrls = new Option<string?>("--urls") { Description = "Also serve the latest results read-only at this loopback URL, e.g. http://127.0.0.1:5080." };
        var watchApprove = new Option<bool>("--allow-approve") { Description = "With --urls: an Approve button per changed or new scenario (a same-origin POST; off by default, the view is read-only)." };
        var watch = new Command("watch", "Run the tree, then re-run what each change affects; writes received files, never verified ones (unless --allow-approve and you press Approve).")
        { watchPath, watchPoll, watchDebounce, watchJobs, watchSnapshots, watchUrls, watchApprove, instructions, memory, seconds };
        watch.SetAction(p => BudgetsFrom(p, instructions, memory, seconds, "watch", stderr) is not { } budgets ? Misuse : Watch.WatchCommand.Execute(new Watch.WatchOptions
        {
            ScenariosRoot = p.GetValue(watchPath) ?? "scenarios",
            Poll = p.GetValue(watchPoll) is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            Debounce = TimeSpan.FromMilliseconds(p.GetValue(watchDebounce)),
            Jobs = p.GetValue(watchJobs),
            SnapshotsDir = p.GetValue(watchSnapshots),
            Urls = p.GetValue(watchUrls),
            AllowApprove = p.GetValue(watchApprove),
            Budgets = budgets,
        }, stderr));

        var dtbFile = new Argument<string>("file") { Description = "A flattened device tree blob (dtc or make dtbs output)." };
        var dtbOut = new Option<string?>("--output", "-o") { Description = "Write the SoC file here (never over an existing file); default: standard output." };
        var dtb = new Command("dtb", "Write a SoC file from a flattened device tree blob.") { dtbFile, dtbOut };
        dtb.SetAction(p => ImportCommand.Dtb(p.GetValue(dtbFile)!, p.GetValue(dtbOut), stdout, stderr));
        var fdtDir = new Argument<string>("dir") { Description = "A copy of a running board's /proc/device-tree." };
        var fdtOut = new Option<string?>("--output", "-o") { Description = "Write the SoC file here (never over an existing file); default: standard output." };
        var fdt = new Command("fdt-dir", "Write a SoC file from a copy of /proc/device-tree.") { fdtDir, fdtOut };
        fdt.SetAction(p => ImportCommand.FdtDir(p.GetValue(fdtDir)!, p.GetValue(fdtOut), stdout, stderr));
        var import = new Command("import", "Write a SoC file from a board's device tree (docs/your-board.md).") { dtb, fdt };

        var adviseSoc = new Option<string[]>("--soc") { Description = "A SoC file; repeat for a matrix of strategies × SoCs.", Required = true, AllowMultipleArgumentsPerToken = false };
        var adviseDevice = new Option<string>("--device") { Description = "The device whose firmware needs its window.", Required = true };
        var adviseWindow = new Option<string?>("--window") { Description = "Which of the device's firmware windows (default: its only one)." };
        var adviseIova = new Option<string?>("--iova") { Description = "The window's start, when the SoC file names no window (with --size)." };
        var adviseSize = new Option<string?>("--size") { Description = "The window's size, e.g. 256MiB (with --iova)." };
        var adviseKernel = new Option<string[]>("--kernel") { Description = "A boot knob, KEY=VALUE: iommu.strict, iommu.passthrough, iommu.forcedac (0/1), fixes=ID[,ID]; repeatable." };
        var adviseFormat = new Option<string>("--format") { Description = "Output format: text, markdown or json.", DefaultValueFactory = _ => "text" };
        adviseFormat.AcceptOnlyFromAmong("text", "markdown", "json");
        var adviseOut = new Option<string?>("--output", "-o") { Description = "Write the advice here (never over an existing file); default: standard output." };
        var adviseReports = new Option<string?>("--reports") { Description = "Also write each strategy's generated Lua and its run's report under this new folder (DIR/SOC/STRATEGY.lua, .md)." };
        var advise = new Command("advise", "For a device and its firmware window: which strategy works on which SoC, by which kernel rule, at what cost (docs/advise.md).")
        { adviseSoc, adviseDevice, adviseWindow, adviseIova, adviseSize, adviseKernel, adviseFormat, adviseOut, adviseReports };
        advise.SetAction(p => AdviseCommand.Execute(new AdviseCommand.Args(p.GetValue(adviseSoc) ?? [], p.GetValue(adviseDevice)!, p.GetValue(adviseWindow),
            p.GetValue(adviseIova), p.GetValue(adviseSize), p.GetValue(adviseKernel) ?? [], p.GetValue(adviseFormat)!, p.GetValue(adviseOut))
        { Reports = p.GetValue(adviseReports) }, stdout, stderr));

        var groupsSoc = new Argument<string>("soc") { Description = "The SoC file." };
        var groupsKernel = new Option<string[]>("--kernel") { Description = "A boot knob, KEY=VALUE: iommu.strict, iommu.passthrough, iommu.forcedac (0/1), fixes=ID[,ID], pci=OPTIONS (disable_acs_redir=…, config_acs=…, noats); repeatable." };
        var groupsFormat = new Option<string>("--format") { Description = "Output format: text or json (schema/groups.schema.json).", DefaultValueFactory = _ => "text" };
        groupsFormat.AcceptOnlyFromAmong("text", "json");
        var groupsOut = new Option<string?>("--output", "-o") { Description = "Write the groups here (never over an existing file); default: standard output." };
        var groups = new Command("groups", "The IOMMU groups at boot: one line per group with the rule that formed it, and the hazards (PCI devices that reach each other without the IOMMU).")
        { groupsSoc, groupsKernel, groupsFormat, groupsOut };
        groups.SetAction(p => GroupsCommand.Execute(p.GetValue(groupsSoc)!, p.GetValue(groupsKernel) ?? [], p.GetValue(groupsFormat)!, p.GetValue(groupsOut), stdout, stderr));

        root.Subcommands.Add(run);
        root.Subcommands.Add(advise);
        root.Subcommands.Add(groups);
        root.Subcommands.Add(import);
        root.Subcommands.Add(watch);
        root.Subcommands.Add(@new);
        root.Subcommands.Add(bench);
        root.Subcommands.Add(approve);
        root.Subcommands.Add(validate);
        root.Subcommands.Add(worker);
        return root;
    }

    /// <summary>The budget options, checked: each must be positive and within what the engine can represent.</summary>
    private static Budgets? BudgetsFrom(ParseResult p, Option<long> instructions, Option<long> memory, Option<double> seconds, string command, TextWriter stderr)
    {
        long i = p.GetValue(instructions), m = p.GetValue(memory);
        double s = p.GetValue(seconds);
        var errors = new List<string>();
        if (i < 1000 || i > 1_000_000_000_000) errors.Add($"--max-instructions must be between 1000 and 10^12, got {i}");
        if (m < 1 || m > 65536) errors.Add($"--max-memory-mib must be between 1 and 65536, got {m}");
        if (!(s >= 0.1 && s <= 86400)) errors.Add($"--max-seconds must be between 0.1 and 86400, got {s.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        foreach (var e in errors) stderr.WriteLine($"scenario {command}: {e}");
        return errors.Count > 0 ? null : new Budgets(i, m << 20, TimeSpan.FromSeconds(s));
    }

    private static Argument<string[]> PathsArgument() => new("paths")
    {
        Description = "Scenario files or folders (default: scenarios/).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The given paths, or scenarios/ under the current directory.</summary>
    internal static string[] DefaultPaths(string[] paths) => paths.Length > 0 ? paths : ["scenarios"];
}
