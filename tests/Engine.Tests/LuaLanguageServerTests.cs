using System.Diagnostics;
using System.Text.Json;

namespace ScenarioEngine.Tests;

/// <summary>
/// The shipped scripts under lua/ check clean with lua-language-server (LuaLS) under the project's own
/// `.luarc.json` and lua/types/scenario.lua, at the level editors flag (`--checklevel=Warning`); and
/// that configuration still reports the mistakes it should (an unknown API name or field, a handle of
/// the wrong kind, a number for a prot string, an argument too many), so the clean check is not a silenced
/// one. LuaLS is found as $LUA_LANGUAGE_SERVER or `lua-language-server` on PATH. No package registry
/// this project's CI reaches carries it, so CI cannot install it: without it these tests are reported
/// as skipped, with that reason (docs/lua-api.md, "Editors").
/// </summary>
public class LuaLanguageServerTests
{
    private static string? Server()
    {
        var env = Environment.GetEnvironmentVariable("LUA_LANGUAGE_SERVER");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "lua-language-server");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private const string Missing =
        "lua-language-server is not installed: no package registry this project's CI reaches carries it, so CI cannot " +
        "install it; set LUA_LANGUAGE_SERVER to its bin/lua-language-server (or put it on PATH) to run this check";

    public sealed record Problem(string File, int Line, string Code, string Message)
    {
        public override string ToString() => $"{File}:{Line}: {Code}: {Message}";
    }

    /// <summary>Runs `lua-language-server --check` on <paramref name="workspace"/> and returns its problems at Warning and above.</summary>
    private static List<Problem> Check(string server, string workspace)
    {
        var log = Directory.CreateTempSubdirectory("luals-");
        try
        {
            var psi = new ProcessStartInfo(server)
            {
                WorkingDirectory = workspace,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { "--check=.", "--checklevel=Warning", "--check_format=json", "--logpath=" + log.FullName, "--metapath=" + Path.Combine(log.FullName, "meta") })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            // a safety net only: the check takes seconds
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "lua-language-server did not finish in 5 minutes");
            var json = Path.Combine(log.FullName, "check.json");
            Assert.True(File.Exists(json), $"lua-language-server wrote no check.json (exit {p.ExitCode}): {stdout.Result}{stderr.Result}");
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var problems = new List<Problem>();
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return problems; // `[]` when clean
            foreach (var file in doc.RootElement.EnumerateObject())
            {
                var path = Uri.UnescapeDataString(new Uri(file.Name).AbsolutePath);
                var rel = Path.GetRelativePath(workspace, path).Replace('\\', '/');
                foreach (var d in file.Value.EnumerateArray())
                    problems.Add(new Problem(rel, d.GetProperty("range").GetProperty("start").GetProperty("line").GetInt32() + 1,
                        d.GetProperty("code").GetString() ?? "", d.GetProperty("message").GetString()!.Split('\n')[0]));
            }
            return problems.OrderBy(x => x.File, StringComparer.Ordinal).ThenBy(x => x.Line).ToList();
        }
        finally
        {
            log.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public void The_shipped_scripts_check_clean_with_the_projects_luarc()
    {
        var server = Server();
        Skip.If(server is null, Missing);
        var problems = Check(server!, RepoRoot.Path);
        Assert.True(problems.Count == 0,
            $"lua-language-server reports {problems.Count} problem(s) in the shipped scripts:\n  " + string.Join("\n  ", problems));
    }

    /// <summary>A script with one mistake per line, in a workspace with the project's .luarc.json, types and lib/.</summary>
    private const string Mistakes = """
        local cmdq = require("lib.cmdq")
        local dev = soc.device("apu")
        local dom = iommu.domain_aloc(dev, "dma")
        iommu.attach_device(dev, dom)
        iommu.map(dom, 0x1000, 0x1000, 0x1000, 3)
        local g = dev.grop
        expect.eq(dev.group.owners, 1)
        iommu.domain_alloc(dev, "dma", 3)
        local ok = dma.set_mask(dev, 32, "both")
        ok.x = 1
        report.nte(cmdq.summary(soc.iommu("m4u"):commands()))
        """;

    [SkippableFact]
    public void The_configuration_still_reports_real_type_errors()
    {
        var server = Server();
        Skip.If(server is null, Missing);
        var ws = Directory.CreateTempSubdirectory("luals-ws-");
        try
        {
            File.Copy(Path.Combine(RepoRoot.Path, ".luarc.json"), Path.Combine(ws.FullName, ".luarc.json"));
            Directory.CreateDirectory(Path.Combine(ws.FullName, "lua", "types"));
            Directory.CreateDirectory(Path.Combine(ws.FullName, "lua", "lib"));
            File.Copy(LuaAnnotations.Path, Path.Combine(ws.FullName, "lua", "types", "scenario.lua"));
            File.Copy(Path.Combine(RepoRoot.Path, "lua", "lib", "cmdq.lua"), Path.Combine(ws.FullName, "lua", "lib", "cmdq.lua"));
            File.WriteAllText(Path.Combine(ws.FullName, "lua", "mistakes.lua"), Mistakes + "\n");
            var found = Check(server!, ws.FullName).Where(p => p.File == "lua/mistakes.lua").Select(p => $"{p.Line} {p.Code}").ToHashSet();
            string[] want =
            [
                "3 undefined-field",      // iommu.domain_aloc: a typo in an API name
                "4 param-type-mismatch",  // a Device where the Domain goes
                "5 param-type-mismatch",  // a number for the prot string
                "6 undefined-field",      // dev.grop
                "7 undefined-field",      // a Group has no field owners
                "8 redundant-parameter",  // one argument too many
                "10 inject-field",        // a field added to a result table
                "11 undefined-field",     // report.nte
            ];
            var missing = want.Where(w => !found.Contains(w)).ToList();
            Assert.True(missing.Count == 0, "not reported: " + string.Join(", ", missing) + "\nreported: " + string.Join(", ", found.Order()));
        }
        finally
        {
            ws.Delete(recursive: true);
        }
    }
}
