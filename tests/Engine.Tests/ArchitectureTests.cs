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
        Assert.Equal(["mediatek", "arm-smmu"], Families.All.Select(f => f.Name));
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
}
