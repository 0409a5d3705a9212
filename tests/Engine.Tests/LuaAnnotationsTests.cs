using KeraLua;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// lua/types/scenario.lua (the Lua Language Server annotations) against the engine's library as the
/// prelude builds it: the same library functions with the same parameter counts, the same object
/// fields and methods. The prelude returns its API shape; a plain Lua state with the debug library
/// reads parameter counts from it without running any of the functions. And what each function
/// really returns against its @return lines: every shipped scenario (and the probe scripts beside
/// this file for rows no scenario calls) runs with each API function wrapped, and every result is
/// checked against its annotation; every row of the API table must have been seen.
/// </summary>
public class LuaAnnotationsTests
{
    private static readonly Dictionary<string, string> ClassOf = new()
    {
        ["soc"] = "Soc", ["device"] = "Device", ["group"] = "Group", ["domain"] = "Domain",
        ["iommu"] = "IommuInstance", ["iovad"] = "Iovad", ["pgtable"] = "PgtableOps",
    };

    private const string Describe = """
        local out = {}
        local function arity(f)
          local i = debug.getinfo(f, "u")
          return tostring(i.nparams) .. (i.isvararg and "+..." or "")
        end
        for lib, t in pairs(shape.libraries) do
          for name, f in pairs(t) do out[#out + 1] = ("function %s.%s %s"):format(lib, name, arity(f)) end
        end
        for kind, o in pairs(shape.objects) do
          local cls = class_of[kind] or ("?" .. kind)
          for name in pairs(o.fields) do out[#out + 1] = ("field %s.%s"):format(cls, name) end
          for name, f in pairs(o.methods) do
            local i = debug.getinfo(f, "u")
            out[#out + 1] = ("method %s:%s %d%s"):format(cls, name, i.nparams - 1, i.isvararg and "+..." or "")
          end
        end
        table.sort(out)
        return table.concat(out, "\n")
        """;

    private static List<string> EngineShape()
    {
        using var l = new Lua(openLibs: true);
        // stand-ins for the host functions, so the generated wrappers and fields exist without a host
        var stub = "local function stub() end\n" + string.Join("\n",
            ScenarioEngine.Scripting.ScenarioLibrary.Api.Select(r => r.Key).Concat(["bind", "name", "expect", "read_module"])
                .Select(k => $"_G[\"__se_{k}\"] = stub"));
        Assert.Equal(LuaStatus.OK, l.LoadString(stub, "=stubs"));
        Assert.True(l.PCall(0, 0, 0) == LuaStatus.OK, l.ToString(-1));
        Assert.Equal(LuaStatus.OK, l.LoadString(ScenarioEngine.Scripting.ScenarioLibrary.PreludeSource, "=prelude"));
        Assert.True(l.PCall(0, 1, 0) == LuaStatus.OK, l.ToString(-1));
        l.SetGlobal("shape");
        l.NewTable();
        foreach (var (k, v) in ClassOf) { l.PushString(v); l.SetField(-2, k); }
        l.SetGlobal("class_of");
        Assert.Equal(LuaStatus.OK, l.LoadString(Describe, "=describe"));
        Assert.True(l.PCall(0, 1, 0) == LuaStatus.OK, l.ToString(-1));
        return l.ToString(-1).Split('\n').ToList();
    }

    private static List<string> AnnotatedShape()
    {
        var classes = new HashSet<string>(ClassOf.Values);
        var outList = new List<string>();
        foreach (var item in LuaAnnotations.Items())
        {
            if (item is LuaAnnotations.Class c && classes.Contains(c.Name))
                outList.AddRange(c.Fields.Select(f => $"field {c.Name}.{f.Name}"));
            if (item is not LuaAnnotations.Function fn) continue;
            var ps = fn.ParamList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            var vararg = ps.Remove("...");
            var arity = ps.Count + (vararg ? "+..." : "");
            outList.Add(fn.Separator == "."
                ? $"function {fn.Owner}.{fn.Name} {arity}"
                : $"method {fn.Owner}:{fn.Name} {arity}");
        }
        outList.Sort(StringComparer.Ordinal);
        return outList;
    }

