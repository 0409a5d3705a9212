namespace ScenarioEngine.Tests;

/// <summary>A throw-away project tree (scenarios/, lua/, snapshots/) in a temp folder.</summary>
public sealed class TestTree : IDisposable
{
    public TestTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "se-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "scenarios", "socs"));
        Directory.CreateDirectory(Path.Combine(Root, "lua"));
    }

    public string Root { get; }

    /// <summary>
    /// Writes a file whole: a sibling temp file renamed over the target, as editors that save safely
    /// do, so a watcher never sees it truncated and half-written (a test of half-written files writes
    /// the half itself). A symbolic link is written through, in place.
    /// </summary>
    public string Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        text = text.Replace("\r\n", "\n");
        if (new FileInfo(path).LinkTarget is not null) { File.WriteAllText(path, text); return path; }
        var temp = $"{path}.{Guid.NewGuid():N}.partial";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));
    public bool Exists(string relative) => File.Exists(Path.Combine(Root, relative));

    /// <summary>A small MediaTek SoC: one M4U, one bank, one region, three masters (apu alone on larb0 ports 10/11).</summary>
    public const string Soc = """
        soc: tiny
        memory:
          - { name: dram, base: 0x4000_0000, size: 1GiB }
        reserved-memory:
          - { name: fw, base: 0x6000_0000, size: 16MiB }
        iommus:
          - name: m4u
            driver: mediatek
            flags: [reset-axi, int-id-port-width-6]
        devices:
          - name: display
            ids: [ { iommu: m4u, larb: 0, port: 0 } ]
          - name: apu
            ids: [ { iommu: m4u, larb: 0, port: 10 }, { iommu: m4u, larb: 0, port: 11 } ]
            firmware:
              - { name: code, iova: 0x6000_0000, size: 16MiB }
          - name: venc
            ids: [ { iommu: m4u, larb: 1, port: 0 } ]
        """;

    /// <summary>Writes scenarios/socs/tiny.yaml and a scenario running the given inline Lua.</summary>
    public string Scenario(string name, string lua, string? soc = null, string extra = "")
    {
        Write("scenarios/socs/tiny.yaml", soc ?? Soc);
        var indented = string.Join("\n", lua.Replace("\r\n", "\n").Split('\n').Select(l => "  " + l));
        return Write($"scenarios/t/{name}.yaml", $"scenario: {name}\nsoc: ../socs/tiny.yaml\n{extra}lua: |\n{indented}\n");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
