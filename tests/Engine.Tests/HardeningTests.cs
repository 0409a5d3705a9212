using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using System.Diagnostics;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// Hostile input is normal input: each root cause the hostile battery found (issue "nothing can crash
/// or hang a run") has a test here that failed on the old behaviour — a crash, a hang, unbounded
/// memory, an unlocated error or a wrong result — and now gets a located error with a stable code.
/// </summary>
public class HardeningTests
{
    private static readonly RunOptions Small = SandboxTests.Small;

    private static RunResult Run(string lua, RunOptions? options = null) => SandboxTests.Run(lua, options);

    private static RunResult RunFile(TestTree tree, string relative, string yaml)
    {
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        return ScenarioRunner.Run(tree.Write(relative, yaml), Small);
    }

    // ---------------------------------------------------------------- YAML

    [Fact]
    public void Thirty_thousand_levels_of_nesting_are_a_located_SE1001_not_a_stack_overflow()
    {
        using var tree = new TestTree();
        var r = RunFile(tree, "scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/tiny.yaml\nparams: { a: " + new string('[', 30_000) + new string(']', 30_000) + " }\nlua: 'x = 1'\n");
        Assert.Equal(ErrorCode.YamlSyntax, r.Error!.Code);
        Assert.Equal(3, r.Error.Where.Line);
        Assert.Contains("nesting deeper than 64", r.Error.Message);
    }

    [Fact]
    public void Billion_laughs_aliases_are_refused_by_their_expanded_size()
    {
        using var tree = new TestTree();
        var yaml = "scenario: x\nsoc: ../socs/tiny.yaml\nlua: 'x = 1'\nparams:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < 10; i++)
            yaml += $"  a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]\n";
        var r = RunFile(tree, "scenarios/t/x.yaml", yaml);
        Assert.Equal(ErrorCode.YamlSyntax, r.Error!.Code);
        Assert.Contains("expands to more than", r.Error.Message);
        Assert.True(r.Error.Where.Line >= 5);
    }

    [Fact]
    public void An_alias_that_would_nest_past_the_depth_limit_is_refused_where_it_is_used()
    {
        using var tree = new TestTree();
        var deep = new string('[', 40) + "x" + new string(']', 40);
        var r = RunFile(tree, "scenarios/t/x.yaml", $"scenario: x\nsoc: ../socs/tiny.yaml\nlua: 'x = 1'\nparams:\n  a: &d {deep}\n  b: {new string('[', 30)}*d{new string(']', 30)}\n");
        Assert.Equal(ErrorCode.YamlSyntax, r.Error!.Code);
        Assert.Equal(6, r.Error.Where.Line);
    }

    [Fact]
    public void Params_nested_to_the_depth_limit_reach_the_script_intact()
    {
        using var tree = new TestTree();
        var depth = 60;
        var yaml = "scenario: x\nsoc: ../socs/tiny.yaml\nparams:\n  p: " + string.Concat(Enumerable.Repeat("{a: ", depth)) + "7" + new string('}', depth) +
                   $"\nlua: |\n  local t, n = params.p, 0\n  while type(t) == 'table' do t = t.a; n = n + 1 end\n  expect.eq(n, {depth})\n  expect.eq(t, 7)\n";
        var r = RunFile(tree, "scenarios/t/x.yaml", yaml);
        Assert.True(r.Passed, r.Error?.ToString());
        Assert.Equal(2, r.ExpectationsPassed);
    }

    // ---------------------------------------------------------------- files

    [Fact]
    public void A_script_outside_the_project_tree_is_refused_and_never_read()
    {
        using var tree = new TestTree();
        var outside = Path.Combine(Path.GetTempPath(), "se-outside-" + Guid.NewGuid().ToString("N") + ".lua");
        File.WriteAllText(outside, "SECRET_TOKEN_123 = 1");
        try
        {
            var r = RunFile(tree, "scenarios/t/x.yaml", $"scenario: x\nsoc: ../socs/tiny.yaml\nscript: {outside}\n");
            Assert.Equal(ErrorCode.BadPath, r.Error!.Code);
            Assert.Equal(("scenarios/t/x.yaml", 3), (r.Error.Where.File, r.Error.Where.Line));
            Assert.DoesNotContain("SECRET_TOKEN_123", r.Report);
        }
        finally { File.Delete(outside); }
    }

    [Fact]
    public void A_symbolic_link_inside_the_tree_that_points_outside_is_refused()
    {
        using var tree = new TestTree();
        var outside = Path.Combine(Path.GetTempPath(), "se-outside-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(outside, "SECRET_TOKEN_456: [");
        try
        {
            File.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "socs", "linked.yaml"), outside);
            var r = RunFile(tree, "scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/linked.yaml\nlua: 'x = 1'\n");
            Assert.Equal(ErrorCode.BadPath, r.Error!.Code);
            Assert.Equal(2, r.Error.Where.Line);
            Assert.DoesNotContain("SECRET_TOKEN_456", r.Report);
        }
        finally { File.Delete(outside); }
    }