    [Fact]
    public void The_annotations_describe_exactly_the_library_the_engine_installs()
    {
        var engine = EngineShape();
        var annotated = AnnotatedShape();
        var missing = engine.Except(annotated).ToList();
        var extra = annotated.Except(engine).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            "lua/types/scenario.lua disagrees with the prelude.\n  in the engine, not annotated:\n    " + string.Join("\n    ", missing)
            + "\n  annotated, not in the engine:\n    " + string.Join("\n    ", extra));
    }

    [Fact]
    public void The_engine_shape_covers_every_library_table_and_object_kind()
    {
        var engine = EngineShape();
        foreach (var lib in new[] { "soc", "iommu", "mem", "sim", "dma", "iova", "expect", "pgtable", "report" })
            Assert.Contains(engine, l => l.StartsWith($"function {lib}."));
        Assert.Contains("function iommu.map 5", engine);
        Assert.Contains("method Device:stream 3", engine);
        Assert.Contains("field Domain.aperture", engine);
        Assert.DoesNotContain(engine, l => l.Contains('?'));
    }

    // ---------------------------------------------------------------------------- return shapes

    /// <summary>Wraps every library function, method and field of the shape (the chunk's argument) so that each result goes to the checker.</summary>
    private const string Wrap = """
        local shape = ...
        local check, handles = __probe_check, shape.handles
        __probe_check = nil
        local pack, unpack = table.pack, table.unpack
        local function wrap(key, f)
          return function(...)
            local r = pack(f(...))
            check(handles, key, r.n, unpack(r, 1, r.n))
            return unpack(r, 1, r.n)
          end
        end
        local function wrap_all(t, key_of)
          local names = {}
          for name in next, t do names[#names + 1] = name end
          for _, name in ipairs(names) do t[name] = wrap(key_of(name), t[name]) end
        end
        for lib, t in next, shape.libraries do wrap_all(t, function(n) return lib .. "." .. n end) end
        for kind, o in next, shape.objects do
          wrap_all(o.methods, function(n) return kind .. ":" .. n end)
          wrap_all(o.fields, function(n) return kind .. "." .. n .. "@" end)
        end
        """;

    /// <summary>An API key ("iommu.map", "device:read", "device.group@") → its annotated results.</summary>
    private static Dictionary<string, List<(string Text, LuaTypeCheck.Type Type)>> AnnotatedResults()
    {
        var kindOf = ClassOf.ToDictionary(e => e.Value, e => e.Key);
        var results = new Dictionary<string, List<(string, LuaTypeCheck.Type)>>(StringComparer.Ordinal);
        foreach (var item in LuaAnnotations.Items())
        {
            if (item is LuaAnnotations.Function fn)
            {
                var key = fn.Separator == "." ? fn.Owner + "." + fn.Name : (kindOf.TryGetValue(fn.Owner, out var k) ? k : "?" + fn.Owner) + ":" + fn.Name;
                results[key] = fn.Returns.Select(r => (r.Type, LuaTypeCheck.Parse(r.Type))).ToList();
            }
            else if (item is LuaAnnotations.Class c && kindOf.TryGetValue(c.Name, out var kind))
                foreach (var f in c.Fields) results[kind + "." + f.Name + "@"] = [(f.Type, LuaTypeCheck.Parse(f.Type))];
        }
        return results;
    }

    private sealed class ResultProbe
    {
        private readonly Dictionary<string, List<(string Text, LuaTypeCheck.Type Type)>> _annotated = AnnotatedResults();
        private readonly LuaTypeCheck _types = new(ClassOf.Where(e => e.Key != "soc").ToDictionary(e => e.Value, e => e.Key));
        public readonly SortedDictionary<string, int> Seen = new(StringComparer.Ordinal);
        public readonly SortedDictionary<string, string> Wrong = new(StringComparer.Ordinal);
        public string Scenario = "";
        private readonly LuaFunction _check;

        public ResultProbe() => _check = Check;

        public void Install(LuaSandbox sandbox)
        {
            sandbox.Register("__probe_check", _check);
            var l = sandbox.State;
            Assert.Equal(LuaStatus.OK, l.LoadString(Wrap, "=probe"));
            l.GetField((int)LuaRegistry.Index, ScenarioLibrary.ShapeKey);
            Assert.True(l.PCall(1, 0, 0) == LuaStatus.OK, l.ToString(-1));
        }

        /// <summary>check(handles, key, n, ...): never raises (an exception must not cross the native frames); what is wrong is kept.</summary>
        private int Check(IntPtr state)
        {
            var l = Lua.FromIntPtr(state);
            string key = "?";
            try
            {
                key = l.ToString(2, false) ?? "?";
                var n = (int)l.ToInteger(3);
                Seen[key] = Seen.GetValueOrDefault(key) + 1;
                if (!_annotated.TryGetValue(key, out var want)) { Note(key, "no annotation"); return 0; }
                for (int i = 0; i < Math.Max(n, want.Count); i++)
                {
                    int idx = 4 + i;
                    if (i >= want.Count)
                    {
                        if (l.Type(idx) is not (LuaType.Nil or LuaType.None)) Note(key, $"returns a value #{i + 1}; {want.Count} annotated");
                        continue;
                    }
                    var why = i < n ? _types.Mismatch(l, idx, want[i].Type, 1) : _types.Mismatch(l, l.GetTop() + 1, want[i].Type, 1);
                    if (why is not null) Note(key, $"result #{i + 1} {why} (annotated {want[i].Text})");
                }
            }
            catch (Exception e)
            {
                Note(key, "checker failed: " + e.Message);
            }
            return 0;
        }

        private void Note(string key, string why) => Wrong.TryAdd(key + ": " + why, Scenario);
    }

    [Fact]
    public void Every_api_row_returns_what_its_annotation_says()
    {
        var probe = new ResultProbe();
        var options = new RunOptions { Jobs = 1, Svgs = false, Instrument = probe.Install };
        foreach (var path in ScenarioRunner.Discover([Path.Combine(RepoRoot.Path, "scenarios")]))
        {
            probe.Scenario = Path.GetRelativePath(RepoRoot.Path, path);
            var r = ScenarioRunner.Run(path, options);
            Assert.True(r.Error is null, $"{probe.Scenario}: {r.Error}");
        }
        // the probe scripts, each on the shipped SoC its first line names, in a throw-away tree
        using var tree = new TestTree();
        foreach (var soc in Directory.GetFiles(Path.Combine(RepoRoot.Path, "scenarios", "socs"), "*.yaml"))
            tree.Write("scenarios/socs/" + Path.GetFileName(soc), File.ReadAllText(soc));
        foreach (var script in Directory.GetFiles(Path.Combine(RepoRoot.Path, "tests", "Engine.Tests", "ReturnShapes"), "*.lua").Order(StringComparer.Ordinal))
        {
            var lua = File.ReadAllText(script);
            var soc = System.Text.RegularExpressions.Regex.Match(lua, @"^-- soc: (\S+)").Groups[1].Value;
            var name = Path.GetFileNameWithoutExtension(script);
            tree.Write($"lua/{name}.lua", lua);
            var path = tree.Write($"scenarios/probe/{name}.yaml", $"scenario: {name}\nsoc: ../socs/{soc}\nscript: ../../lua/{name}.lua\n");
            probe.Scenario = Path.GetRelativePath(RepoRoot.Path, script);
            var r = ScenarioRunner.Run(path, options);
            Assert.True(r.Error is null, $"{probe.Scenario}: {r.Error}");
        }
        var wrong = probe.Wrong.Select(e => $"{e.Key}   (first in {e.Value})").ToList();
        Assert.True(wrong.Count == 0, "lua/types/scenario.lua's @return lines disagree with what the engine returned:\n  " + string.Join("\n  ", wrong));
        var unseen = ScenarioLibrary.Api.Select(r => r.Key).Where(k => !probe.Seen.ContainsKey(k)).ToList();
        Assert.True(unseen.Count == 0, "rows no scenario called, so their results were never checked (call them in a scenario, or in tests/Engine.Tests/ReturnShapes/):\n  " + string.Join("\n  ", unseen));
    }
}

