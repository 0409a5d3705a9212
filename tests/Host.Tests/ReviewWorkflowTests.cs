using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ScenarioEngine.Reporting.Review;
using Xunit.Abstractions;

namespace ScenarioEngine.Tests;

/// <summary>
/// The review in the pull request (docs/ci.md, "GitHub Actions"): a small git repository with a base
/// commit and a change (one device moved to another bank, one new scenario, one expectation that now
/// fails) goes through the steps of the shipped .github/workflows/scenarios.yml on this machine, and
/// its job summary and comment show what a reviewer needs; scenarios-comment.yml then posts one
/// comment and edits it on the next push; the downloaded reports approve the change.
/// </summary>
public class ReviewWorkflowTests(ITestOutputHelper output)
{
    private static readonly string Workflows = Path.Combine(RepoRoot.Path, ".github", "workflows");

    /// <summary>The tool as the workflow's SCENARIO runs it: the apphost of the build this test runs in.</summary>
    private static string Tool => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "scenario.exe" : "scenario");

    internal const string Board = """
        soc: board
        memory:
          - { name: dram, base: 0x4000_0000, size: 1GiB }
        iommus:
          - name: infra
            driver: mediatek
            type: infra
            banks: 5
            banks-enabled: [0, 4]
            bank-ports:
              0: [16-19]
              4: [20-31]
            flags: [wr-throt-en, dcm-disable, std-axi-mode, pm-clk-ao, ifa-iommu-pcie-support]
        devices:
          - name: pcie
            ids: [ { iommu: infra, larb: 0, port: 16 } ]
          - name: usb
            ids: [ { iommu: infra, larb: 0, port: 17 } ]
          - name: apu
            ids: [ { iommu: infra, larb: 0, port: 24 } ]
        """;

    private static void Git(string repo, params string[] args)
    {
        var (code, text) = NodeTools.Run("git", ["-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.invalid", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", .. args], repo, seconds: 60);
        Assert.True(code == 0, $"git {string.Join(' ', args)}: {text}");
    }

    private static (int Code, string Output) Scenario(string repo, params string[] args) => NodeTools.Run(Tool, args, repo, new Dictionary<string, string> { ["CI"] = "true" });

    /// <summary>The repository: main with approved snapshots and the shipped workflow files; branch change with the pull request.</summary>
    private static TestTree Repository()
    {
        var tree = new TestTree();
        var repo = tree.Root;
        if (!Directory.Exists(Path.Combine(repo, ".git"))) Git(repo, "init", "-q");
        tree.Write(".gitignore", "*.received.md\nreview/\n");
        tree.Write("global.json", File.ReadAllText(Path.Combine(RepoRoot.Path, "global.json")));
        foreach (var f in Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, ".github"), "*", SearchOption.AllDirectories))
            tree.Write(Path.GetRelativePath(RepoRoot.Path, f), File.ReadAllText(f));
        tree.Write("scenarios/socs/board.yaml", Board);
        tree.Write("scenarios/boot/board.yaml", "scenario: the board boots\nsoc: ../socs/board.yaml\nlua: |\n  expect.ok(soc.device(\"usb\"), \"usb is there\")\n");
        tree.Write("lua/checks/usb.lua", "return function()\n  local usb, pcie = soc.device(\"usb\"), soc.device(\"pcie\")\n  expect.eq(iommu.get_domain_for_dev(usb) == iommu.get_domain_for_dev(pcie), true, \"usb shares pcie's bank domain\")\nend\n");
        tree.Write("scenarios/boot/usb-shares.yaml", "scenario: usb and pcie share a domain\nsoc: ../socs/board.yaml\nlua: |\n  require(\"checks.usb\")()\n");
        Assert.Equal(1, Scenario(repo, "run").Code);
        Assert.Equal(0, Scenario(repo, "approve").Code);
        Assert.Equal(0, Scenario(repo, "run").Code);
        Git(repo, "add", "-A");
        Git(repo, "commit", "-qm", "base");
        Git(repo, "checkout", "-qb", "change");
        // usb moves from port 17 (bank 0, beside pcie) to port 21 (bank 4, beside apu).
        tree.Write("scenarios/socs/board.yaml", Board.Replace("port: 17 }", "port: 21 }"));
        tree.Write("scenarios/dma/map.yaml", "scenario: apu gets an unmanaged domain\nsoc: ../socs/board.yaml\nlua: |\n  local apu = soc.device(\"apu\")\n  expect.ok(iommu.domain_alloc(apu, \"unmanaged\"), \"a domain\")\n");
        Git(repo, "add", "-A");
        Git(repo, "commit", "-qm", "usb moves to bank 4; a new scenario");
        return tree;
    }

    private static LocalWorkflow.Context PullRequestContext(TestTree tree, string runId = "4242")
    {
        var ctx = new LocalWorkflow.Context
        {
            Workspace = tree.Root,
            Artifacts = Path.Combine(tree.Root, "..", Path.GetFileName(tree.Root) + "-artifacts-" + runId),
            Temp = Path.Combine(tree.Root, "..", Path.GetFileName(tree.Root) + "-temp-" + runId),
        };
        Directory.CreateDirectory(ctx.Artifacts);
        Directory.CreateDirectory(ctx.Temp);
        ctx.Values["github.server_url"] = "https://github.com";
        ctx.Values["github.repository"] = "acme/board";
        ctx.Values["github.run_id"] = runId;
        ctx.Values["github.event_name"] = "pull_request";
        ctx.Values["github.event.pull_request.number"] = "7";
        ctx.Env["SCENARIO"] = Tool;
        ctx.Replaced["build"] = "the engine is the build this test runs in (SCENARIO is its apphost)";
        return ctx;
    }

    private static void Clean(LocalWorkflow.Context ctx)
    {
        foreach (var d in new[] { ctx.Artifacts, ctx.Temp })
            try { Directory.Delete(d, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    [SkippableFact]
    public void The_shipped_workflow_run_locally_on_a_pull_request_shows_the_diff_the_pictures_the_new_report_and_the_failure()
    {
        using var tree = Repository();
        var ctx = PullRequestContext(tree);
        try
        {
            var steps = new LocalWorkflow(Path.Combine(Workflows, "scenarios.yml")).RunJob("scenarios", ctx);
            foreach (var s in steps) output.WriteLine($"{s.Label}: {s.Outcome}\n{s.Output}");
            Assert.Equal("replaced: the engine is the build this test runs in (SCENARIO is its apphost)", steps.Single(s => s.Label == "Build the engine").Outcome);
            Assert.Equal(1, steps.Single(s => s.Label == "Run scenarios").Code); // a failure, two changes, one new
            Assert.All(steps.Where(s => s.Label != "Run scenarios"), s => Assert.DoesNotContain("failure", s.Outcome));

            var summary = ctx.JobSummary;
            var comment = File.ReadAllText(Path.Combine(ctx.Artifacts, "review", "comment.md"));
            output.WriteLine($"job summary: {Encoding.UTF8.GetByteCount(summary)} bytes; comment: {comment.Length} characters");
            Assert.StartsWith("## Scenarios: 1 failed, 2 changed, 1 new\n", summary);
            Assert.StartsWith(SummaryLimit.CommentMarker + "\n## Scenarios: 1 failed, 2 changed, 1 new\n", comment);
            foreach (var text in new[] { summary, comment })
            {
                // The failure at its file:line (the Lua module, not the YAML), with the failed expectation.
                Assert.Contains("- `scenarios/boot/usb-shares.yaml` — 1 of 1 expectation failed:\n  - `lua/checks/usb.lua:3`: `usb shares pcie's bank domain` — `expected true, got false`\n", text);
                // The changed report's diff, verified → received.
                Assert.Contains("### `scenarios/boot/board.yaml` changed", text);
                Assert.Contains("--- snapshots/boot/board.verified.md\n+++ snapshots/boot/board.received.md\n", text);
                Assert.Contains("\n-| usb | infra | bank0, region r0, larb0/port17 | group0 |", text);
                Assert.Contains("\n+| usb | infra | bank4, region r0, larb0/port21 | group1 |", text);
                // The topology before (usb in group0, bank 0) and after (group1, bank 4).
                var pictures = text.IndexOf("#### Topology (at the end of the run) — before and after", StringComparison.Ordinal);
                Assert.True(pictures > 0);
                var before = text.IndexOf("Before:\n\n```mermaid\n", pictures, StringComparison.Ordinal);
                var after = text.IndexOf("After:\n\n```mermaid\n", pictures, StringComparison.Ordinal);
                Assert.True(before > 0 && after > before);
                Assert.Contains("  d1[\"usb\"] --> g0\n", text[before..after]);
                Assert.Contains("  d1[\"usb\"] --> g1\n", text[after..text.IndexOf("```\n", after + 20, StringComparison.Ordinal)]);
                // The new report's key sections.
                Assert.Contains("### `scenarios/dma/map.yaml` is new", text);
                Assert.Contains("### apu gets an unmanaged domain", text);
                Assert.Contains("#### Result\n\n**passed** — 1 expectation held, 0 failed.", text);
                // Where the whole reports are, and how to approve them.
                Assert.Contains("[the received reports, an artefact of this run](<https://github.com/acme/board/actions/runs/4242#artifacts>)", text);
                Assert.Contains("`scenario approve --from DIR`", text);
                Assert.Equal(Count(text, "<details>"), Count(text, "</details>"));
            }
            // Both size limits.
            Assert.True(Encoding.UTF8.GetByteCount(summary) <= SummaryLimit.JobSummaryBytes);
            Assert.True(comment.Length <= SummaryLimit.CommentChars);
            Assert.DoesNotContain("This summary stops here", summary);

            // Every Mermaid block parses with mermaid-cli, and none draws wider than a pull request's column.
            var file = Path.Combine(ctx.Temp, "summary.md");
            File.WriteAllText(file, summary);
            var drawn = NodeTools.DrawMermaid(file);
            Assert.Equal(Regex.Matches(summary, "^```mermaid$", RegexOptions.Multiline).Count, drawn.Count);
            Assert.Equal(5, drawn.Count); // board's and usb-shares' topology before and after, the new report's topology
            Assert.All(drawn, d => Assert.True(d.Width <= 1012, $"the picture at line {d.Line} draws {d.Width} px wide"));

            // The artefacts: the received reports in the snapshot folder's layout, the comment and the pull request's number.
            Assert.True(File.Exists(Path.Combine(ctx.Artifacts, "received-reports", "boot", "board.received.md")));
            Assert.True(File.Exists(Path.Combine(ctx.Artifacts, "received-reports", "dma", "map.received.md")));
            Assert.Equal("7\n", File.ReadAllText(Path.Combine(ctx.Artifacts, "review", "pr-number")));
            Assert.Contains("<testcase classname=\"boot\" name=\"usb-shares\" file=\"lua/checks/usb.lua\" line=\"3\"", File.ReadAllText(Path.Combine(ctx.Artifacts, "review", "scenario-results.xml")));
        }
        finally { Clean(ctx); }
    }

    [Fact]
    public void The_reviewer_approves_the_downloaded_reports_and_the_next_run_matches_them()
    {
        using var tree = Repository();
        var ctx = PullRequestContext(tree);
        try
        {
            new LocalWorkflow(Path.Combine(Workflows, "scenarios.yml")).RunJob("scenarios", ctx);
            // A fresh checkout of the change: no received report beside the snapshots, only the downloaded artefact.
            Git(tree.Root, "clean", "-qfdX");
            Assert.False(tree.Exists("snapshots/boot/board.received.md"));
            var downloaded = Path.Combine(ctx.Artifacts, "received-reports");
            var (code, text) = Scenario(tree.Root, "approve", "--from", downloaded);
            output.WriteLine(text);
            Assert.Equal(0, code);
            Assert.Contains($"approved snapshots/boot/board.verified.md from {downloaded}/boot/board.received.md — passed — 1 expectation held, 0 failed.", text);
            Assert.Contains("approved snapshots/boot/usb-shares.verified.md", text);
            Assert.Contains("approved snapshots/dma/map.verified.md", text);
            Assert.Contains("3 snapshot(s) approved.", text);
            Assert.Equal(File.ReadAllText(Path.Combine(downloaded, "boot", "board.received.md")), tree.Read("snapshots/boot/board.verified.md"));
            var (again, rerun) = Scenario(tree.Root, "run");
            Assert.Equal(1, again); // the expectation still fails: approving a report does not make it pass
            Assert.Equal(3, Count(rerun, "matched "));
            Assert.Contains("0 changed, 0 new", rerun);
        }
        finally { Clean(ctx); }
    }

    /// <summary>A stand-in for `gh api` over a JSON list of comments, applying the script's own --jq filter with jq.</summary>
    private const string FakeGh = """
        #!/usr/bin/env bash
        set -euo pipefail
        state="$FAKE_GH"
        method=GET; jqf=""; body=""; path=""
        shift # api
        while [ $# -gt 0 ]; do
          case "$1" in
            --method) method="$2"; shift ;;
            --paginate) ;;
            --jq) jqf="$2"; shift ;;
            -F) body="${2#body=@}"; shift ;;
            *) path="$1" ;;
          esac
          shift
        done
        echo "$method $path" >> "$state/calls"
        case "$method $path" in
          "GET repos/acme/board/pulls/"*) jq -r "$jqf" "$state/pull.json" ;;
          "GET repos/acme/board/issues/"*"/comments") jq -r "$jqf" "$state/comments.json" ;;
          "PATCH repos/acme/board/issues/comments/"*)
            id="${path##*/}"
            jq --argjson id "$id" --rawfile b "$body" 'map(if .id == $id then .body = $b else . end)' "$state/comments.json" > "$state/next.json"
            mv "$state/next.json" "$state/comments.json" ;;
          "POST repos/acme/board/issues/"*"/comments")
            jq --rawfile b "$body" '. + [{"id": (length + 100), "user": {"login": "github-actions[bot]"}, "body": $b}]' "$state/comments.json" > "$state/next.json"
            mv "$state/next.json" "$state/comments.json" ;;
          *) echo "fake gh: $method $path" >&2; exit 1 ;;
        esac
        """;

    [SkippableFact]
    public void The_comment_workflow_posts_one_comment_and_edits_it_on_the_next_push()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the workflow's scripts run on Linux runners");
        Skip.If(!NodeTools.OnPath("jq") && Environment.GetEnvironmentVariable("CI") is null, "jq is missing (Debian package jq); .ci/run installs it");
        Assert.True(NodeTools.OnPath("jq"), "jq is missing under CI");
        using var tree = Repository();
        var state = Path.Combine(tree.Root, "..", Path.GetFileName(tree.Root) + "-gh");
        var bin = Path.Combine(state, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "gh"), FakeGh.Replace("\r\n", "\n") + "\n");
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(Path.Combine(bin, "gh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Someone quoting the marker in their own comment: never edited.
        var human = "<!-- scenario-review-summary -->\nquoted by a person";
        File.WriteAllText(Path.Combine(state, "comments.json"), JsonSerializer.Serialize(new[] { new { id = 1, user = new { login = "octocat" }, body = human } }));
        var contexts = new List<LocalWorkflow.Context>();
        try
        {
            var comment = new LocalWorkflow(Path.Combine(Workflows, "scenarios-comment.yml"));
            string Post(string runId, string headSha)
            {
                var pr = PullRequestContext(tree, runId);
                contexts.Add(pr);
                new LocalWorkflow(Path.Combine(Workflows, "scenarios.yml")).RunJob("scenarios", pr);
                File.WriteAllText(Path.Combine(state, "pull.json"), JsonSerializer.Serialize(new { head = new { sha = "abc123" } }));
                var ctx = new LocalWorkflow.Context { Workspace = RepoRoot.Path, Artifacts = pr.Artifacts, Temp = Path.Combine(pr.Temp, "comment-job") };
                Directory.CreateDirectory(ctx.Temp);
                ctx.Values["github.event.workflow_run.event"] = "pull_request";
                ctx.Values["github.event.workflow_run.id"] = runId;
                ctx.Values["github.event.workflow_run.head_sha"] = headSha;
                ctx.Values["github.token"] = "a-token";
                ctx.Values["github.repository"] = "acme/board";
                ctx.Values["runner.temp"] = ctx.Temp;
                ctx.Env["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
                ctx.Env["FAKE_GH"] = state;
                Assert.Equal("github.event.workflow_run.event == 'pull_request'", ((YamlDotNet.RepresentationModel.YamlScalarNode)comment.Job("comment").Children[new YamlDotNet.RepresentationModel.YamlScalarNode("if")]).Value);
                var steps = comment.RunJob("comment", ctx);
                foreach (var s in steps) output.WriteLine($"{s.Label}: {s.Outcome} {s.Output}");
                Assert.All(steps, s => Assert.Equal("success", s.Outcome));
                return steps[^1].Output;
            }
            Assert.Contains("commented on #7", Post("1", "abc123"));
            var first = JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "comments.json"))).RootElement;
            Assert.Equal(2, first.GetArrayLength());
            Assert.StartsWith(SummaryLimit.CommentMarker + "\n## Scenarios: 1 failed, 2 changed, 1 new", first[1].GetProperty("body").GetString());

            // The next push: the usb expectation is fixed; the same comment is edited.
            tree.Write("lua/checks/usb.lua", "return function()\n  expect.ok(soc.device(\"usb\"), \"usb is there\")\nend\n");
            Assert.Contains("updated comment 101 on #7", Post("2", "abc123"));
            var second = JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "comments.json"))).RootElement;
            Assert.Equal(2, second.GetArrayLength());
            Assert.Equal(human, second[0].GetProperty("body").GetString());
            Assert.StartsWith(SummaryLimit.CommentMarker + "\n## Scenarios: 2 changed, 1 new", second[1].GetProperty("body").GetString());

            // A run of an older commit than the pull request's head posts nothing.
            Assert.Contains("a later run will comment", Post("3", "0ld"));
            Assert.Equal(second.ToString(), JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "comments.json"))).RootElement.ToString());
        }
        finally
        {
            foreach (var c in contexts) Clean(c);
            try { Directory.Delete(state, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void The_post_script_refuses_a_pull_request_number_that_is_not_one()
    {
        var dir = Path.Combine(Path.GetTempPath(), "se-review-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "pr-number"), "7; rm -rf /\n");
            File.WriteAllText(Path.Combine(dir, "comment.md"), SummaryLimit.CommentMarker + "\nx\n");
            var (code, text) = NodeTools.Run("bash", [Path.Combine(RepoRoot.Path, ".github", "scripts", "post-review-comment.sh"), dir], dir,
                new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["REPO"] = "acme/board", ["HEAD_SHA"] = "abc" });
            Assert.Equal(1, code);
            Assert.Contains("does not hold a pull request number", text);
        }
        finally { Directory.Delete(dir, true); }
    }
}
