using System.CommandLine;
using System.Text.RegularExpressions;
using ScenarioEngine.Host;

namespace ScenarioEngine.Tests;

/// <summary>docs/cli.md and the command line cannot drift: every visible command has its section, every option and argument its mention there, and the page names nothing the command lacks.</summary>
public class CliDocsTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "cli.md")).Replace("\r\n", "\n");

    private static IEnumerable<(string Path, Command Command)> Commands(Command c, string path)
    {
        foreach (var sub in c.Subcommands.Where(s => !s.Hidden))
        {
            var p = path + " " + sub.Name;
            if (sub.Subcommands.Count == 0) yield return (p, sub);
            foreach (var inner in Commands(sub, p)) yield return inner;
        }
    }

    /// <summary>The text of the section whose heading names the command (a heading may name two, as "new soc and new scenario" does).</summary>
    private static string Section(string command)
    {
        var headings = Regex.Matches(Doc, "^## (.*)$", RegexOptions.Multiline);
        var h = headings.FirstOrDefault(m => m.Groups[1].Value.Contains($"`{command}`", StringComparison.Ordinal));
        Assert.True(h is not null, $"docs/cli.md has no section for `{command}`");
        var next = headings.FirstOrDefault(m => m.Index > h!.Index);
        return Doc[h!.Index..(next?.Index ?? Doc.Length)];
    }

    [Fact]
    public void Every_command_has_a_section_and_every_option_of_it_is_documented_there()
    {
        var root = Cli.Build(TextWriter.Null, TextWriter.Null);
        var commands = Commands(root, "scenario").ToList();
        Assert.Contains(commands, c => c.Path == "scenario run");
        Assert.Contains(commands, c => c.Path == "scenario new scenario");
        Assert.DoesNotContain(commands, c => c.Path == "scenario worker");
        foreach (var (path, command) in commands)
        {
            var section = Section(path);
            foreach (var option in command.Options.Where(o => !o.Hidden && o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help"))
                Assert.True(section.Contains($"`{option.Name}`", StringComparison.Ordinal), $"docs/cli.md, `{path}`: option {option.Name} is not documented");
            foreach (var argument in command.Arguments)
                Assert.True(section.Contains(argument.Name.ToUpperInvariant(), StringComparison.Ordinal), $"docs/cli.md, `{path}`: argument {argument.Name} is not in the synopsis");
        }
    }

    [Fact]
    public void The_page_documents_no_option_the_command_does_not_have()
    {
        var root = Cli.Build(TextWriter.Null, TextWriter.Null);
        var known = Commands(root, "scenario").SelectMany(c => c.Command.Options).Select(o => o.Name).ToHashSet();
        foreach (Match m in Regex.Matches(Doc, @"`(--[a-z][a-z0-9-]*)`"))
            Assert.True(known.Contains(m.Groups[1].Value), $"docs/cli.md documents {m.Groups[1].Value}, which no command has");
    }
}
