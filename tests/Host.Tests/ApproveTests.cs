using Newtonsoft.Json.Linq;
using NJsonSchema;
using static ScenarioEngine.Tests.CliTests;

namespace ScenarioEngine.Tests;

/// <summary>`scenario approve`: what it did and did not do (text and JSON), and --from a downloaded folder (docs/cli.md).</summary>
public class ApproveTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(RepoRoot.Path, "schema", "approve.schema.json")).GetAwaiter().GetResult());

    /// <summary>Three topics with received reports; the verified file of u/b is a folder, so that one cannot be written (whoever runs the test, root included).</summary>
    private static TestTree Tree()
    {
        var tree = new TestTree();
        tree.Scenario("a", "expect.eq(1, 1)");
        tree.Write("scenarios/u/b.yaml", "scenario: b\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1)\n");
        tree.Write("scenarios/v/c.yaml", "scenario: c\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 2)\n");
        Cli("run", Path.Combine(tree.Root, "scenarios"));
        Directory.CreateDirectory(Path.Combine(tree.Root, "snapshots", "u", "b.verified.md"));
        return tree;
    }

    [Fact]
    public void An_approve_that_cannot_write_one_snapshot_lists_what_it_replaced_and_what_it_did_not()
    {
        using var tree = Tree();
        var (code, output, err) = Cli("approve", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(1, code);
        Assert.Contains("approved snapshots/t/a.verified.md — passed — 1 expectation held, 0 failed.", output);
        Assert.Contains("approved snapshots/v/c.verified.md — failed — 0 expectations held, 1 failed.", output);
        Assert.Contains("scenario approve: NOT approved snapshots/u/b.verified.md: ", err);
        Assert.Contains("2 snapshot(s) approved; 1 NOT approved (their verified files are unchanged; see above).", output);
        Assert.True(tree.Exists("snapshots/t/a.verified.md"));
        Assert.True(tree.Exists("snapshots/v/c.verified.md"));
        Assert.True(tree.Exists("snapshots/u/b.received.md")); // still there to approve once the folder is fixed
    }

    [Fact]
    public void The_json_outcome_lists_the_same_and_validates_against_its_schema()
    {
        using var tree = Tree();
        var (code, json, _) = Cli("approve", Path.Combine(tree.Root, "scenarios"), "--format", "json");
        Assert.Equal(1, code);
        var doc = JObject.Parse(json);
        Assert.Equal(["snapshots/t/a.verified.md", "snapshots/v/c.verified.md"], doc["approved"]!.Select(a => (string)a["verified"]!));
        Assert.Equal("passed — 1 expectation held, 0 failed.", (string)doc["approved"]![0]!["result"]!);
        Assert.Equal("scenarios/u/b.yaml", (string)doc["failed"]![0]!["scenario"]!);
        Assert.Equal(2, (int)doc["summary"]!["approved"]!);
        Assert.Equal(1, (int)doc["summary"]!["failed"]!);
        var errors = Schema.Value.Validate(JToken.Parse(json));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")));
        doc["approved"]![0]!["extra"] = 1;
        Assert.NotEmpty(Schema.Value.Validate(doc));
    }

    [Fact]
    public void Approve_from_a_downloaded_folder_takes_its_reports_leaves_local_ones_and_names_those_no_scenario_has()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "report.note('one')");
        Cli("run", sc);
        var from = Path.Combine(tree.Root, "..", Path.GetFileName(tree.Root) + "-download");
        try
        {
            Directory.CreateDirectory(Path.Combine(from, "t"));
            File.Copy(Path.Combine(tree.Root, "snapshots/t/a.received.md"), Path.Combine(from, "t", "a.received.md"));
            File.WriteAllText(Path.Combine(from, "t", "gone.received.md"), "# a scenario this checkout does not have\n");
            File.CreateSymbolicLink(Path.Combine(from, "t", "b.received.md"), "/etc/passwd");
            tree.Scenario("b", "expect.ok(true)");
            var (code, output, err) = Cli("approve", Path.Combine(tree.Root, "scenarios"), "--from", from);
            Assert.Equal(1, code); // b's report is a link: refused, said, and the rest goes on
            Assert.Contains($"approved snapshots/t/a.verified.md from {from}/t/a.received.md — passed — 0 expectations held, 0 failed.", output);
            Assert.Contains($"not used {from}/t/gone.received.md: no scenario given has this report", output);
            Assert.Contains("NOT approved snapshots/t/b.verified.md", err);
            Assert.Contains("is a link or not a regular file", err);
            Assert.False(tree.Exists("snapshots/t/b.verified.md"));
            Assert.True(tree.Exists("snapshots/t/a.received.md")); // the local received file is left alone
            Assert.Equal(File.ReadAllText(Path.Combine(from, "t", "a.received.md")), tree.Read("snapshots/t/a.verified.md"));
            Assert.Contains("matched", Cli("run", sc).Out);
            Assert.Equal(2, Cli("approve", sc, "--from", Path.Combine(from, "missing")).Code);
        }
        finally { Directory.Delete(from, true); }
    }
}
