using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// Scenario documents (docs/yaml-reference.md, scenario files) → <see cref="Scenario"/>. Paths are resolved relative to the
/// scenario file; every path that reaches a report is shown relative to the project root (the parent
/// of the nearest enclosing <c>scenarios/</c> folder), never absolute.
/// </summary>
public static class ScenarioLoader
{
    private static readonly string[] Keys = YamlKeys.Scenario;
    private static readonly string[] KernelKeys = YamlKeys.Kernel;

    /// <param name="inputs">When given, collects the full path of every file the scenario reads or
    /// tries to read (the scenario, its SoC file, its script), so a watcher can re-run it when one changes.</param>
    public static Scenario Load(string path, ProjectLayout layout, ICollection<string>? inputs = null)
    {
        var display = layout.Display(path);
        inputs?.Add(Path.GetFullPath(path));
        if (Directory.Exists(path))
            throw YamlTree.Error(ErrorCode.BadPath, new FileInfo(path).LinkTarget is not null
                ? "a symbolic link to a folder, which the scenario search does not follow (a link to a parent folder would loop): give the folder itself to run what it holds"
                : "a folder, not a scenario file", new SourceSpan(display, 0, 0));
        if (!File.Exists(path) && !InputFiles.IsSpecial(path))
            throw YamlTree.Error(ErrorCode.FileNotFound, "scenario file not found", new SourceSpan(display, 0, 0));
        var root = YamlTree.Parse(InputFiles.ReadText(path, layout.Root, "the scenario file", new SourceSpan(display, 0, 0)), display);
        var m = MappingReader.Of(root, "the scenario document", Keys);
        var title = m.String("scenario");
        var description = m.OptString("description");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;

        var socNode = m.Required("soc");
        Soc soc;
        if (socNode is YamlScalar s && !s.IsNull)
        {
            var socPath = Path.GetFullPath(Path.Combine(dir, s.Value));
            inputs?.Add(socPath);
            soc = SocLoader.LoadFile(socPath, layout.Display(socPath), layout.Root, s.Span);
        }
        else if (socNode is YamlMapping)
            soc = SocLoader.Load(socNode, display);
        else
            throw YamlTree.Error(ErrorCode.WrongType, "'soc' must be a path to an SoC file or an inline SoC mapping", socNode.Span);

        var knobs = KernelKnobs.Default;
        if (m.Node("kernel") is { } kn)
        {
            var k = MappingReader.Of(kn, "kernel", KernelKeys);
            knobs = new KernelKnobs(k.OptBool("iommu.strict") ?? true, k.OptBool("iommu.passthrough") ?? false, k.OptBool("iommu.forcedac") ?? false)
            {
                Fixes = Fixes(k),
                Pci = PciParam(k),
            };
        }

        LuaSource script;
        AdviceRequest? advice = null;
        if (m.Node("advise") is { } an)
        {
            if (m.Has("script") || m.Has("lua") || m.Has("params"))
                throw YamlTree.Error(ErrorCode.BadValue, "a scenario with 'advise' has no script: the advice is its report (drop 'script', 'lua' and 'params')", m.KeySpan("advise"));
            var a = MappingReader.Of(an, "advise", YamlKeys.Advise);
            advice = new AdviceRequest(a.String("device"), a.OptString("window"), a.OptNumber("iova"), a.OptNumber("size")) { Span = m.KeySpan("advise") };
            script = new LuaSource(display, "", 1, null);
        }
        else if (m.Has("script") && m.Has("lua"))
            throw YamlTree.Error(ErrorCode.BadValue, "give either 'script' (a file) or 'lua' (inline), not both", m.KeySpan("lua"));
        else if (m.Node("script") is { } sn)
        {
            var rel = MappingReader.AsString(sn, "script");
            var luaPath = Path.GetFullPath(Path.Combine(dir, rel));
            inputs?.Add(luaPath);
            var text = InputFiles.ReadText(luaPath, layout.Root, $"script '{Display.Clip(rel, 200)}'", sn.Span);
            script = new LuaSource(layout.Display(luaPath), text, 1, layout.LuaRoot);
        }
        else if (m.Node("lua") is YamlScalar ls && !ls.IsNull)
        {
            // A block scalar's text starts on the line after its indicator.
            int first = ls.Span.Line + (ls.Block ? 1 : 0);
            script = new LuaSource(display, ls.Value, first, layout.LuaRoot);
        }
        else
            throw YamlTree.Error(ErrorCode.MissingKey, "the scenario needs 'script' (a Lua file), 'lua' (inline Lua) or 'advise' (docs/advise.md)", m.Span);

        var ps = new List<KeyValuePair<string, ScenarioParam>>();
        if (m.Node("params") is { } pn)
        {
            if (pn is not YamlMapping pm)
                throw YamlTree.Error(ErrorCode.WrongType, $"'params' must be a mapping, found {pn.Kind}", pn.Span);
            foreach (var (key, value) in pm.Entries)
                ps.Add(new(key.Value, new ScenarioParam(ParamValue(value, key.Value))));
        }
        return new Scenario(title, description, display, soc, knobs, script, ps) { Pictures = Pictures(m), Advice = advice };
    }

