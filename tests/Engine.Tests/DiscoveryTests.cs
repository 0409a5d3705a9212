using ScenarioEngine.Running;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>Finding the scenarios of a tree (ScenarioRunner.Discover): no symbolic link is followed, and none is dropped without a word.</summary>
public class DiscoveryTests
{
    [SkippableFact]
    public void A_linked_scenario_file_is_run_like_any_other_and_one_linked_out_of_the_tree_fails_located()
    {
        Requires.Linux("symbolic links as a Unix file system has them");
        using var tree = new TestTree();
        var real = tree.Scenario("real", "expect.eq(1, 1)");
        var outside = Path.Combine(Path.GetTempPath(), $"se-outside-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(outside, "scenario: outside\nsoc: ../socs/tiny.yaml\nlua: 'x = 1'\n");
        try
        {
            File.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "t", "alias.yaml"), "real.yaml");
            File.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "t", "out.yaml"), outside);
            var found = ScenarioRunner.Discover([Path.Combine(tree.Root, "scenarios")]).Select(f => Path.GetRelativePath(tree.Root, f).Replace('\\', '/')).ToList();
            Assert.Equal(["scenarios/t/alias.yaml", "scenarios/t/out.yaml", "scenarios/t/real.yaml"], found);

            var results = ScenarioRunner.RunAll(ScenarioRunner.Discover([Path.Combine(tree.Root, "scenarios")]), new RunOptions { Jobs = 1 });
            var alias = results.Single(r => r.Path == "scenarios/t/alias.yaml");
            Assert.True(alias.Passed, alias.Error?.ToString()); // a link inside the tree is read through: the same scenario, under its own path
            var outResult = results.Single(r => r.Path == "scenarios/t/out.yaml");
            Assert.Equal(ErrorCode.BadPath, outResult.Error!.Code);
            Assert.Equal("scenarios/t/out.yaml", outResult.Error.Where.File);
            Assert.Contains("resolves outside the project tree", outResult.Error.Message);
            Assert.True(results.Single(r => r.Path == "scenarios/t/real.yaml").Passed);
            _ = real;
        }
        finally { File.Delete(outside); }
    }

    [SkippableFact]
    public void A_linked_folder_is_not_followed_but_listed_as_a_located_error_that_says_so()
    {
        Requires.Linux("symbolic links as a Unix file system has them");
        using var tree = new TestTree();
        tree.Scenario("a", "expect.eq(1, 1)");
        Directory.CreateDirectory(Path.Combine(tree.Root, "elsewhere"));
        tree.Write("elsewhere/b.yaml", "scenario: b\nsoc: ../scenarios/socs/tiny.yaml\nlua: 'x = 1'\n");
        Directory.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "linked"), "../elsewhere");
        Directory.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "t", "loop"), ".."); // a link to a parent: no loop
        var found = ScenarioRunner.Discover([Path.Combine(tree.Root, "scenarios")]);
        Assert.Equal(["scenarios/linked", "scenarios/t/a.yaml", "scenarios/t/loop"], found.Select(f => Path.GetRelativePath(tree.Root, f).Replace('\\', '/')));
        var linked = ScenarioRunner.Run(found[0], new RunOptions { Jobs = 1 });
        Assert.Equal(ErrorCode.BadPath, linked.Error!.Code);
        Assert.Equal("scenarios/linked", linked.Error.Where.File);
        Assert.Contains("a symbolic link to a folder, which the scenario search does not follow", linked.Error.Message);
        // given by name, the linked folder's scenarios are found
        Assert.Single(ScenarioRunner.Discover([Path.Combine(tree.Root, "scenarios", "linked")]));
    }
}