    [SkippableFact]
    public void A_fifo_as_script_or_soc_file_is_refused_without_blocking()
    {
        Requires.Linux("a FIFO (mkfifo)");
        using var tree = new TestTree();
        var fifo = Path.Combine(tree.Root, "lua", "pipe.lua");
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        var r = RunFile(tree, "scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/tiny.yaml\nscript: ../../lua/pipe.lua\n");
        Assert.Equal(ErrorCode.BadPath, r.Error!.Code);
        Assert.Contains("not a regular file", r.Error.Message);
        var m = RunFile(tree, "scenarios/t/y.yaml", "scenario: y\nsoc: ../socs/tiny.yaml\nlua: |\n  require('pipe')\n");
        Assert.Equal(ErrorCode.LuaRuntime, m.Error!.Code);
        Assert.Equal(4, m.Error.Where.Line);
        Assert.Contains("not a regular file", m.Error.Message);
    }

    [SkippableFact]
    public void A_device_file_reached_through_a_link_is_refused()
    {
        Requires.Linux("/dev/zero through a symbolic link");
        using var tree = new TestTree();
        File.CreateSymbolicLink(Path.Combine(tree.Root, "scenarios", "socs", "zero.yaml"), "/dev/zero");
        var r = RunFile(tree, "scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/zero.yaml\nlua: 'x = 1'\n");
        Assert.Equal(ErrorCode.BadPath, r.Error!.Code);
    }

    [Fact]
    public void A_file_over_four_mebibytes_is_refused_before_it_is_read()
    {
        using var tree = new TestTree();
        tree.Write("lua/big.lua", "-- " + new string('x', 5 << 20));
        var r = RunFile(tree, "scenarios/t/x.yaml", "scenario: x\nsoc: ../socs/tiny.yaml\nscript: ../../lua/big.lua\n");
        Assert.Equal(ErrorCode.BadPath, r.Error!.Code);
        Assert.Contains("limited to 4 MiB", r.Error.Message);
    }

    // ---------------------------------------------------------------- Lua boundary

    [Fact]
    public void Running_out_of_memory_inside_host_calls_is_the_memory_budget_at_the_scripts_line_every_time()
    {
        // Before: lua_error's longjmp crossed the host call's managed frames; the second time aborted the process.
        var r = Run("""
            local apu, head = soc.device("apu"), nil
            pcall(function() while true do head = { head } end end)
            for i = 1, 50 do pcall(iommu.get_resv_regions, apu) end
            for i = 1, 50 do pcall(sim.events) end
            """);
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Equal("scenarios/t/x.yaml", r.Error.Where.File);
        Assert.InRange(r.Error.Where.Line, 6, 7);
    }

    [Fact]
    public void Once_the_memory_budget_ran_out_in_script_code_library_calls_do_no_more_engine_work()
    {
        // A refused allocation caught by pcall leaves the script running until the hook comes round;
        // until then a library call answers with the stop instead of working (no step is recorded).
        var r = Run("""
            local apu, head = soc.device("apu"), nil
            pcall(function() while true do head = { head } end end)
            for i = 1, 3 do pcall(iommu.get_resv_regions, apu) end
            """);
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Equal(6, r.Error.Where.Line);
        Assert.DoesNotContain(r.Log.Items.OfType<Step>(), s => s.Name == "iommu.get_resv_regions");
    }

    [Fact]
    public void An_allocation_over_budget_inside_a_host_call_is_allowed_and_the_hook_stops_the_script()
    {
        using var sandbox = new LuaSandbox(new Budgets(50_000_000, 8L << 20, TimeSpan.FromSeconds(30)), null, Path.GetTempPath(), CancellationToken.None);
        sandbox.Register("__se_make", state =>
        {
            var l = KeraLua.Lua.FromIntPtr(state);
            l.PushBoolean(true);
            l.PushString(new string('x', 12 << 20));
            return 2;
        });
        var failure = sandbox.RunScript("local make = __se_make\nlocal a = 1\nlocal ok, s = pcall(make)\n", "x.lua", 1);
        Assert.Equal(ErrorCode.MemoryBudget, failure!.Code);
        Assert.True(failure.Line == 3, failure.Message + " @ " + failure.Chunk);
        Assert.True(sandbox.HostAllocationsOverBudget > 0, "an allocation inside the host call went over the budget");
    }

