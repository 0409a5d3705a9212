using System.Text.RegularExpressions;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Host;

/// <summary>
/// `scenario new soc NAME` and `scenario new scenario NAME --soc FILE`: scaffolds that validate and
/// run as written (tests/Host.Tests/NewCommandTests.cs runs them). Never overwrites anything (<see cref="NewFile"/>).
/// </summary>
internal static partial class NewCommand
{
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")]
    private static partial Regex NamePattern();

    public static int Soc(string name, string? dir, TextWriter stdout, TextWriter stderr)
    {
        if (!CheckName(name, stderr)) return Cli.Misuse;
        var path = Path.Combine(dir ?? Path.Combine("scenarios", "socs"), name + ".yaml");
        if (!Create(path, Modeline(path, "soc") + SocTemplate(Path.GetFileName(name)), stderr)) return Cli.Misuse;
        stdout.WriteLine($"created {Show(path)}: one MediaTek M4U with one bank, so every master shares one IOMMU group.");
        stdout.WriteLine($"next: scenario new scenario first-attach --soc {Show(path)}");
        return Cli.Ok;
    }

    public static int Scenario(string name, string socFile, string? dir, TextWriter stdout, TextWriter stderr)
    {
        if (!CheckName(name, stderr)) return Cli.Misuse;
        if (!File.Exists(socFile)) { stderr.WriteLine($"scenario new: no such SoC file: {socFile}"); return Cli.Misuse; }
        Model.Soc soc;
        try { soc = SocLoader.LoadFile(socFile, Show(socFile)); }
        catch (ScenarioLoadException e)
        {
            stderr.WriteLine(e.Error.ToString());
            stderr.WriteLine("scenario new: fix the SoC file first (scenario validate checks it with a scenario)");
            return Cli.Misuse;
        }
        var device = soc.Devices.FirstOrDefault(d => d.Ids.Count > 0 && d.DriverBound)
                     ?? soc.Devices.FirstOrDefault(d => d.Ids.Count > 0);
        if (device is null) { stderr.WriteLine($"scenario new: {Show(socFile)} has no device behind an IOMMU to start from"); return Cli.Misuse; }
        var path = Path.Combine(dir ?? "scenarios", name + ".yaml");
        var socRel = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFullPath(socFile)).Replace('\\', '/');
        // the script in the project's lua/ folder, where editors check it (.luarc.json); named as the scenario, '-' as '_'
        var script = Path.Combine(Model.ProjectLayout.For(path).LuaRoot, name.Replace('-', '_') + ".lua");
        var scriptRel = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, script).Replace('\\', '/');
        if (File.Exists(script)) { stderr.WriteLine($"scenario new: {Show(script)} exists; not overwritten"); return Cli.Misuse; }
        if (!Create(path, Modeline(path, "scenario") + ScenarioTemplate(Path.GetFileName(name), socRel, scriptRel), stderr)) return Cli.Misuse;
        if (!Create(script, ScriptTemplate(device.Name), stderr)) return Cli.Misuse;
        stdout.WriteLine($"created {Show(path)} and its script {Show(script)} (device {device.Name} of {soc.Name}).");
        stdout.WriteLine($"next: scenario run {Show(path)}, read the report, then scenario approve {Show(path)}");
        return Cli.Ok;
    }

    private static bool CheckName(string name, TextWriter stderr)
    {
        if (NamePattern().IsMatch(name)) return true;
        stderr.WriteLine($"scenario new: '{name}' is not a usable name: lowercase letters, digits, '-' and '_', folders separated by '/' (e.g. seed/apu-attach)");
        return false;
    }

    private static bool Create(string path, string text, TextWriter stderr)
    {
        switch (NewFile.Create(path, text, out var error))
        {
            case NewFile.Outcome.Created: return true;
            case NewFile.Outcome.Exists: stderr.WriteLine($"scenario new: {Show(path)} exists; not overwritten"); return false;
            default: stderr.WriteLine($"scenario new: {Show(path)}: {error}"); return false;
        }
    }

    /// <summary>
    /// The yaml-language-server line that gives editors completion from schema/KIND.schema.json, when
    /// a schema/ folder is found above the new file (as in this repository); otherwise nothing.
    /// </summary>
    internal static string Modeline(string path, string kind)
    {
        var target = Path.GetDirectoryName(Path.GetFullPath(path))!;
        for (var dir = new DirectoryInfo(target); dir is not null; dir = dir.Parent)
        {
            var schema = Path.Combine(dir.FullName, "schema", kind + ".schema.json");
            if (File.Exists(schema))
                return "# yaml-language-server: $schema=" + Path.GetRelativePath(target, schema).Replace('\\', '/') + "\n";
        }
        return "";
    }

    private static string Show(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path).Replace('\\', '/');

    internal static string SocTemplate(string name) => $$"""
        # {{name}}: describe the SoC's memory, IOMMU instances and the masters behind them.
        # scenarios/socs/*.yaml are worked examples of real SoCs; docs/errors.md explains every error code.
        soc: {{name}}
        description: one MediaTek multimedia IOMMU with one bank; every master shares its group
        memory:
          - { name: dram, base: 0x4000_0000, size: 1GiB }
        iommus:
          - name: m4u
            driver: mediatek        # arm-smmu takes other keys: docs/yaml-reference.md, docs/modelled.md
            type: mm
            pgtable: arm-v7s
            ias: 32
            oas: 35
            banks: 1
        devices:
          - name: display
            ids: [ { iommu: m4u, larb: 0, port: 0 } ]
          - name: codec
            ids: [ { iommu: m4u, larb: 1, port: 0 } ]
            dma-mask: 32
            driver-bound: true
            firmware:
              - { name: code, iova: 0x6000_0000, size: 1MiB }

        """.Replace("\r\n", "\n");

    internal static string ScenarioTemplate(string name, string socRel, string scriptRel) => $$"""
        scenario: {{name}}
        description: >
          What this scenario shows, in a sentence a reviewer of the snapshot diff can check.
        soc: {{socRel}}
        kernel:
          iommu.strict: true
        script: {{scriptRel}}

        """.Replace("\r\n", "\n");

    /// <summary>The scaffold's script: a file of lua/, so the Lua Language Server checks it against lua/types (.luarc.json).</summary>
    internal static string ScriptTemplate(string device) => $$"""
        -- The library: docs/lua-api.md. Every call below becomes a row of the report's Steps table.
        local dev = soc.device("{{device}}")
        local g = dev.group
        expect.ok(g, "{{device}} sits behind an IOMMU and has a group")
        report.note(("{{device}} is in %s with %d device(s)"):format(g.name, #g.devices))

        -- The DMA API maps into the group's default domain.
        local iova, pa = dma.alloc_coherent(dev, SZ_4K)
        expect.ok(iova, "the DMA API hands out an IOVA")
        report.mappings(g.default_domain)
        dma.free_coherent(dev, SZ_4K, iova)

        -- An unmanaged domain: iommu_attach_device() takes it only if the group has one device.
        local dom = iommu.domain_alloc(dev, "unmanaged")
        local ok, err, why = iommu.attach_device(dom, dev)
        report.note(ok and "attached" or ("attach refused: " .. err .. " (" .. why .. ")"))
        iommu.domain_free(dom)

        """.Replace("\r\n", "\n");
}
