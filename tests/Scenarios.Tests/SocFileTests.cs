namespace ScenarioEngine.Tests;

/// <summary>Every SoC file that names a platform by compatible has a boot scenario with an approved report: the catalogue's regression net.</summary>
public class SocFileTests
{
    [Fact]
    public void Every_SoC_file_built_on_the_catalogue_has_an_approved_boot_scenario_that_names_its_sources()
    {
        var socs = Path.Combine(RepoRoot.Path, "scenarios", "socs");
        var files = Directory.GetFiles(socs, "*.yaml").Where(f => File.ReadAllText(f).Contains("compatible:", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 9, $"{files.Count} SoC files built on the catalogue; the library promises at least nine");
        var table = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "your-board.md"));
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var text = File.ReadAllText(file);
            Assert.Matches(@"(?m)^# .*(arch/arm64/boot/dts/\S+\.dtsi?|\.dts)", text); // the DTS it came from
            Assert.Contains("Linux 7.0", text);
            Assert.Contains("Left out", text);
            var boot = Path.Combine(RepoRoot.Path, "scenarios", "boot", name + ".yaml");
            Assert.True(File.Exists(boot), $"{name}.yaml has no boot scenario scenarios/boot/{name}.yaml");
            Assert.Contains($"soc: ../socs/{name}.yaml", File.ReadAllText(boot));
            Assert.True(File.Exists(Path.Combine(RepoRoot.Path, "snapshots", "boot", name + ".verified.md")), $"scenarios/boot/{name}.yaml has no approved report");
            Assert.Contains($"| `socs/{name}.yaml` |", table); // docs/your-board.md lists it
        }
    }
}
