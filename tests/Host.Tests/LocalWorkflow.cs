using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ScenarioEngine.Tests;

/// <summary>
/// Runs a job of a shipped GitHub Actions workflow on this machine, step by step as the runner
/// would (not GitHub itself): each <c>run:</c> with bash -eo pipefail in the workspace, with the
/// workflow's and the step's <c>env:</c>, <c>$GITHUB_STEP_SUMMARY</c> (collected like the job
/// summary), <c>$GITHUB_OUTPUT</c> and <c>$RUNNER_TEMP</c>; <c>if:</c> conditions of the forms the
/// shipped files use; the actions they use emulated (checkout and setup-dotnet: the workspace and
/// the SDK are already there; upload-artifact and download-artifact: a folder per artefact, laid out
/// as upload-artifact v4 does: paths below the first wildcard's folder). An expression, condition or
/// action it does not know fails the test, so the workflow cannot drift from what is tested.
/// </summary>
internal sealed class LocalWorkflow(string file)
{
    private readonly YamlMappingNode _root = Load(file);

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(file);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    public sealed record StepRun(string Label, string Outcome, int Code, string Output);

    /// <summary>What a job runs with: the values of the expressions it uses, and where its files go.</summary>
    public sealed class Context
    {
        public required string Workspace { get; init; }
        public required string Artifacts { get; init; }
        public required string Temp { get; init; }
        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
        /// <summary>Variables set over the workflow's (the tool's command, a PATH with a stand-in gh).</summary>
        public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);
        /// <summary>Steps (by id) this test replaces, with why: the engine's own build is the one the test runs in.</summary>
        public Dictionary<string, string> Replaced { get; } = new(StringComparer.Ordinal);
        public string JobSummary { get; set; } = "";
    }

    private static string Scalar(YamlNode? n) => n is YamlScalarNode s ? s.Value ?? "" : "";

    private static YamlNode? Get(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    /// <summary>The step mappings of a job.</summary>
    public IReadOnlyList<YamlMappingNode> Steps(string job) =>
        [.. ((YamlSequenceNode)Get((YamlMappingNode)Get((YamlMappingNode)Get(_root, "jobs")!, job)!, "steps")!).Children.Cast<YamlMappingNode>()];

    public YamlMappingNode Job(string job) => (YamlMappingNode)Get((YamlMappingNode)Get(_root, "jobs")!, job)!;

    public YamlMappingNode Root => _root;

    /// <summary>${{ expr }} replaced by the context's value; an unknown expression fails the test.</summary>
    public static string Expand(string text, Context ctx) => Regex.Replace(text, @"\$\{\{\s*(.+?)\s*\}\}", m =>
    {
        Assert.True(ctx.Values.TryGetValue(m.Groups[1].Value, out var v), $"the workflow uses ${{{{ {m.Groups[1].Value} }}}}, which this local run gives no value");
        return v!;
    });

    private static bool Condition(string? condition, bool failed, Context ctx)
    {
        if (string.IsNullOrWhiteSpace(condition)) return !failed;
        bool result = true;
        foreach (var raw in condition.Split("&&"))
        {
            var term = raw.Trim();
            var eq = Regex.Match(term, @"^([a-z_.]+) == '([^']*)'$");
            bool value = term switch
            {
                "always()" => true,
                "success()" => !failed,
                "failure()" => failed,
                _ when eq.Success => Expand("${{ " + eq.Groups[1].Value + " }}", ctx) == eq.Groups[2].Value,
                _ => throw new Xunit.Sdk.XunitException($"the workflow has a condition this local run cannot evaluate: {term}"),
            };
            result &= value;
        }
        // Without a status function GitHub adds success().
        return result && (condition.Contains("always()", StringComparison.Ordinal) || condition.Contains("failure()", StringComparison.Ordinal) || !failed);
    }

    public IReadOnlyList<StepRun> RunJob(string job, Context ctx)
    {
        var runs = new List<StepRun>();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Get(_root, "env") is YamlMappingNode we) foreach (var (k, v) in we.Children) env[Scalar(k)] = Expand(Scalar(v), ctx);
        if (Get(Job(job), "env") is YamlMappingNode je) foreach (var (k, v) in je.Children) env[Scalar(k)] = Expand(Scalar(v), ctx);
        foreach (var (k, v) in ctx.Env) env[k] = v;
        bool failed = false;
        int n = 0;
        foreach (var step in Steps(job))
        {
            n++;
            var id = Scalar(Get(step, "id"));
            var uses = Scalar(Get(step, "uses"));
            var label = Scalar(Get(step, "name")) is { Length: > 0 } name ? name : uses.Length > 0 ? uses : $"step {n}";
            if (!Condition(Scalar(Get(step, "if")), failed, ctx)) { runs.Add(new StepRun(label, "skipped", 0, "")); continue; }
            if (id.Length > 0 && ctx.Replaced.TryGetValue(id, out var why)) { runs.Add(new StepRun(label, "replaced: " + why, 0, "")); continue; }
            var with = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Get(step, "with") is YamlMappingNode w) foreach (var (k, v) in w.Children) with[Scalar(k)] = Expand(Scalar(v), ctx);
            if (uses.Length > 0)
            {
                Action(uses, with, ctx);
                runs.Add(new StepRun(label, "success", 0, ""));
                continue;
            }
            var stepEnv = new Dictionary<string, string>(env, StringComparer.Ordinal);
            if (Get(step, "env") is YamlMappingNode se) foreach (var (k, v) in se.Children) stepEnv[Scalar(k)] = Expand(Scalar(v), ctx);
            foreach (var (k, v) in ctx.Env) stepEnv[k] = v;
            var script = Path.Combine(ctx.Temp, $"step-{n}.sh");
            var summary = Path.Combine(ctx.Temp, $"step-{n}.summary.md");
            File.WriteAllText(script, Expand(Scalar(Get(step, "run")), ctx));
            File.WriteAllText(summary, "");
            stepEnv["GITHUB_STEP_SUMMARY"] = summary;
            stepEnv["GITHUB_OUTPUT"] = Path.Combine(ctx.Temp, $"step-{n}.output");
            stepEnv["GITHUB_WORKSPACE"] = ctx.Workspace;
            stepEnv["RUNNER_TEMP"] = ctx.Temp;
            stepEnv["CI"] = "true";
            stepEnv["GITHUB_ACTIONS"] = "true";
            var (code, output) = NodeTools.Run("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], ctx.Workspace, stepEnv);
            ctx.JobSummary += File.ReadAllText(summary);
            runs.Add(new StepRun(label, code == 0 ? "success" : "failure", code, output));
            failed |= code != 0;
        }
        return runs;
    }

    private static void Action(string uses, Dictionary<string, string> with, Context ctx)
    {
        switch (uses)
        {
            case "actions/checkout@v4":
            case "actions/setup-dotnet@v4":
                return; // the workspace is checked out and the SDK is the one running this test
            case "actions/upload-artifact@v4":
            {
                var target = Path.Combine(ctx.Artifacts, with["name"]);
                var pattern = with["path"];
                var star = pattern.IndexOf('*');
                var root = Path.Combine(ctx.Workspace, star < 0 ? pattern : pattern[..pattern.LastIndexOf('/', star)]);
                if (!Directory.Exists(root)) { Assert.Equal("ignore", with.GetValueOrDefault("if-no-files-found")); return; }
                var glob = star < 0 ? null : new Regex("^" + Regex.Escape(pattern[(pattern.LastIndexOf('/', star) + 1)..]).Replace(@"\*\*/", "(.*/)?").Replace(@"\*", "[^/]*") + "$");
                foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
                {
                    var rel = Path.GetRelativePath(root, f).Replace('\\', '/');
                    if (glob is not null && !glob.IsMatch(rel)) continue;
                    var dest = Path.Combine(target, rel);
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(f, dest, overwrite: true);
                }
                return;
            }
            case "actions/download-artifact@v4":
            {
                var source = Path.Combine(ctx.Artifacts, with["name"]);
                Assert.True(Directory.Exists(source), $"no artefact {with["name"]} was uploaded");
                foreach (var f in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
                {
                    var dest = Path.Combine(with["path"], Path.GetRelativePath(source, f));
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(f, dest, overwrite: true);
                }
                return;
            }
            default:
                throw new Xunit.Sdk.XunitException($"the workflow uses {uses}, which this local run does not emulate");
        }
    }
}
