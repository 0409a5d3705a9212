using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>The Lua sandbox (docs/lua-api.md): no escape, located errors, budgets that stop runaway scripts.</summary>
public class SandboxTests
{
    internal static readonly RunOptions Small = new() { Budgets = new Budgets(5_000_000, 16L << 20, TimeSpan.FromSeconds(30)), Jobs = 1 };

    /// <summary>Runs inline Lua as scenarios/t/x.yaml on the test SoC, in this process (the hardening tests use it too).</summary>
    internal static RunResult Run(string lua, RunOptions? options = null, Action<TestTree>? prepare = null, string extra = "")
    {
        using var tree = new TestTree();
        prepare?.Invoke(tree);
        var path = tree.Scenario("x", lua, extra: extra);
        return ScenarioRunner.Run(path, options ?? Small);
    }

    [Theory]
    [InlineData("io.open('/etc/passwd')", "global 'io'")]
    [InlineData("os.execute('true')", "global 'os'")]
    [InlineData("debug.getinfo(1)", "global 'debug'")]
    [InlineData("dofile('/etc/passwd')", "global 'dofile'")]
    [InlineData("loadfile('/etc/passwd')", "global 'loadfile'")]
    [InlineData("package.loadlib('x', 'y')", "global 'package'")]
    [InlineData("collectgarbage('stop')", "global 'collectgarbage'")]
    public void Unsafe_libraries_are_absent_and_touching_them_is_a_located_error(string code, string what)
    {
        var r = Run("local a = 1\n" + code);
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 5), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains(what, r.Error.Message);
    }

    [Fact]
    public void Binary_chunks_and_reader_functions_are_refused_by_load()
    {
        var r = Run("""
            local f, err = load(string.dump(function() return 1 end))
            expect.eq(f, nil, "a binary chunk is refused")
            local g, err2 = load(function() return nil end)
            expect.eq(g, nil, "a reader function is refused")
            local h = load("return 41 + 1")
            expect.eq(h(), 42, "text chunks load")
            """);
        Assert.Null(r.Error);
        Assert.Equal(3, r.ExpectationsPassed);
    }

    [Theory]
    [InlineData("../secret")]
    [InlineData("..secret")]
    [InlineData("/etc/passwd")]
    [InlineData("socket.core")]
    [InlineData("lib/../../x")]
    public void Require_resolves_only_under_lua(string module)
    {
        var r = Run($"require('{module}')", prepare: t => t.Write("secret.lua", "return 1"));
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Contains("not found", r.Error.Message);
        Assert.Equal(4, r.Error.Where.Line);
    }

    [Fact]
    public void Require_does_not_follow_symbolic_links_out_of_lua()
    {
        var r = Run("require('lib.escape')", prepare: t =>
        {
            t.Write("secret.lua", "return 'secret'");
            Directory.CreateDirectory(Path.Combine(t.Root, "lua", "lib"));
            File.CreateSymbolicLink(Path.Combine(t.Root, "lua", "lib", "escape.lua"), Path.Combine(t.Root, "secret.lua"));
        });
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Contains("symbolic link", r.Error.Message);
    }

    [Fact]
    public void Require_loads_modules_from_lua_once_and_their_errors_name_their_file()
    {
        var r = Run("""
            local m = require("lib.util")
            local m2 = require("lib.util")
            expect.eq(m, m2, "modules are cached")
            expect.eq(m.twice(21), 42, "module functions work")
            m.boom()
            """, prepare: t => t.Write("lua/lib/util.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nfunction M.boom()\n  error('bang')\nend\nreturn M\n"));
        Assert.Equal(2, r.ExpectationsPassed);
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.StartsWith("lua/lib/util.lua:4: bang", r.Error.Message);
    }

    [Fact]
    public void Calls_made_from_a_module_are_located_in_the_module()
    {
        var r = Run("local m = require('lib.checks')\nm.check()", prepare: t => t.Write("lua/lib/checks.lua", "local M = {}\nfunction M.check()\n  expect.eq(1, 1, 'from the module')\nend\nreturn M\n"));
        Assert.Null(r.Error);
        Assert.Equal("lua/lib/checks.lua:3", r.Log.Expectations[0].Where);
        Assert.Contains("| lua/lib/checks.lua:3 | from the module | passed |", r.Report);
    }

    [Fact]
    public void Finalisers_are_refused()
    {
        var r = Run("setmetatable({}, { __gc = function() end })");
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Contains("__gc", r.Error.Message);
    }

    [Fact]
    public void An_endless_loop_stops_at_the_instruction_budget_with_its_line()
    {
        var r = Run("local n = 0\nwhile true do\n  n = n + 1\nend");
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.InRange(r.Error.Where.Line, 5, 7);
    }

    [Fact]
    public void An_endless_loop_behind_pcall_still_stops()
    {
        var r = Run("pcall(function()\n  while true do end\nend)\nexpect.ok(false, 'never reached')");
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.Empty(r.Log.Expectations);
    }

    [Fact]
    public void An_endless_loop_inside_a_coroutine_still_stops()
    {
        var r = Run("local co = coroutine.wrap(function() while true do end end)\nco()\nwhile true do co() end");
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
    }

    [Fact]
    public void An_endless_comparator_in_table_sort_still_stops()
    {
        var r = Run("local t = {3, 2, 1}\ntable.sort(t, function(a, b) while true do end end)");
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.Contains("parked", r.Error.Message);
        Assert.Equal(5, r.Error.Where.Line);
    }

    [Fact]
    public void The_wall_clock_backstop_stops_a_script_the_instruction_budget_would_allow()
    {
        var r = Run("while true do end", new RunOptions { Budgets = new Budgets(long.MaxValue, 16L << 20, TimeSpan.Zero), Jobs = 1 });
        Assert.Equal(ErrorCode.TimeBudget, r.Error!.Code);
    }

    [Fact]
    public void A_memory_bomb_stops_at_the_memory_budget_with_its_line()
    {
        var r = Run("local t = {}\nwhile true do\n  t[#t + 1] = string.rep('x', 1 << 20) .. #t\nend");
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Equal(6, r.Error.Where.Line);
    }

    [Fact]
    public void The_next_scenario_runs_normally_after_a_runaway_one()
    {
        using var tree = new TestTree();
        var bad = tree.Scenario("bad", "while true do end");
        var bomb = tree.Scenario("bomb", "local t = {} while true do t[#t+1] = string.rep('y', 1 << 20) .. #t end");
        var good = tree.Scenario("good", "expect.eq(1 + 1, 2)");
        var results = ScenarioRunner.RunAll([bad, bomb, good], Small with { Jobs = 2 });
        Assert.Equal(ErrorCode.InstructionBudget, results[0].Error!.Code);
        Assert.Equal(ErrorCode.MemoryBudget, results[1].Error!.Code);
        Assert.True(results[2].Passed);
    }

    [Fact]
    public void Scripts_reuse_their_threads_instead_of_starting_one_each()
    {
        using var tree = new TestTree();
        var paths = Enumerable.Range(0, 20).Select(i => tree.Scenario("s" + i, "expect.eq(" + i + " + 1, " + (i + 1) + ")")).ToList();
        int before = ScriptThread.Created;
        var results = ScenarioRunner.RunAll(paths, Small);
        Assert.All(results, r => Assert.True(r.Passed));
        // Other tests may run beside this one and start a few; one thread per script would be 20.
        Assert.InRange(ScriptThread.Created - before, 0, 10);
    }

    [Fact]
    public void A_finished_result_no_longer_reaches_its_sandbox_through_its_log()
    {
        // The log charged the script's memory budget through the sandbox; kept after the run (an
        // in-process run keeps every result) it held the Lua state and the whole simulated machine.
        var r = Run("expect.eq(1 + 1, 2)");
        Assert.True(r.Passed);
        Assert.Null(r.Log.Charge);
    }

    [Fact]
    public void A_thread_whose_script_was_parked_is_never_given_to_the_next_script()
    {
        // A parked thread sleeps for good: handed out again, the next script would never start and
        // would end at the wall-clock backstop instead of passing.
        var quick = Small with { Budgets = new Budgets(5_000_000, 16L << 20, TimeSpan.FromSeconds(5)) };
        for (int i = 0; i < 3; i++)
        {
            var parked = Run("local t = {3, 2, 1}\ntable.sort(t, function(a, b) while true do end end)", quick);
            Assert.Contains("parked", parked.Error!.Message);
            var next = Run("expect.eq(2 + 2, 4)", quick);
            Assert.True(next.Passed, next.Error?.Message);
        }
    }

    [Fact]
    public void A_syntax_error_is_SE2001_at_its_yaml_line()
    {
        var r = Run("local a = 1\nlocal = 2");
        Assert.Equal(ErrorCode.LuaSyntax, r.Error!.Code);
        Assert.Equal(5, r.Error.Where.Line);
    }

    [Fact]
    public void Api_misuse_is_raised_at_the_calling_line_with_the_valid_names()
    {
        var r = Run("local a = 1\nlocal d = soc.device('apx')");
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal("scenarios/t/x.yaml:5", r.Error.Where.ToString());
        Assert.StartsWith("no device named 'apx'; did you mean 'apu'?", r.Error.Message);
        Assert.StartsWith("scenarios/t/x.yaml:5: error SE2002: no device named 'apx'", r.Error.ToString());
        var r2 = Run("iommu.attach_device(soc.device('apu'), soc.device('apu'))");
        Assert.Contains("bad argument #1 to 'attach_device' (domain expected, got device apu)", r2.Error!.Message);
        var r3 = Run("local h = soc.device('apu')\nh.name = 'x'");
        Assert.Contains("read-only", r3.Error!.Message);
    }

    [Fact]
    public void Map_resolves_each_domain_handle_it_is_given_when_calls_alternate_between_domains_and_other_values()
    {
        var r = Run("""
            local apu = soc.device('apu')
            local a = iommu.domain_alloc(apu, "unmanaged")
            local b = iommu.domain_alloc(apu, "unmanaged")
            iommu.attach_group(a, apu.group)
            iommu.detach_group(a, apu.group)
            iommu.attach_group(b, apu.group)
            iommu.map(a, 0x1000, 0x40000000, 4096, 'rw')
            iommu.map(b, 0x2000, 0x40000000, 4096, 'rw')
            iommu.map(a, 0x3000, 0x40000000, 4096, 'rw')
            iommu.map(apu, 0x4000, 0x40000000, 4096, 'rw')
            """);
        // the last call passes a device where the domain goes, right after a domain was resolved
        Assert.Contains("bad argument #1 to 'map' (domain expected, got device apu)", r.Error!.Message);
        var maps = r.Log.Items.OfType<Record.Step>().Where(s => s.Name == "iommu.map").Select(s => s.Args).ToList();
        Assert.Equal(["domain#2, 0x1000, 0x40000000, 0x1000, \"rw\"", "domain#3, 0x2000, 0x40000000, 0x1000, \"rw\"", "domain#2, 0x3000, 0x40000000, 0x1000, \"rw\""], maps);
    }

    [Fact]
    public void The_hot_map_and_unmap_wrappers_raise_misuse_at_the_calling_line_and_return_outcomes_as_values()
    {
        var r = Run("local d = soc.device('apu').group.default_domain\niommu.map(d, 'x', 0, 4096, 'rw')");
        Assert.Equal("scenarios/t/x.yaml:5", r.Error!.Where.ToString());
        Assert.Contains("bad argument #2 to 'map' (integer expected, got string)", r.Error.Message);
        var r2 = Run("local d = soc.device('apu').group.default_domain\niommu.unmap(d, 0x1000, {})");
        Assert.Equal("scenarios/t/x.yaml:5", r2.Error!.Where.ToString());
        Assert.Contains("bad argument #3 to 'unmap' (integer expected, got table)", r2.Error.Message);
        var r3 = Run("iommu.map(soc.device('apu'), 0, 0, 4096, 'rw')");
        Assert.Contains("bad argument #1 to 'map' (domain expected, got device apu)", r3.Error!.Message);
        var ok = Run("""
            local d = soc.device('apu').group.default_domain
            expect.eq(select('#', iommu.map(d, 0x1000, 0x40000000, 4096, 'rw')), 3, "true, nil, nil as before")
            local v, e, why = iommu.map(d, 0x1001, 0x40000000, 4096, 'rw')
            expect.eq(v, nil, "unaligned map fails") expect.errno(e, "EINVAL", "as the kernel") expect.ok(why ~= nil, "with a reason")
            expect.eq(iommu.unmap(d, 0x1000, 4096), 4096, "unmap returns bytes")
            """, extra: "kernel: { fixes: [6fc7e8a3b811] }\n");
        Assert.True(ok.Passed, ok.Error?.ToString());
    }

    [Fact]
    public void A_fault_event_has_kind_fault_and_the_fault_table_under_fault()
    {
        var r = Run("""
            local display = soc.device("display")
            local pa, fault = display:read(0x1000)
            local e = sim.events()[1]
            expect.eq(e.kind, "fault", "the event's kind")
            expect.eq(e.fault.kind, "translation", "the fault's own kind")
            expect.eq(e.fault.iova, fault.iova, "the same fault table dev:read returned")
            expect.eq(e.device, "display", "the device")
            """);
        Assert.True(r.Passed, r.Error?.ToString());
        Assert.Equal(4, r.ExpectationsPassed);
    }

    [Fact]
    public void Handles_cannot_be_forged_and_the_same_object_is_the_same_handle()
    {
        var r = Run("""
            expect.ok(soc.device("apu") == soc.device("apu"), "same handle")
            expect.ok(soc.device("apu").group == soc.device("venc").group, "same group handle")
            expect.eq(getmetatable(soc.device("apu")), false, "metatables are hidden")
            expect.eq(tostring(soc.device("apu")), "apu", "tostring is the name")
            iommu.attach_device({}, soc.device("apu"))
            """);
        Assert.Equal(4, r.ExpectationsPassed);
        Assert.Contains("domain expected, got table", r.Error!.Message);
    }

    [Fact]
    public void A_kernel_oops_stops_the_script_as_SE2006_at_its_line()
    {
        var r = Run("local d = iommu.domain_alloc(soc.device('apu'), 'unmanaged')\niommu.map(d, 0x1000, 0x40001000, 0x1000, 'rw')");
        Assert.Equal(ErrorCode.KernelOops, r.Error!.Code);
        Assert.Equal(5, r.Error.Where.Line);
        Assert.Contains("never attached", r.Error.Message);
    }

    [Fact]
    public void Tables_functions_and_coroutines_print_as_stable_names_never_as_addresses()
    {
        const string lua = """
            local t, u = {1, 2}, {}
            report.note(tostring(t))
            report.note(("%s and %p, again %s; %s; %5.1f%%"):format(t, t, tostring(t), u, 2.5))
            report.note(tostring(function() end) .. " " .. tostring(coroutine.create(function() end)))
            report.note(tostring(setmetatable({}, { __name = "Point" })))
            report.note(tostring(setmetatable({}, { __tostring = function() return "P(1, 2)" end })))
            report.note(("%p"):format("text") .. " " .. ("%-4p|"):format(u))
            """;
        var a = Run(lua);
        var b = Run("local waste = {} for i = 1, 1000 do waste[i] = {} end\n" + lua);
        Assert.Null(a.Error);
        string[] notes = ["table: #1", "table: #1 and #1, again table: #1; table: #2;   2.5%", "function: #3 thread: #4", "Point: #5", "P(1, 2)", "#6 #2  |"];
        Assert.Equal(notes, a.Log.Items.OfType<Note>().Select(n => n.Text));
        Assert.Equal(notes, b.Log.Items.OfType<Note>().Select(n => n.Text));
        Assert.DoesNotMatch("(table|function|thread|Point): 0x", a.Report);
    }

    [Fact]
    public void A_failed_expect_eq_prints_tables_by_their_contents_sorted_and_bounded()
    {
        var r = Run("""
            expect.eq({1, 2, x = 3, ["a b"] = "s", [10] = true, [false] = 0}, {1, 2})
            local t = {1, 2}
            expect.eq(t, {1, 2})
            local c = {} c.self = c
            expect.eq(c, 1)
            local big = {} for i = 1, 5000 do big["k" .. i] = i end
            expect.eq(big, 1)
            local seq = {} for i = 1, 40 do seq[i] = i end
            expect.eq(seq, 1)
            expect.eq({ a = { b = { c = { d = 1 } } } }, 1)
            expect.eq({ [{}] = 1, k = 2 }, 1)
            """);
        var e = r.Log.Expectations;
        Assert.Equal("expected {1, 2}, got {1, 2, [10] = true, [\"a b\"] = \"s\", x = 3, [false] = 0}", e[0].Detail);
        Assert.Equal("expected {1, 2} (table: #2), a different table with the same contents, got {1, 2} (table: #1)", e[1].Detail);
        Assert.Equal("expected 1, got {self = table: #3}", e[2].Detail);
        Assert.Equal("expected 1, got {… and more (over 4096 keys)}", e[3].Detail);
        Assert.Equal("expected 1, got {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, … 24 more}", e[4].Detail);
        Assert.Equal("expected 1, got {a = {b = {c = table: #4}}}", e[5].Detail);
        Assert.Equal("expected 1, got {… 2 more}", e[6].Detail);
        Assert.DoesNotMatch("(table|function|thread|Point): 0x", r.Report);
    }

    [Fact]
    public void The_script_reports_its_line_each_time_its_memory_grows_by_another_32_MiB()
    {
        // A worker killed at its memory cap is located at the last line it reported: growth is
        // reported as it happens, not only every 250 ms (a fast allocation was once located nowhere).
        var beats = new List<(string? Chunk, int Line)>();
        var r = Run("local t = {}\nfor i = 1, 8 do t[i] = string.rep(string.rep(string.char(65 + i), 4096), 10240); for _ = 1, 2000 do end end\nexpect.eq(#t, 8)",
            Small with { Budgets = Small.Budgets with { MemoryBytes = 512L << 20 }, Heartbeat = (c, l) => beats.Add((c, l)) });
        Assert.Null(r.Error);
        Assert.True(beats.Count(b => b == ("scenarios/t/x.yaml", 5)) >= 7, $"{beats.Count} heartbeat(s) for 8 × 40 MiB");
    }

    [Fact]
    public void Math_random_is_seeded_per_scenario_and_repeatable()
    {
        var a = Run("report.note(tostring(math.random(1, 1000000)))");
        var b = Run("report.note(tostring(math.random(1, 1000000)))");
        Assert.Equal(a.Report, b.Report);
    }

    [Fact]
    public void Params_reach_the_script_with_contract_numbers()
    {
        using var tree = new TestTree();
        var path = tree.Scenario("p", "expect.eq(params.window, 0x60000000)\nexpect.eq(params.size, 16 * MiB)\nexpect.eq(params.name, 'fw')\nexpect.eq(params.list[2], 2)",
            extra: "params: { window: 0x6000_0000, size: 16MiB, name: fw, list: [1, 2] }\n");
        var r = ScenarioRunner.Run(path, Small);
        Assert.Null(r.Error);
        Assert.Equal(4, r.ExpectationsPassed);
    }
}
