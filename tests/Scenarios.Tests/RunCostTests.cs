using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>What a run does once instead of once per scenario (docs/performance.md, a scenario's fixed cost), and that doing so changes no result.</summary>
public class RunCostTests
{
    private const string Soc = "soc: once\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: m4u, compatible: \"mediatek,mt8365-m4u\" }\ndevices:\n  - name: apu\n    ids: [ { iommu: m4u, larb: 0, port: 10 } ]\n";

    [Fact]
    public void A_SoC_file_is_parsed_once_while_its_text_is_unchanged_and_again_after_an_edit()
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/once.yaml", Soc);
        var first = SocLoader.LoadFile(path, "scenarios/socs/once.yaml");
        Assert.Same(first, SocLoader.LoadFile(path, "scenarios/socs/once.yaml"));
        File.WriteAllText(path, Soc.Replace("port: 10", "port: 11", StringComparison.Ordinal));
        var edited = SocLoader.LoadFile(path, "scenarios/socs/once.yaml");
        Assert.NotSame(first, edited);
        Assert.Equal(11, ((ScenarioEngine.Drivers.Mediatek.MtkPortId)edited.Devices[0].Ids[0]).Port);
        Assert.NotSame(edited, SocLoader.LoadFile(path, "socs/once.yaml")); // another display path: its own spans
    }

    [Fact]
    public void A_run_without_svgs_has_the_same_report_and_no_pictures_drawn_as_svg()
    {
        var path = Path.Combine(RepoRoot.Path, "scenarios", "seed", "own-region-dma.yaml");
        var with = ScenarioRunner.Run(path, new RunOptions { Jobs = 1 });
        var without = ScenarioRunner.Run(path, new RunOptions { Jobs = 1, Svgs = false });
        Assert.Equal(with.Report, without.Report);
        Assert.Equal(3, with.Svgs.Count);
        Assert.Empty(without.Svgs);
    }

    [Fact]
    public void Releasing_a_compared_results_bodies_keeps_its_verdict_counts_and_expectations()
    {
        var r = ScenarioRunner.Run(Path.Combine(RepoRoot.Path, "scenarios", "seed", "unmanaged-on-shared-bank.yaml"), new RunOptions { Jobs = 1 });
        var (passed, failed, expectations) = (r.ExpectationsPassed, r.ExpectationsFailed, r.Log.Expectations.Count);
        Assert.NotEmpty(r.Log.Items);
        r.ReleaseBodies();
        Assert.Equal("", r.Report);
        Assert.Empty(r.Log.Items);
        Assert.Equal((passed, failed, expectations), (r.ExpectationsPassed, r.ExpectationsFailed, r.Log.Expectations.Count));
        Assert.True(r.Passed);
    }

    [Fact]
    public void A_worker_request_carries_whether_to_draw_svgs_and_an_old_request_draws_them()
    {
        var request = new WorkerRequest("/x/s.yaml", null, ScenarioEngine.Scripting.Budgets.Default, Svgs: false);
        Assert.False(WorkerRequest.Parse(request.ToJson()).Svgs);
        Assert.True(WorkerRequest.Parse(request.ToJson().Replace(",\"svgs\":false", "", StringComparison.Ordinal)).Svgs);
    }
}

/// <summary>The environment of the processes the engine starts: the two-core tiering delay on one CPU, no PGO for workers, no inherited diagnostic port (docs/performance.md).</summary>
public class SingleCpuTieringTests
{
    [Fact]
    public void A_worker_is_started_with_the_single_cpu_delay_multiplier_at_1_unless_the_user_set_one()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("worker");
        var before = Environment.GetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier");
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier", null);
            WorkerPool.SingleCpuTiering(psi);
            Assert.Equal("1", psi.Environment["DOTNET_TC_DelaySingleProcMultiplier"]);

            Environment.SetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier", "4");
            var mine = new System.Diagnostics.ProcessStartInfo("worker");
            WorkerPool.SingleCpuTiering(mine);
            Assert.Equal("4", mine.Environment["DOTNET_TC_DelaySingleProcMultiplier"]); // inherited, not replaced
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier", before);
        }
    }

    [Fact]
    public void A_worker_is_started_without_tiered_pgo_and_with_a_small_gen0_budget_unless_the_user_set_them()
    {
        var before = Environment.GetEnvironmentVariable("DOTNET_TieredPGO");
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_TieredPGO", null);
            var psi = new System.Diagnostics.ProcessStartInfo("worker");
            WorkerPool.ShortScriptsProfile(psi);
            Assert.Equal("0", psi.Environment["DOTNET_TieredPGO"]);
            Assert.Equal("200000", psi.Environment["DOTNET_GCgen0size"]); // hex; no "0x", which NativeAOT would ignore

            Environment.SetEnvironmentVariable("DOTNET_TieredPGO", "1");
            var mine = new System.Diagnostics.ProcessStartInfo("worker");
            WorkerPool.ShortScriptsProfile(mine);
            Assert.Equal("1", mine.Environment["DOTNET_TieredPGO"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_TieredPGO", before);
        }
    }

    [Fact]
    public void A_worker_starts_without_the_runtimes_diagnostic_socket_and_debugger_pipes_unless_the_user_asked_for_diagnostics()
    {
        var before = Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics");
        try
        {
            Environment.SetEnvironmentVariable("DOTNET_EnableDiagnostics", null);
            var psi = new System.Diagnostics.ProcessStartInfo("worker");
            WorkerPool.NoDiagnosticFiles(psi);
            Assert.Equal("0", psi.Environment["DOTNET_EnableDiagnostics_IPC"]);
            Assert.Equal("0", psi.Environment["DOTNET_EnableDiagnostics_Debugger"]);

            Environment.SetEnvironmentVariable("DOTNET_EnableDiagnostics", "1");
            var mine = new System.Diagnostics.ProcessStartInfo("worker");
            WorkerPool.NoDiagnosticFiles(mine);
            Assert.False(mine.Environment.ContainsKey("DOTNET_EnableDiagnostics_IPC"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_EnableDiagnostics", before);
        }
    }

    [Fact]
    public void A_worker_does_not_inherit_the_diagnostic_port_a_tracer_gave_the_command()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("worker");
        psi.Environment["DOTNET_DiagnosticPorts"] = "/tmp/dotnet-trace.sock,suspend";
        psi.Environment["DOTNET_DefaultDiagnosticPortSuspend"] = "1";
        WorkerPool.NoInheritedDiagnosticPort(psi);
        Assert.False(psi.Environment.ContainsKey("DOTNET_DiagnosticPorts"));
        Assert.False(psi.Environment.ContainsKey("DOTNET_DefaultDiagnosticPortSuspend"));
    }
}
