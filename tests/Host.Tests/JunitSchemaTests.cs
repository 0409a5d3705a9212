using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using static ScenarioEngine.Tests.CliTests;

namespace ScenarioEngine.Tests;

/// <summary>`scenario run --format junit` output against schema/junit.xsd: every kind of outcome at once, and the schema refuses what a reporter could not read.</summary>
public class JunitSchemaTests
{
    private static XmlSchemaSet Schema(string file = "junit.xsd")
    {
        var set = new XmlSchemaSet();
        using var reader = XmlReader.Create(Path.Combine(RepoRoot.Path, "schema", file));
        set.Add(null, reader);
        set.Compile();
        return set;
    }

    private static List<string> Errors(XDocument doc, string schema = "junit.xsd")
    {
        var errors = new List<string>();
        doc.Validate(Schema(schema), (_, e) => errors.Add(e.Message));
        return errors;
    }

    private static XDocument Output(params string[] extra)
    {
        using var tree = new TestTree();
        var ok = tree.Scenario("ok", "expect.eq(1, 1)");
        var snap = tree.Scenario("snap", "report.note('before')");
        Cli("run", ok);
        Cli("run", snap);
        Cli("approve", ok);
        Cli("approve", snap);
        tree.Scenario("snap", "report.note('after')");
        tree.Scenario("bad", "local x = nil\nx.y = 1");
        tree.Scenario("fails", "expect.eq(1, 2, 'one is two \\27[31m <b> & \"q\"')");
        tree.Scenario("fresh", "x = 1");
        tree.Write("scenarios/u/other.yaml", "scenario: other\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1)\n");
        var (code, xml, _) = Cli(["run", Path.Combine(tree.Root, "scenarios"), "--format", "junit", .. extra]);
        Assert.Equal(1, code);
        return XDocument.Parse(xml);
    }

    [Fact]
    public void The_junit_output_of_passed_failed_erroring_changed_and_new_scenarios_validates_against_the_shipped_schema()
    {
        var doc = Output();
        Assert.Equal(6, doc.Descendants("testcase").Count());
        Assert.Contains(doc.Descendants("failure"), f => (string?)f.Attribute("type") == "snapshot-changed");
        Assert.Contains(doc.Descendants("failure"), f => (string?)f.Attribute("type") == "snapshot-new");
        Assert.Single(doc.Descendants("error"));
        Assert.Empty(Errors(doc));
    }

    [Fact]
    public void The_schema_refuses_a_testcase_without_time_or_with_a_negative_count()
    {
        var doc = Output();
        doc.Descendants("testcase").First().Attribute("time")!.Remove();
        Assert.Contains(Errors(doc), e => e.Contains("'time'", StringComparison.Ordinal));
        doc = Output();
        doc.Root!.SetAttributeValue("failures", "-1");
        Assert.NotEmpty(Errors(doc));
    }

    [Fact]
    public void The_jenkins_flavour_has_no_file_or_line_and_one_suite_per_topic_with_its_own_totals()
    {
        var doc = Output("--junit-flavor", "jenkins");
        Assert.Empty(Errors(doc, "junit-jenkins.xsd"));
        Assert.DoesNotContain(doc.Descendants("testcase"), t => t.Attribute("file") is not null || t.Attribute("line") is not null);
        var suites = doc.Root!.Elements("testsuite").ToList();
        Assert.Equal(["t", "u"], suites.Select(s => (string)s.Attribute("name")!));
        Assert.Equal(("5", "3", "1"), ((string)suites[0].Attribute("tests")!, (string)suites[0].Attribute("failures")!, (string)suites[0].Attribute("errors")!));
        Assert.Equal(("1", "1", "0"), ((string)suites[1].Attribute("tests")!, (string)suites[1].Attribute("failures")!, (string)suites[1].Attribute("errors")!)); // other is new
        Assert.Equal("6", (string)doc.Root!.Attribute("tests")!);
        // The default flavour's file attribute is what the strict schema refuses.
        Assert.NotEmpty(Errors(Output(), "junit-jenkins.xsd"));
    }
}
