using ScenarioEngine.Record;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>
/// schema/results.schema.json describes the `--format json` document exactly: the engine's output for
/// the shipped tree and for every shape a result can take (located error, failed expectation in a
/// module, folded steps, faults, new and changed snapshots, truncation) validates, and the schema
/// rejects what the engine never writes.
/// </summary>
public class ResultsSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(RepoRoot.Path, "schema", "results.schema.json")).GetAwaiter().GetResult());

    private static List<string> Errors(string json) => Schema.Value.Validate(JToken.Parse(json)).Select(e => $"{e.Path}: {e.Kind}").ToList();

    [Fact]
    public void The_json_document_of_the_shipped_tree_validates_against_the_results_schema()
    {
        var paths = ScenarioRunner.Discover([Path.Combine(RepoRoot.Path, "scenarios")]);
        var results = ScenarioRunner.RunAll(paths, new RunOptions { Jobs = 2 });
        foreach (var r in results) r.Snapshot = SnapshotStatus.Matched; // compared elsewhere; this test writes nothing
        var json = JsonReport.Render(results);
        Assert.Contains("\"faults\": [\n        {", json); // the tree has faults, so their shape is checked too
        var errors = Errors(json);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Every_shape_of_a_result_validates_against_the_results_schema()
    {
        using var tree = new TestTree();
        tree.Write("lua/t/check.lua", "return function() expect.eq(1, 2, 'in a module') end\n");
        tree.Scenario("error", "local x = nil\nx.y = 1");
        tree.Scenario("module", "require('t.check')()\nfor i = 1, 3 do iommu.get_domain_for_dev(soc.device('display')) end");
        tree.Scenario("fault", "local d = soc.device('display')\nlocal dom = iommu.domain_alloc(d, 'unmanaged')\nexpect.ok(dom)\nd:read(0x1000)");
        tree.Scenario("many", "for i = 1, 10001 do expect.ok(true) end");
        tree.Write("scenarios/t/bad-yaml.yaml", "scenario: [\n");
        var changed = tree.Scenario("changed", "report.note('before')");
        var first = ScenarioRunner.Run(changed, new RunOptions());
        SnapshotStore.Compare(first, null);
        SnapshotStore.Approve([changed], null);
        tree.Scenario("changed", "report.note('after')");

        var paths = ScenarioRunner.Discover([Path.Combine(tree.Root, "scenarios")]);
        var results = ScenarioRunner.RunAll(paths, new RunOptions { Jobs = 1 });
        foreach (var r in results) SnapshotStore.Compare(r, null);
        var json = JsonReport.Render(results);
        foreach (var shape in new[] { "\"snapshot\": \"changed\"", "\"snapshot\": \"new\"", "\"code\": \"SE2002\"", "\"file\": \"lua/t/check.lua\"", "\"count\": 3", "\"truncated\"", "\"kind\": \"translation\"" })
            Assert.Contains(shape, json);
        var errors = Errors(json);
        Assert.True(errors.Count == 0, string.Join("\n", errors) + "\n" + json[..Math.Min(json.Length, 4000)]);
    }

    [Fact]
    public void The_results_schema_rejects_what_the_engine_never_writes()
    {
        const string ok = """{"scenarios": [{"path": "scenarios/a.yaml", "title": "a", "status": "passed", "snapshot": "matched", "error": null, "expectations": {"passed": 0, "failed": 0, "items": []}, "steps": [], "faults": []}], "summary": {"passed": 1, "failed": 0, "changed": 0, "new": 0}}""";
        Assert.Empty(Errors(ok));
        Assert.NotEmpty(Errors(ok.Replace("\"passed\", \"snapshot\"", "\"ok\", \"snapshot\"", StringComparison.Ordinal).Replace("\"status\": \"passed\"", "\"status\": \"ok\"", StringComparison.Ordinal)));
        Assert.NotEmpty(Errors(ok.Replace("\"faults\": []", "\"faults\": [], \"extra\": 1", StringComparison.Ordinal)));
        Assert.NotEmpty(Errors(ok.Replace("\"error\": null", "\"error\": {\"code\": \"E1\", \"message\": \"m\", \"file\": \"f\", \"line\": 1, \"column\": 0}", StringComparison.Ordinal)));
        Assert.NotEmpty(Errors(ok.Replace(", \"new\": 0}", "}", StringComparison.Ordinal)));
    }
}
