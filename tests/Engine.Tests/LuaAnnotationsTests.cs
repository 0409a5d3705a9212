using KeraLua;

namespace ScenarioEngine.Tests;

/// <summary>
/// lua/types/scenario.lua (the Lua Language Server annotations) against the engine's library as the
/// prelude builds it: the same library functions with the same parameter counts, the same object
/// fields and methods. The prelude returns its API shape; a plain Lua state with the debug library
/// reads parameter counts from it without running any of the functions.
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
}