    /// <summary>pictures: a list of <c>topology</c> and <c>iova-maps</c> (both when the key is absent; <c>[]</c> for none).</summary>
    private static PictureSet Pictures(MappingReader m)
    {
        if (!m.Has("pictures")) return PictureSet.All;
        var set = PictureSet.None;
        foreach (var node in m.List("pictures"))
        {
            var name = MappingReader.AsString(node, "pictures");
            set |= name switch
            {
                "topology" => PictureSet.Topology,
                "iova-maps" => PictureSet.IovaMaps,
                _ => throw YamlTree.Error(ErrorCode.BadValue, $"pictures: '{Display.Clip(name, 60)}' is not a picture; known: topology, iova-maps", node.Span),
            };
        }
        return set;
    }

    /// <summary>kernel.pci: the pci= boot parameter (Pci.PciKernelParams); an option the engine does not model is SE1007.</summary>
    internal static string? PciParam(MappingReader k)
    {
        if (k.OptString("pci") is not { } text) return null;
        if (Pci.PciKernelParams.Parse(text, out var error) is null)
            throw YamlTree.Error(ErrorCode.BadValue, $"kernel.pci: {Display.Clip(error!, 200)}", k.Node("pci")!.Span);
        return text;
    }

    /// <summary>kernel.fixes: upstream fixes on top of 7.0.0 (Kernel.KernelFixes); an unknown id is SE1007 listing the known ones.</summary>
    private static IReadOnlyList<string> Fixes(MappingReader k)
    {
        var fixes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var node in k.List("fixes"))
        {
            if (node is not YamlScalar s || s.IsNull)
                throw YamlTree.Error(ErrorCode.WrongType, $"kernel.fixes lists upstream commit ids, found {node.Kind}", node.Span);
            var id = KernelFixes.Resolve(s.Value)
                ?? throw YamlTree.Error(ErrorCode.BadValue, $"kernel.fixes: '{Display.Clip(s.Value, 60)}' is not a fix the engine models; known: " +
                    string.Join("; ", KernelFixes.Known.Select(f => $"{f.Key} (\"{f.Value}\")")), s.Span);
            fixes.Add(id);
        }
        return fixes.ToList();
    }

    private static object ParamValue(YamlNode n, string name) => n switch
    {
        YamlScalar { Quoted: false, Value: "true" } => true,
        YamlScalar { Quoted: false, Value: "false" } => false,
        YamlScalar { Quoted: false } s when Numbers.TryParse(s.Value, out var v) => v,
        YamlScalar s => s.Value,
        YamlSequence q => q.Items.Select(i => ParamValue(i, name)).ToList(),
        YamlMapping mm => mm.Entries.Select(e => new KeyValuePair<string, object>(e.Key.Value, ParamValue(e.Value, name))).ToList(),
        _ => throw YamlTree.Error(ErrorCode.WrongType, $"params.{name} has an unsupported shape", n.Span),
    };
}
