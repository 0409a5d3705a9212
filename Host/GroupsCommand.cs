using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Host;

/// <summary>
/// `scenario groups SOC.yaml [--kernel KEY=VALUE …] [--format text|json] [-o FILE]` (docs/cli.md): the
/// IOMMU groups at boot, one line per group with the rule that formed it, the p2p-across-groups
/// hazards, and the masters without a group. The kernel keys are scenario files' (iommu.strict,
/// iommu.passthrough, iommu.forcedac, fixes) and pci= (the what-if knobs of drivers/pci/pci.c:
/// disable_acs_redir=, config_acs=, noats). Exit 0 with the groups written, 2 on misuse (a bad option,
/// a SoC file that does not load). -o creates its file whole and never over anything (NewFile).
/// </summary>
internal static class GroupsCommand
{
    public static int Execute(string socPath, IReadOnlyList<string> kernelPairs, string format, string? output, TextWriter stdout, TextWriter stderr)
    {
        var pci = kernelPairs.Where(p => p.StartsWith("pci=", StringComparison.Ordinal)).ToList();
        if (AdviseCommand.ParseKernel(kernelPairs.Except(pci).ToList(), stderr) is not { } kernel) return Cli.Misuse;
        if (pci.Count > 0)
        {
            var value = pci[^1]["pci=".Length..];
            if (PciKernelParams.Parse(value, out var error) is null)
            {
                stderr.WriteLine("groups: --kernel " + Display.Controls(error!));
                return Cli.Misuse;
            }
            kernel = kernel with { Pci = value };
        }
        if (output is not null && NewFile.Exists(output))
        {
            stderr.WriteLine($"groups: {Display.Controls(output)} exists; not overwritten");
            return Cli.Misuse;
        }
        if (!File.Exists(socPath))
        {
            stderr.WriteLine($"groups: no such SoC file: {Display.Controls(socPath)}");
            return Cli.Misuse;
        }
        var layout = ProjectLayout.For(socPath);
        var display = layout.Display(socPath);
        Soc soc;
        try { soc = SocLoader.LoadFile(Path.GetFullPath(socPath), display, layout.Root, new SourceSpan(display, 0, 0)); }
        catch (ScenarioLoadException e)
        {
            stderr.WriteLine("groups: " + Display.Controls(e.Error.ToString()));
            return Cli.Misuse;
        }
        var doc = GroupsAtBoot.Compute(soc, display, kernel);
        var text = format == "json" ? GroupsJson.Render(doc) : GroupsText.Render(doc);
        if (output is null) stdout.Write(text);
        else
        {
            switch (NewFile.Create(output, text, out var error))
            {
                case NewFile.Outcome.Exists: stderr.WriteLine($"groups: {Display.Controls(output)} exists (made while groups ran); not overwritten"); return Cli.Misuse;
                case NewFile.Outcome.Failed: stderr.WriteLine($"groups: {Display.Controls(output)}: {Display.Controls(error!)}"); return Cli.Failed;
            }
            stdout.WriteLine($"wrote {Display.Controls(output)}: {doc.Groups.Count} group(s), {doc.Hazards.Count} hazard(s)");
        }
        return Cli.Ok;
    }
}