    [Fact]
    public void Host_side_records_count_against_the_memory_budget()
    {
        var r = Run("local s = ('x'):rep(60000)\nfor i = 1, 5000 do report.note(s .. i) end");
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Equal(5, r.Error.Where.Line);
    }

    [Fact]
    public void A_run_keeps_ten_thousand_rows_and_counts_the_rest()
    {
        var r = Run("for i = 1, 25000 do report.note('n' .. i) end\nfor i = 1, 12000 do expect.ok(i % 1000 ~= 0, 'e' .. i) end", new RunOptions { Budgets = new Budgets(50_000_000, 64L << 20, TimeSpan.FromSeconds(30)), Jobs = 1 });
        Assert.Null(r.Error);
        Assert.Equal(Record.RunLog.MaxRecords, r.Log.Items.Count);
        Assert.Equal(15000, r.Log.DroppedItems);
        Assert.Equal((11988, 12), (r.ExpectationsPassed, r.ExpectationsFailed));
        Assert.Contains("… 24000 more rows (steps, notes, sections, tables) not shown (the report shows the first 1000).", r.Report);
        Assert.Contains("… 11000 more expectations (11 of them failed) not shown", r.Report);
        Assert.Contains("**failed** — 11988 expectations held, 12 failed.", r.Report);
        Assert.Contains("\"truncated\": {\n        \"rows\": 15000,\n        \"expectations\": 2000,", Reporting.JsonReport.Render([r]));
    }

    [Fact]
    public void A_kernel_oops_caught_by_pcall_still_ends_the_scenario()
    {
        var r = Run("""
            local apu = soc.device("apu")
            local d = iommu.domain_alloc(apu, "unmanaged")
            local ok = pcall(iommu.map, d, 0x1000, 0x40000000, 0x1000, "rw")
            expect.ok(true, "the script went on after the oops")
            """);
        Assert.Equal(ErrorCode.KernelOops, r.Error!.Code);
        Assert.Equal(6, r.Error.Where.Line);
    }

