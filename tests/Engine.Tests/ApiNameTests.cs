using CsCheck;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>
/// A name the scenario library lacks is reported with the nearest names: at run time at the script's
/// line (Prelude.lua's `unknown`), and before anything runs by `scenario validate` (ApiNameCheck,
/// SE2010), in the same words. A number written as YAML writes it says how Lua writes it, once located.
/// </summary>
public class ApiNameTests
{
    private const string Typo = "iommu has no function 'domain_aloc'; did you mean 'domain_alloc'? (also near: domain_free, detach_group)";

    [Fact]
    public void A_misspelt_library_function_names_the_nearest_at_the_scripts_line()
    {
        var r = SandboxTests.Run("local apu = soc.device(\"apu\")\nlocal d = iommu.domain_aloc(apu, \"unmanaged\")");
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 5), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Equal(Typo, r.Error.Message);
    }

    [Theory]
    [InlineData("local g = soc.device(\"apu\").grop", "device apu has no field 'grop'; did you mean 'group'? (also near: bank, bdf)")]
    [InlineData("soc.devcie(\"apu\")", "soc has no function or field 'devcie'; did you mean 'device'? (also near: devices, name)")]
    [InlineData("expect.equal(1, 1)", "expect has no function 'equal' (nearest: eq, errno, fault)")]
    [InlineData("sim.advance_ms(5)", "sim has no function 'advance_ms'; did you mean 'advance'? (also near: events)")]
    public void Misspelt_fields_and_functions_of_every_kind_name_the_nearest(string code, string message)
    {
        var r = SandboxTests.Run(code);
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(4, r.Error.Where.Line);
        Assert.Equal(message, r.Error.Message);
    }

    [Fact]
    public void A_script_may_still_add_its_own_functions_to_a_library_and_test_for_a_name_with_rawget()
    {
        var r = SandboxTests.Run("""
            function iommu.mine() return 7 end
            expect.eq(iommu.mine(), 7, "its own function")
            expect.eq(rawget(iommu, "nothing"), nil, "rawget asks without an error")
            """);
        Assert.Null(r.Error);
        Assert.Equal(0, r.ExpectationsFailed);
    }

    [Fact]
    public void Validate_finds_an_unknown_api_name_without_running_and_says_it_as_a_run_does()
    {
        using var tree = new TestTree();
        tree.Write("lua/t/typo.lua", "-- iommu.nothing in a comment\nlocal s = \"iommu.nothing in a string\"\nlocal apu = soc.device(\"apu\")\nlocal d = iommu.domain_aloc(apu, \"unmanaged\")\n");
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        var path = tree.Write("scenarios/t/typo.yaml", "scenario: typo\nsoc: ../socs/tiny.yaml\nscript: ../../lua/t/typo.lua\n");
        var e = ScenarioValidator.Validate(path);
        Assert.NotNull(e);
        Assert.Equal(ErrorCode.UnknownApiName, e.Code);
        Assert.Equal(("lua/t/typo.lua", 4, 17), (e.Where.File, e.Where.Line, e.Where.Column));
        Assert.Equal(Typo, e.Message);
        var run = ScenarioRunner.Run(path, SandboxTests.Small);
        Assert.Equal((e.Message, e.Where.Line), (run.Error!.Message, run.Error.Where.Line));
    }

    [Fact]
    public void The_static_check_skips_comments_strings_shadowed_libraries_and_names_the_script_adds()
    {
        Assert.Empty(ApiNameCheck.Find("""
            --[==[ iommu.nope() ]==] local s = [[ dma.nope ]] .. 'mem.nope' .. "sim.nope"
            local report = { nope = 1 }; report.nope = 2
            function iova.mine() end
            pgtable.also = 1; pgtable.also()
            local t = { iommu = 1 }; local x = t.iommu.nope
            for _, expect in ipairs({}) do expect.nope() end
            iommu.map(nil, 0, 0, 0, "r"); expect.eq(1, 1); soc.name:upper()
            """));
        var found = ApiNameCheck.Find("local a = 1\n  mem.aloc(4096)\nreport.note('x') dma.map_sngle()\n");
        Assert.Equal([(2, 7, "mem", "aloc"), (3, 22, "dma", "map_sngle")], found.Select(f => (f.Line, f.Column, f.Library, f.Name)));
    }

    [Fact]
    public void Every_library_name_comes_from_the_api_table_and_the_prelude()
    {
        foreach (var row in ScenarioLibrary.Api.Where(r => r.Self is null && r.Shape != ApiShape.Method))
            Assert.Contains(row.Name, ApiNameCheck.Libraries[row.Library]);
        Assert.Equal(["eq", "errno", "fault", "inside", "ok", "outside"], ApiNameCheck.Libraries["expect"]);
    }

    [Fact]
    public void The_lua_lexer_never_fails_and_keeps_to_the_source()
    {
        var piece = Gen.OneOf<string>("--[[", "]]", "[==[", "]==]", "--", "\"", "'", "\\", "\\z", "\n", " ", "iommu", ".", "..", "...", "x", "0x1_0", "1e-5", "[", "]", "=", "==", ":", "local", "function", "(", ")", ",");
        Gen.OneOf(piece.Array[0, 60].Select(string.Concat), Gen.String).Sample(s =>
        {
            var tokens = LuaTokens.Read(s);
            int lines = s.Count(c => c == '\n') + 1;
            Assert.All(tokens, t => Assert.InRange(t.Line, 1, lines));
            Assert.True(tokens.Count <= s.Length);
            ApiNameCheck.Find(s);
        }, iter: 5000);
    }

    [Theory]
    [InlineData("local x = mem.alloc(0x1000_0000)", "malformed number near '0x1000_'; Lua numbers take no '_' separators: write 0x10000000, or the string \"0x1000_0000\" where the API takes a number (it reads YAML's forms)")]
    [InlineData("local x = mem.alloc(16MiB)", "malformed number near '16M'; Lua has no size suffixes: write 16 * MiB, or the string \"16MiB\" where the API takes a number")]
    public void A_number_written_as_yaml_writes_it_says_how_lua_writes_it_located_once(string code, string message)
    {
        var r = SandboxTests.Run("local a = 1\n" + code);
        Assert.Equal(ErrorCode.LuaSyntax, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 5), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Equal(message, r.Error.Message);
        using var tree = new TestTree();
        var e = ScenarioValidator.Validate(tree.Scenario("v", "local a = 1\n" + code));
        Assert.Equal((ErrorCode.LuaSyntax, 5, message), (e!.Code, e.Where.Line, e.Message));
    }

    [Fact]
    public void A_required_modules_malformed_number_is_explained_too()
    {
        var r = SandboxTests.Run("require('m')", prepare: t => t.Write("lua/m.lua", "return 0x1_0\n"));
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.EndsWith("malformed number near '0x1_'; Lua numbers take no '_' separators: write the digits without them, or the YAML form as a string where the API takes a number", r.Error.Message);
    }
}
