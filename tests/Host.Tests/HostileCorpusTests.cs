using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Host;

namespace ScenarioEngine.Tests;

/// <summary>
/// The hostile corpus (tests/hostile, see its README) and the shipped tree in one `scenario run`, as
/// the built program runs them: exit code 1, every hostile case failed with its expected code at a
/// line, every shipped scenario passed and matched, nothing outside the tree read or changed, no
/// temporary file left, under 1 GiB for any process of the run. The budgets a case meets are the
/// deterministic ones (instructions, memory): that run's wall clock is a generous backstop, so a busy
/// machine cannot turn SE2003 into SE2005. The one case that can end only by the wall clock (a script
/// stuck inside a C function, scenarios/wall/) runs alone with a short one. How long runs take is
/// measured by `scenario bench`, not asserted here.
/// </summary>
public class HostileCorpusTests
{
    private const string Secret = "SECRET_TOKEN_7f3a9c";

    /// <summary>A copy of the corpus in a temp folder, with what git cannot hold: FIFOs, links out of the tree, big and generated files.</summary>
    private sealed class Corpus : IDisposable
    {
        public readonly string Root = Path.Combine(Path.GetTempPath(), "se-hostile-" + Guid.NewGuid().ToString("N"));
        public string Tree => Path.Combine(Root, "tree");
        public string Outside => Path.Combine(Root, "outside");

        public Corpus()
        {
            Copy(Path.Combine(RepoRoot.Path, "tests", "hostile"), Tree);
            Directory.CreateDirectory(Path.Combine(Tree, "lua"));
            Directory.CreateDirectory(Outside);
            File.WriteAllText(Path.Combine(Outside, "secret.lua"), $"{Secret} = 1\n");
            File.WriteAllText(Path.Combine(Outside, "secret.yaml"), $"{Secret}: [\n");
            File.CreateSymbolicLink(Path.Combine(Tree, "lua", "link-out.lua"), "../../outside/secret.lua");
            File.CreateSymbolicLink(Path.Combine(Tree, "scenarios", "socs", "link-out.yaml"), "../../../outside/secret.yaml");
            if (OperatingSystem.IsLinux())
                using (var mk = Process.Start("mkfifo", Path.Combine(Tree, "lua", "fifo.lua"))) mk.WaitForExit();
            File.WriteAllText(Path.Combine(Tree, "lua", "big.lua"), "-- " + new string('x', 5 << 20) + "\n");
            Write("files/big-file", "SE1014", "a 5 MiB script", "script: ../../lua/big.lua\n");
            var name = new string('n', 150_000);
            File.WriteAllText(Path.Combine(Tree, "scenarios", "socs", "huge-names.yaml"),
                $"soc: huge\nmemory:\n  - {{ name: dram, base: 0x4000_0000, size: 1GiB }}\nreserved-memory:\n  - name: fw\n    size: 4KiB\n    iommu-addresses:\n      - {{ device: {name}c, iova: 0x1000, size: 4KiB }}\n" +
                $"iommus:\n  - {{ name: m4u, driver: mediatek }}\ndevices:\n  - name: {name}a\n    ids: [ {{ iommu: m4u, larb: 0, port: 0 }} ]\n  - name: {name}b\n    ids: [ {{ iommu: m4u, larb: 0, port: 1 }} ]\n");
            Write("files/huge-names", "SE1009", "a SoC with two 150,000-character names and a reference to a third ('did you mean' was quadratic)", "soc: ../socs/huge-names.yaml\nlua: 'x = 1'\n");
        }

        private void Write(string name, string code, string title, string rest) =>
            File.WriteAllText(Path.Combine(Tree, "scenarios", name + ".yaml"), $"# expect: {code}\nscenario: {title}\n" + (rest.StartsWith("soc:", StringComparison.Ordinal) ? rest : "soc: ../socs/h.yaml\n" + rest));

