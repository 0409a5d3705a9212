using System.Reflection;
using System.Text.RegularExpressions;
using ScenarioEngine.Drivers;

namespace ScenarioEngine.Tests;

/// <summary>
/// A driver family is one folder: Engine/Drivers/FAMILY/ holds everything that names the family's
/// types, and Engine/Drivers/Families.cs is the one list that names the families. Any other file of
/// the engine or the host that names a family's type (or its namespace) fails this test.
/// </summary>
public class ArchitectureTests
{
    private static readonly string Root = RepoRoot.Path;

    /// <summary>The family's types as source code names them (no compiler-generated ones).</summary>
    internal static IReadOnlyList<string> TypeNames(IommuFamily family) =>
        family.GetType().Assembly.GetTypes()
            .Where(t => t.Namespace == family.GetType().Namespace && !t.Name.Contains('<') && !t.IsNested)
            .Select(t => Regex.Replace(t.Name, "`\\d+$", "")).Distinct().Order(StringComparer.Ordinal).ToList();

    internal static IEnumerable<string> SourceFiles() =>
        new[] { "Engine", "Host" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>file → the family types it names, for every file outside the family's folder and the family list.</summary>
    internal static Dictionary<string, List<string>> Violations(IommuFamily family, IEnumerable<string> files)
    {
        var ns = family.GetType().Namespace!;
        var folder = Path.Combine(Root, "Engine", "Drivers", ns[(ns.LastIndexOf('.') + 1)..]) + Path.DirectorySeparatorChar;
        var names = TypeNames(family);
        var pattern = new Regex(@"\b(" + string.Join("|", names.Select(Regex.Escape)) + @")\b|" + Regex.Escape(ns) + @"\b");
        var found = new Dictionary<string, List<string>>();
        foreach (var f in files)
        {
            if (f.StartsWith(folder, StringComparison.Ordinal) || f == Path.Combine(Root, "Engine", "Drivers", "Families.cs")) continue;
            // comments may mention a family; code may not
            var code = Regex.Replace(File.ReadAllText(f), @"//.*", "");
            var hits = pattern.Matches(code).Select(m => m.Value).Distinct().ToList();
            if (hits.Count > 0) found[Path.GetRelativePath(Root, f)] = hits;
        }
        return found;
    }

    [Fact]
    public void Each_family_finds_its_own_types_in_its_folder()
    {
        Assert.Equal(["mediatek", "arm-smmu", "arm-smmu-v3"], Families.All.Select(f => f.Name));
        foreach (var family in Families.All)
        {
            var names = TypeNames(family);
            Assert.Contains(family.GetType().Name, names);
            Assert.True(names.Count >= 4, $"{family.Name}: {string.Join(", ", names)}");
        }
    }

    [Fact]
    public void No_file_outside_a_family_folder_names_that_familys_types()
    {
        var files = SourceFiles().ToList();
        foreach (var family in Families.All)
        {
            var v = Violations(family, files);
            Assert.True(v.Count == 0, $"{family.Name}'s types named outside Engine/Drivers/{family.GetType().Namespace![(family.GetType().Namespace!.LastIndexOf('.') + 1)..]}/: " +
                string.Join("; ", v.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}")));
        }
    }

    [Fact]
    public void The_check_fails_on_a_file_that_names_a_family_type()
    {
        using var tree = new TestTree();
        var file = tree.Write("Bad.cs", "class X { object y = new MediatekIommu(null!); }\n");
        var comment = tree.Write("Fine.cs", "// MediatekIommu is only mentioned in a comment\nclass Y { }\n");
        var mtk = Families.Find("mediatek")!;
        var v = Violations(mtk, [file, comment]);
        Assert.Equal(["MediatekIommu"], Assert.Single(v).Value);
    }

    // ---------------------------------------------------------------- layers

    private static readonly string[] Layers = ["Model", "Yaml", "Record", "Hardware", "Pci", "PageTables", "Kernel", "Dma", "Drivers", "Config", "Scripting", "Advice", "Reporting", "Snapshots", "Running"];

    /// <summary>
    /// The direction dependencies may take: Model ← Yaml; Model ← Pci (the PCI core's topology rules:
    /// enumeration, quirks, ACS, DMA aliases, of_map_id) ← Kernel, Drivers, Config, Advice; Model ← Hardware ← PageTables ← Kernel ←
    /// Drivers and Dma ← Config (the loaders read each family's YAML) ← Scripting ← Running; `scenario
    /// advise`'s strategies (Advice) sit on Model, Yaml, Record and Drivers (each family's SocEdits), and
    /// Running runs them; the run
    /// record (Record: RunLog, EndState, RunResult) sits on Model and Yaml, the script writes it, and
    /// Reporting and Snapshots read only it, Model and Yaml.
    /// </summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Model"] = [],
        ["Yaml"] = ["Model"],
        ["Record"] = ["Model", "Yaml"],
        ["Hardware"] = ["Model"],
        ["Pci"] = ["Model"],
        ["PageTables"] = ["Model", "Hardware"],
        ["Kernel"] = ["Model", "Hardware", "PageTables", "Pci"],
        ["Dma"] = ["Model", "Hardware", "PageTables", "Kernel"],
        ["Drivers"] = ["Model", "Yaml", "Hardware", "PageTables", "Kernel", "Pci"],
        ["Config"] = ["Model", "Yaml", "Hardware", "Pci", "Drivers"],
        ["Scripting"] = ["Model", "Yaml", "Record", "Hardware", "Pci", "PageTables", "Kernel", "Dma", "Drivers", "Config"],
        ["Advice"] = ["Model", "Yaml", "Record", "Pci", "Drivers"],
        ["Reporting"] = ["Model", "Yaml", "Record"],
        ["Snapshots"] = ["Model", "Yaml", "Record"],
        ["Running"] = ["Model", "Yaml", "Record", "Hardware", "Pci", "PageTables", "Kernel", "Dma", "Drivers", "Config", "Scripting", "Advice", "Reporting", "Snapshots"],
    };

    /// <summary>
    /// Edges that break the direction, each with what would remove it — none today. The list only
    /// shrinks: an edge not here fails the test, and so does an edge here that no longer exists.
    /// </summary>
    private static readonly Dictionary<(string From, string To), string> KnownViolations = new()
    {
    };

    internal static Dictionary<(string From, string To), List<string>> Edges(IEnumerable<string> files)
    {
        var edges = new Dictionary<(string, string), List<string>>();
        foreach (var f in files)
        {
            var text = File.ReadAllText(f);
            var ns = Regex.Match(text, @"namespace ScenarioEngine\.(\w+)");
            if (!ns.Success || !Layers.Contains(ns.Groups[1].Value)) continue;
            var code = Regex.Replace(text, @"//.*", "");
            foreach (var other in Layers.Where(l => l != ns.Groups[1].Value))
                if (Regex.IsMatch(code, @"using ScenarioEngine\." + other + @"(\.\w+)*;") || Regex.IsMatch(code, @"(?<![\w.])" + other + @"\.[A-Z]\w+")
                    || Regex.IsMatch(code, @"ScenarioEngine\." + other + @"\."))
                {
                    var key = (ns.Groups[1].Value, other);
                    if (!edges.TryGetValue(key, out var list)) edges[key] = list = [];
                    list.Add(Path.GetRelativePath(Root, f));
                }
        }
        return edges;
    }

    [Fact]
    public void Namespaces_depend_only_downwards_apart_from_the_listed_violations_which_only_shrink()
    {
        var edges = Edges(SourceFiles().Where(f => f.StartsWith(Path.Combine(Root, "Engine"), StringComparison.Ordinal)));
        var wrong = edges.Where(e => !Allowed[e.Key.From].Contains(e.Key.To) && !KnownViolations.ContainsKey(e.Key))
            .Select(e => $"{e.Key.From} → {e.Key.To} ({string.Join(", ", e.Value.Take(3))})").ToList();
        Assert.True(wrong.Count == 0, "dependencies against the layer direction: " + string.Join("; ", wrong));
        var gone = KnownViolations.Keys.Where(k => !edges.ContainsKey(k)).Select(k => $"{k.From} → {k.To}").ToList();
        Assert.True(gone.Count == 0, "fixed, so remove from KnownViolations: " + string.Join("; ", gone));
        Assert.DoesNotContain(edges.Keys, e => Allowed[e.To].Contains(e.From) && Allowed[e.From].Contains(e.To)); // no cycle among allowed edges
    }

    [Fact]
    public void The_layer_check_fails_on_an_upward_dependency()
    {
        using var tree = new TestTree();
        var bad = tree.Write("Bad.cs", "using ScenarioEngine.Kernel;\nnamespace ScenarioEngine.PageTables;\nclass X { }\n");
        var edges = Edges([bad]);
        var edge = Assert.Single(edges).Key;
        Assert.Equal(("PageTables", "Kernel"), edge);
        Assert.DoesNotContain("Kernel", Allowed["PageTables"]);
    }
}