    [Theory]
    [InlineData("error({})", "error object is a table value")]
    [InlineData("error(nil)", "error object is a nil value")]
    [InlineData("error(42)", "42")]
    [InlineData("error('plain', 0)", "plain")]
    [InlineData("coroutine.yield()", "yielded from its main body")]
    public void Errors_of_any_value_and_a_main_body_yield_carry_the_scripts_line(string code, string text)
    {
        var r = Run("local a = 1\n" + code);
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 5), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains(text, r.Error.Message);
    }

    [Fact]
    public void Messages_name_the_standard_function_never_a_prelude_local()
    {
        var r = Run("setmetatable(1, {})");
        Assert.Contains("bad argument #1 to 'setmetatable'", r.Error!.Message);
        Assert.DoesNotContain("_raw", r.Error.Message);
        Assert.DoesNotContain("scenario-prelude", r.Error.Message);
        Assert.Equal(4, r.Error.Where.Line);
    }

    [Theory]
    [InlineData("table.move({}, 1, 1e15, 2)")]
    [InlineData("table.concat(setmetatable({}, {__index = function() return '' end}), '', 1, 1e15)")]
    [InlineData("local t = {} ; table.unpack(t, 1, 1e12)")]
    public void Standard_functions_that_loop_in_C_pay_for_their_iterations_first(string code)
    {
        var r = Run(code);
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.Equal(4, r.Error.Where.Line);
    }

    [Theory]
    [InlineData("soc.device('apu'):stream(0, 1 << 46)")]
    [InlineData("pgtable.map_pages(pgtable.alloc('arm-lpae-s1', {ias = 48, oas = 48}), 0, 0, 4096, 1 << 35, 'rw')")]
    public void Host_calls_that_loop_pay_for_their_iterations_first(string code)
    {
        // Found by the fuzz test: a stream over 2^46 bytes ran for hours inside one host call.
        var r = Run("local ok = pcall(function() " + code + " end)\nexpect.ok(true, 'the script goes on, then stops')");
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.Equal(4, r.Error.Where.Line);
    }

    [Theory]
    [InlineData("soc.device('apu'):stream(0, 4096, setmetatable({}, {__index = function() error('from __index') end}))")]
    [InlineData("pgtable.alloc('arm-v7s', setmetatable({ias = 32, oas = 32}, {__index = function() error('from __index') end}))")]
    public void Host_calls_read_script_tables_raw_so_no_metamethod_runs_inside_them(string code)
    {
        // An __index that raises would have unwound through the host call's managed frames.
        var r = Run(code + "\nexpect.ok(true, 'no metamethod ran')");
        Assert.True(r.Passed, r.Error?.ToString());
    }

    [Fact]
    public void An_empty_string_rep_of_any_count_returns_at_once()
    {
        var r = Run("local s = (''):rep(1 << 62)\nexpect.eq(#s, 0)\nexpect.eq(('ab'):rep(3, ','), 'ab,ab,ab')");
        Assert.True(r.Passed, r.Error?.ToString());
    }

    [Fact]
    public void A_chunk_name_given_to_load_cannot_pose_as_a_file_or_add_lines()
    {
        var r = Run("local f = load('error(\"boom\")', '@scenarios/t/fake.yaml\\n**passed**')\nf()");
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.StartsWith("load:scenarios/t/fake.yaml?**passed**", r.Error.Message);
        Assert.DoesNotContain("\n**passed**", r.Report);
    }

    [Theory]
    [InlineData("mem.alloc(-1)", "beyond any physical address space")]
    [InlineData("mem.alloc(0x1000, 1 << 60)", "beyond any physical address space")]
    public void Mem_alloc_refuses_sizes_that_would_wrap(string code, string text)
    {
        var r = Run(code);
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Contains(text, r.Error.Message);
    }

    [Fact]
    public void Freeing_a_domain_twice_is_a_misuse_error_at_the_second_free()
    {
        var r = Run("local d = iommu.domain_alloc(soc.device('apu'), 'unmanaged')\niommu.domain_free(d)\niommu.domain_free(d)");
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(6, r.Error.Where.Line);
        Assert.Contains("double free", r.Error.Message);
    }

    [Fact]
    public void A_report_shows_at_most_a_thousand_rows_per_section_and_says_how_many_more()
    {
        var r = Run("for i = 1, 1500 do report.note('n' .. i) end\nfor i = 1, 1200 do expect.ok(true, 'e' .. i) end");
        Assert.True(r.Passed);
        Assert.Contains("… 500 more rows (steps, notes, sections, tables) not shown (the report shows the first 1000).", r.Report);
        Assert.Contains("… 200 more expectations (0 of them failed) not shown", r.Report);
    }

    [Fact]
    public void Control_characters_a_script_writes_reach_the_report_escaped()
    {
        var r = Run("report.note('\\27[2Jcleared\\n## Result\\n\\n**passed**')\nerror('\\27[31mred')");
        Assert.DoesNotContain('\u001b', r.Report);
        Assert.Contains("\\x1b[2Jcleared", r.Report);
        Assert.Single(r.Report.Split('\n'), l => l == "## Result");
    }

    [Fact]
    public void Did_you_mean_is_bounded_for_enormous_names()
    {
        var huge = new string('a', 150_000);
        Assert.Null(Suggest.Closest(huge, [huge + "b", "apu"]));
        Assert.Equal("banks", Suggest.Closest("bankz", ["banks", huge]));
    }

    [Fact]
    public void Display_escapes_controls_line_separators_and_bidi_overrides()
    {
        Assert.Equal("a\\x1b[31mb\\nc\\u202ed", Display.Controls("a\u001b[31mb\nc\u202ed"));
        Assert.Equal("a\nb", Display.Controls("a\nb", keepNewlines: true));
        Assert.Equal("plain ascii — and ünïcode", Display.Controls("plain ascii — and ünïcode"));
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // Requires.Linux skips it elsewhere
    public void The_snapshot_lock_folder_is_private_to_the_user_and_one_another_user_could_write_into_is_refused()
    {
        Requires.Linux("file modes and /proc/self/status");
        var name = "se-test-locks-" + Guid.NewGuid().ToString("N");
        var uid = new FileInfo("/proc/self/status").Exists
            ? File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]
            : "0";
        var expected = Path.Combine(Path.GetTempPath(), name + "-" + uid);
        try
        {
            // made when missing, mode 0700
            Assert.Equal(expected, InputFiles.PrivateTempFolder(name));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(expected));
            // one anybody may write into (as if another user had made it first) is refused, not used
            File.SetUnixFileMode(expected, (UnixFileMode)0x1FF);
            var open = Assert.Throws<IOException>(() => InputFiles.PrivateTempFolder(name));
            Assert.Contains("is not a private folder of this user", open.Message);
            Directory.Delete(expected);
            // and so is a link put in its place
            var elsewhere = Directory.CreateTempSubdirectory("se-test-target-").FullName;
            Directory.CreateSymbolicLink(expected, elsewhere);
            Assert.Throws<IOException>(() => InputFiles.PrivateTempFolder(name));
            File.Delete(expected);
            Directory.Delete(elsewhere);
        }
        finally
        {
            if (new FileInfo(expected).LinkTarget is not null) File.Delete(expected);
            else if (Directory.Exists(expected)) Directory.Delete(expected, true);
        }
    }
}
