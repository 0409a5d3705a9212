using System.Diagnostics;
using ScenarioEngine.Host;

namespace ScenarioEngine.Tests;

/// <summary>
/// Every command that writes a file for the user (`import -o`, `advise -o` and `--reports`, `new`)
/// creates it through <see cref="NewFile"/>: a bare file name is a file in the current folder, nothing is
/// ever written over, and of two writers of one name exactly one wins (issue 33).
/// </summary>
public class NewFileTests
{
    /// <summary>`scenario ARGS` as a process in <paramref name="cwd"/>, with <paramref name="env"/> added (a bare file name needs a current folder of its own).</summary>
    internal static (int Code, string Out, string Err) Scenario(string cwd, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var cmd = WorkerLauncher.Command();
        var psi = new ProcessStartInfo(cmd.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd, UseShellExecute = false };
        foreach (var a in cmd.Arguments.Take(cmd.Arguments.Count - 1)) psi.ArgumentList.Add(a); // without "worker"
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException("scenario did not finish in 180 s"); }
        return (p.ExitCode, output.Result, err.Result);
    }

    [SkippableFact]
    public void Import_advise_and_new_take_a_bare_file_name_as_a_file_in_the_current_folder()
    {
        Dtc.Require();
        using var tree = new TestTree();
        Dtc.CompileTo("zynqmp-board.dts", Path.Combine(tree.Root, "x.dtb"));

        var import = Scenario(tree.Root, null, "import", "dtb", "x.dtb", "-o", "out.yaml");
        Assert.True(import.Code == 0, import.Err);
        Assert.StartsWith("wrote out.yaml: 1 IOMMU(s), 7 master(s), 4 warning(s)", import.Out);
        Assert.Contains("compatible: \"arm,mmu-500\"", File.ReadAllText(Path.Combine(tree.Root, "out.yaml")));

        var advise = Scenario(tree.Root, null, "advise", "--soc", "out.yaml", "--device", "remoteproc", "--iova", "0x1000000", "--size", "1MiB", "-o", "out.md", "--format", "markdown");
        Assert.True(advise.Code is 0 or 1, advise.Err);
        Assert.StartsWith("wrote out.md: 1 SoC(s)", advise.Out);
        Assert.True(new FileInfo(Path.Combine(tree.Root, "out.md")).Length > 0);

        var soc = Scenario(tree.Root, null, "new", "soc", "x", "--dir", "");
        Assert.True(soc.Code == 0, soc.Err);
        Assert.StartsWith("created x.yaml", soc.Out);
        Assert.True(File.Exists(Path.Combine(tree.Root, "x.yaml")));
        Assert.DoesNotContain("Exception", import.Err + advise.Err + soc.Err);
        // and none of them leaves a temporary file behind
        Assert.Equal(["out.md", "out.yaml", "x.dtb", "x.yaml"], Directory.GetFiles(tree.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Of_eight_imports_to_one_name_at_once_exactly_one_writes_it_and_the_others_say_it_exists()
    {
        Dtc.Require();
        using var tree = new TestTree();
        var dtb = Path.Combine(tree.Root, "board.dtb");
        Dtc.CompileTo("zynqmp-board.dts", dtb);
        for (int trial = 0; trial < 10; trial++)
        {
            var output = Path.Combine(tree.Root, $"out{trial}.yaml");
            using var start = new Barrier(8);
            var runs = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return CliTests.Cli("import", "dtb", dtb, "-o", output);
            })).ToArray();
            var results = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Single(results, r => r.Code == 0 && r.Out.StartsWith("wrote ", StringComparison.Ordinal));
            Assert.All(results.Where(r => r.Code != 0), r => { Assert.Equal(2, r.Code); Assert.Contains("exists", r.Err); });
            var written = File.ReadAllText(output);
            Assert.StartsWith("# Imported by `scenario import`", written);
            Assert.EndsWith("    ids: [ { iommu: iommu, stream: 0x861 } ]\n", written); // whole
        }
        Assert.Empty(Directory.GetFiles(tree.Root, "*.tmp"));
    }

    [Fact]
    public void A_name_taken_after_the_early_check_is_not_written_over_whatever_took_it()
    {
        using var tree = new TestTree();
        var file = tree.Write("out.yaml", "mine\n");
        Assert.True(NewFile.Exists(file));
        Assert.Equal(NewFile.Outcome.Exists, NewFile.Create(file, "theirs\n", out _));
        Assert.Equal("mine\n", File.ReadAllText(file));

        // a dangling link is taken too: the write does not go where it points
        var link = Path.Combine(tree.Root, "link.yaml");
        var target = Path.Combine(tree.Root, "elsewhere.yaml");
        File.CreateSymbolicLink(link, target);
        Assert.True(NewFile.Exists(link));
        Assert.Equal(NewFile.Outcome.Exists, NewFile.Create(link, "theirs\n", out _));
        Assert.False(File.Exists(target));

        // a folder too
        Directory.CreateDirectory(Path.Combine(tree.Root, "dir.yaml"));
        Assert.Equal(NewFile.Outcome.Exists, NewFile.Create(Path.Combine(tree.Root, "dir.yaml"), "x", out _));

        // a new name in a new folder is written whole
        var fresh = Path.Combine(tree.Root, "a", "b", "new.yaml");
        Assert.Equal(NewFile.Outcome.Created, NewFile.Create(fresh, "new\n", out _));
        Assert.Equal("new\n", File.ReadAllText(fresh));
        Assert.Empty(Directory.GetFiles(tree.Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_commands_that_write_user_files_write_them_only_through_NewFile()
    {
        foreach (var command in new[] { "ImportCommand.cs", "AdviseCommand.cs", "NewCommand.cs" })
        {
            var code = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Path.Combine(RepoRoot.Path, "Host", command)), @"//.*", "");
            Assert.Contains("NewFile.Create(", code);
            foreach (var writer in new[] { @"WriteAtomic\(", @"File\.WriteAll", @"(?<!New)File\.Create\(", @"FileMode\.Create", @"File\.Move\(", @"File\.Copy\(", @"StreamWriter\(" })
                Assert.False(System.Text.RegularExpressions.Regex.IsMatch(code, writer), $"{command} writes with {writer}");
        }
    }
}