        private static void Copy(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
            foreach (var d in Directory.GetDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
        }

        public void Dispose()
        {
            try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A backstop for a hung process only: far above what any run takes on a loaded machine.</summary>
    private static readonly TimeSpan Backstop = TimeSpan.FromMinutes(15);

    /// <summary>The wall-clock budget of the run that checks the deterministic budgets: a backstop, not a budget any case should meet.</summary>
    private const string GenerousSeconds = "600";

    private static (int Code, string Out, string Err) Scenario(params string[] args)
    {
        var cmd = WorkerLauncher.Command();
        var psi = new ProcessStartInfo(cmd.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot.Path, UseShellExecute = false };
        foreach (var a in cmd.Arguments.Take(cmd.Arguments.Count - 1)) psi.ArgumentList.Add(a); // without "worker"
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(Backstop)) { p.Kill(true); throw new TimeoutException($"scenario did not finish in {Backstop.TotalMinutes} min: it hangs"); }
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>The corpus's case folders under scenarios/ but the SoC files and the wall-clock cases.</summary>
    private static IEnumerable<string> DeterministicFolders(Corpus corpus) =>
        Directory.GetDirectories(Path.Combine(corpus.Tree, "scenarios")).Where(d => Path.GetFileName(d) is not ("socs" or "wall")).Order(StringComparer.Ordinal);

    private static bool InFolder(string file, string folder) =>
        file.Contains($"{Path.DirectorySeparatorChar}{folder}{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, byte[] usage);

    /// <summary>The largest resident set of any finished child process of this test process, in bytes (ru_maxrss of RUSAGE_CHILDREN).</summary>
    private static long PeakChildResident()
    {
        var buf = new byte[256];
        return getrusage(-1, buf) == 0 ? BitConverter.ToInt64(buf, 32) * 1024 : 0;
    }

    private static Dictionary<string, string> Hashes(string folder, string pattern = "*") =>
        Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [SkippableFact]
    public void One_run_over_the_hostile_corpus_and_the_shipped_tree_fails_each_hostile_case_at_its_line_and_matches_every_shipped_scenario()
    {
        Requires.Linux("FIFOs in the corpus and getrusage(2)");
        using var corpus = new Corpus();
        var verified = Hashes(Path.Combine(RepoRoot.Path, "snapshots"), "*.verified.md");
        var repoFiles = Directory.GetFiles(Path.Combine(RepoRoot.Path, "snapshots"), "*", SearchOption.AllDirectories).Where(f => !f.Contains(".received.", StringComparison.Ordinal)).Order().ToList();
        var outside = Hashes(corpus.Outside);
        var outsideTimes = Directory.GetFiles(corpus.Outside).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var (code, output, err) = Scenario(["run", "scenarios", .. DeterministicFolders(corpus), "--format", "json", "--max-seconds", GenerousSeconds]);

        Assert.Equal(1, code);
        var peak = PeakChildResident();
        Assert.True(peak < 1L << 30, $"a process of the run reached {peak >> 20} MiB");

        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        var hostile = Directory.EnumerateFiles(Path.Combine(corpus.Tree, "scenarios"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => !InFolder(f, "socs") && !InFolder(f, "wall")).ToList();
        Assert.True(hostile.Count >= 45, $"{hostile.Count} hostile cases");
        var shipped = Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "scenarios"), "*.yaml", SearchOption.AllDirectories)
            .Count(f => !f.Contains($"{Path.DirectorySeparatorChar}socs{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.Equal(hostile.Count + shipped, results.Count);

        var byPath = results.ToDictionary(r => r.GetProperty("path").GetString()!);
        foreach (var file in hostile)
        {
            var display = "scenarios/" + Path.GetRelativePath(Path.Combine(corpus.Tree, "scenarios"), file).Replace('\\', '/');
            var expected = Regex.Match(File.ReadAllText(file), @"^# expect: (SE\d{4})").Groups[1].Value;
            Assert.True(byPath.TryGetValue(display, out var r), $"no result for {display}");
            Assert.Equal("failed", r.GetProperty("status").GetString());
            var e = r.GetProperty("error");
            Assert.True(e.ValueKind == JsonValueKind.Object, $"{display} failed without an error");
            Assert.True(expected == e.GetProperty("code").GetString(), $"{display}: expected {expected}, got {e}");
            Assert.True(e.GetProperty("line").GetInt32() > 0 && e.GetProperty("file").GetString()!.Length > 0, $"{display}: not located: {e}");
        }
        foreach (var r in results.Where(r => !r.GetProperty("path").GetString()!.StartsWith("scenarios/", StringComparison.Ordinal) || File.Exists(Path.Combine(RepoRoot.Path, r.GetProperty("path").GetString()!))))
        {
            var path = r.GetProperty("path").GetString()!;
            if (hostile.Any(h => h.EndsWith(path["scenarios/".Length..].Replace('/', Path.DirectorySeparatorChar), StringComparison.Ordinal))) continue;
            Assert.True(r.GetProperty("status").GetString() == "passed" && r.GetProperty("snapshot").GetString() == "matched", $"shipped {path}: {r}");
        }

        Assert.DoesNotContain(Secret, output + err);
        foreach (var received in Directory.EnumerateFiles(corpus.Tree, "*.received.md", SearchOption.AllDirectories))
            Assert.DoesNotContain(Secret, File.ReadAllText(received));
        Assert.Equal(outside, Hashes(corpus.Outside));
        Assert.Equal(outsideTimes, Directory.GetFiles(corpus.Outside).ToDictionary(f => f, File.GetLastWriteTimeUtc));
        Assert.Equal(verified, Hashes(Path.Combine(RepoRoot.Path, "snapshots"), "*.verified.md"));
        Assert.Equal(repoFiles, Directory.GetFiles(Path.Combine(RepoRoot.Path, "snapshots"), "*", SearchOption.AllDirectories).Where(f => !f.Contains(".received.", StringComparison.Ordinal)).Order().ToList());
        Assert.Empty(Directory.EnumerateFiles(corpus.Root, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "snapshots"), "*.tmp", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void A_script_stuck_inside_a_C_function_ends_only_by_the_wall_clock_with_SE2005_at_its_line()
    {
        Requires.Linux("FIFOs in the corpus");
        using var corpus = new Corpus();
        var wall = Directory.GetFiles(Path.Combine(corpus.Tree, "scenarios", "wall"), "*.yaml");
        Assert.NotEmpty(wall);
        // exponential backtracking in string.find counts no instructions: only the wall clock ends it,
        // on any machine, so a short one is as deterministic here as an instruction budget elsewhere
        var (code, output, _) = Scenario("run", Path.Combine(corpus.Tree, "scenarios", "wall"), "--format", "json", "--max-seconds", "1");
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal(wall.Length, results.Count);
        foreach (var r in results)
        {
            var file = Path.Combine(corpus.Tree, r.GetProperty("path").GetString()!);
            var expected = Regex.Match(File.ReadAllText(file), @"^# expect: (SE\d{4})").Groups[1].Value;
            Assert.Equal("SE2005", expected);
            var e = r.GetProperty("error");
            Assert.Equal(expected, e.GetProperty("code").GetString());
            Assert.True(e.GetProperty("line").GetInt32() > 0, $"not located: {e}");
        }
    }

    [SkippableFact]
    public void The_corpus_printing_cases_give_well_formed_JUnit_and_an_escaped_terminal()
    {
        Requires.Linux("FIFOs in the corpus");
        using var corpus = new Corpus();
        var print = Path.Combine(corpus.Tree, "scenarios", "print");
        var junit = Scenario("run", print, "--format", "junit", "--max-seconds", GenerousSeconds);
        Assert.Equal(1, junit.Code);
        var xml = XDocument.Parse(junit.Out);
        Assert.Equal(3, xml.Descendants("testcase").Count());
        var text = Scenario("run", print, "--max-seconds", GenerousSeconds);
        Assert.Equal(1, text.Code);
        Assert.DoesNotContain('\u001b', text.Out + text.Err);
        Assert.DoesNotContain('\u202e', text.Out + text.Err);
        Assert.Equal(3, text.Out.Split('\n').Count(l => l.StartsWith("NEW ", StringComparison.Ordinal)));
        Assert.DoesNotContain("\npassed", text.Out);
        var approve = Scenario("approve", print);
        Assert.Equal(0, approve.Code);
        Assert.Equal(3, approve.Out.Split('\n').Count(l => l.Contains("— failed — error SE2002", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task Watch_survives_the_corpus_dropped_into_its_tree_and_keeps_serving()
    {
        Requires.Linux("FIFOs in the corpus");
        using var corpus = new Corpus();
        var options = new Host.Watch.WatchOptions
        {
            ScenariosRoot = Path.Combine(corpus.Tree, "scenarios"),
            Jobs = 2,
            Urls = "http://127.0.0.1:0",
            Budgets = Scripting.Budgets.Default with { WallClock = TimeSpan.FromSeconds(5) },
        };
        using var host = Host.Watch.WatchCommand.Build(options, l => l.SetMinimumLevel(LogLevel.Warning));
        var worker = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Host.Watch.WatchWorker>(host.Services);
        var first = new TaskCompletionSource<IReadOnlyList<Record.RunResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.BatchCompleted += b => first.TrySetResult(b);
        await host.StartAsync();
        try
        {
            var results = await first.Task.WaitAsync(Backstop);
            Assert.True(results.Count >= 45);
            Assert.All(results, r => Assert.True(r.Error is { Where.Line: > 0 }, $"{r.Path}: {r.Error}"));
            var server = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Microsoft.Extensions.Hosting.IHostedService>(host.Services).OfType<Host.Watch.ResultsServer>().Single();
            using var http = new HttpClient { BaseAddress = await server.Ready, Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(405, (int)(await http.PostAsync("/", null)).StatusCode);
            Assert.Contains("scenarios/lua/infinite-loop.yaml", await http.GetStringAsync("/"));
            Assert.False(worker.ExecuteTask!.IsCompleted);
        }
        finally
        {
            var stopping = Stopwatch.StartNew();
            await host.StopAsync();
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(60), $"stopping took {stopping.Elapsed}"); // a backstop: a stop that waits for the scripts hangs
            Assert.Equal(0, Host.Watch.WatchCommand.ExitCode(host));
        }
    }

    [Fact]
    public void Validate_finds_the_hostile_YAML_that_used_to_pass_it()
    {
        using var corpus = new Corpus();
        var (code, output, _) = Scenario("validate", Path.Combine(corpus.Tree, "scenarios", "yaml"));
        Assert.Equal(1, code);
        Assert.Contains("scenarios/yaml/deep-params.yaml:6", output);
        Assert.Contains("4 scenario(s) checked, 4 with errors.", output);
    }
}