/// <summary>The return-shape checker refuses what it should: a test of the test.</summary>
public class LuaTypeCheckTests
{
    private static string? Check(string lua, string type)
    {
        using var l = new Lua(openLibs: true);
        Assert.Equal(LuaStatus.OK, l.LoadString("local h = setmetatable({}, {}); return { [h] = 'device' }, h, " + lua));
        Assert.True(l.PCall(0, 3, 0) == LuaStatus.OK, l.ToString(-1));
        var check = new LuaTypeCheck(new Dictionary<string, string> { ["Device"] = "device", ["Domain"] = "domain" });
        return check.Mismatch(l, 3, LuaTypeCheck.Parse(type), 1);
    }

    [Fact]
    public void Exact_records_lists_handles_and_aliases_are_told_apart()
    {
        Assert.Null(Check("{ lo = 1, hi = 2 }", "{lo: integer, hi: integer}"));
        Assert.Equal("has a field 'x' the annotation lacks", Check("{ lo = 1, hi = 2, x = 3 }", "{lo: integer, hi: integer}"));
        Assert.Equal("field 'hi' is a string, not an integer", Check("{ lo = 1, hi = 'a' }", "{lo: integer, hi: integer}"));
        Assert.Null(Check("{ 1, 2, 3 }", "integer[]"));
        Assert.Equal("[2] is a float, not an integer", Check("{ 1, 2.5 }", "integer[]"));
        Assert.Equal("is an integer, none of integer[]|nil", Check("3", "integer[]?"));
        Assert.Null(Check("h", "Device|nil"));
        Assert.Equal("is a device handle, not a Domain", Check("h", "Domain"));
        Assert.Null(Check("'anchor'", "{lo: integer}|\"anchor\""));
        Assert.Null(Check("nil", "Errno? errno"));
        Assert.Equal("is a string, none of \"r\"|\"w\"", Check("'x'", "\"r\"|\"w\" note"));
        Assert.Null(Check("{ [1] = 5, [2] = 6 }", "{[1]: Int, [2]: Int}"));
    }
}
