using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// The API table (ScenarioLibrary.Api) is the one declaration of the Lua API: lua/types/scenario.lua
/// must give every function and method the table's parameters, in the table's order, with the types
/// the table's argument kinds mean; the generated wrappers are the table's; keys are unique.
/// </summary>
public class LuaApiTableTests
{
    private static readonly Dictionary<string, string> ClassOf = new()
    {
        ["device"] = "Device", ["group"] = "Group", ["domain"] = "Domain",
        ["iommu"] = "IommuInstance", ["iovad"] = "Iovad", ["pgtable"] = "PgtableOps",
    };

    [Fact]
    public void Every_function_of_the_table_is_annotated_with_the_same_parameters_and_types()
    {
        var annotated = LuaAnnotations.Items().OfType<LuaAnnotations.Function>()
            .ToDictionary(f => f.Owner + f.Separator + f.Name);
        var wrong = new List<string>();
        foreach (var row in ScenarioLibrary.Api.Where(r => r.Shape != ApiShape.Field))
        {
            var key = row.Shape == ApiShape.Method ? ClassOf[row.Library] + ":" + row.Name : row.Library + "." + row.Name;
            if (!annotated.TryGetValue(key, out var fn)) { wrong.Add($"{key}: not annotated"); continue; }
            var want = row.Args.Select(a => $"{a.Name} {a.LuaType}{(a.Optional ? "?" : "")}");
            var have = fn.Params.Select(p => $"{p.Name} {p.Type}");
            if (!want.SequenceEqual(have))
                wrong.Add($"{key}: table ({string.Join(", ", want)}) vs annotations ({string.Join(", ", have)})");
        }
        Assert.True(wrong.Count == 0, "lua/types/scenario.lua disagrees with the API table:\n  " + string.Join("\n  ", wrong));
    }

    [Fact]
    public void Every_row_has_its_own_key_and_at_most_six_arguments()
    {
        var keys = ScenarioLibrary.Api.Select(r => r.Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ScenarioLibrary.Api, r => Assert.True(r.Args.Length <= ApiCall.MaxArgs, r.Key));
        Assert.All(ScenarioLibrary.Api.Where(r => r.Shape == ApiShape.Field), r => Assert.Empty(r.Args));
    }

    [Fact]
    public void The_prelude_carries_one_generated_wrapper_per_row_and_no_hand_written_library_function()
    {
        var prelude = ScenarioLibrary.PreludeSource;
        foreach (var row in ScenarioLibrary.Api)
            Assert.Contains($"do local f = raw[\"{row.Key}\"]", prelude, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiLua.Marker, prelude, StringComparison.Ordinal);
        // The hand-written part of the prelude declares the library tables empty; only expect is Lua.
        using var stream = typeof(LuaSandbox).Assembly.GetManifestResourceStream("ScenarioEngine.Prelude.lua")!;
        var source = new StreamReader(stream).ReadToEnd();
        foreach (var lib in new[] { "iommu", "mem", "sim", "dma", "iova", "pgtable", "report" })
            Assert.DoesNotMatch($@"(?m)^\s*{lib}\.\w+\s*=|function {lib}\.", source);
    }

    [Fact]
    public void The_map_row_records_its_step_under_the_kernel_call_it_models()
    {
        var map = ScenarioLibrary.Api.Single(r => r.Key == "iommu.map");
        Assert.Equal("iommu.map", map.Call);
        Assert.Equal(["domain", "iova", "pa", "size", "prot"], map.Args.Select(a => a.Name));
        Assert.Equal([ArgKind.Domain, ArgKind.Int, ArgKind.Int, ArgKind.Int, ArgKind.Prot], map.Args.Select(a => a.Kind));
        Assert.NotNull(map.Fast);
    }
}
