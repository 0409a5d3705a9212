using System.Text.RegularExpressions;
using ScenarioEngine.Config;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>
/// Every error code a doc names is the one the engine emits for the case it names there. Each place
/// (a table row, or a paragraph, of README.md and docs/*.md) that names codes is bound below to the
/// cases it describes, by a phrase of that place; each case is run through the engine (or, where a
/// case needs a dying process or an engine bug, read from the code the engine gives it, as the named
/// tests exercise it), and the codes the place names must be the codes those cases give. A place that
/// names a code no claim explains fails the test, and so does a claim whose phrase no longer occurs.
/// </summary>
public class DocErrorCodesTests
{
    private const string TinySoc = "soc: x\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\n";

    /// <summary>The code a SoC document gives when loaded ("none" when it loads).</summary>
    private static string Soc(string yaml)
    {
        try { SocLoader.Load(YamlTree.Parse(yaml, "x.yaml"), "x.yaml"); return "none"; }
        catch (ScenarioLoadException e) { return ErrorCodes.Format(e.Error.Code); }
    }

    private const string M4u = "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 10 } ] }\n";

    /// <summary>The code a scenario gives when run in this process (tests/Shared/TestTree.cs's SoC beside it); "none" when it passes.</summary>
    private static string Run(string scenarioRest, Budgets? budgets = null, string? soc = null)
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", soc ?? TestTree.Soc);
        var path = tree.Write("scenarios/t/case.yaml", "scenario: case\n" + scenarioRest);
        var r = ScenarioRunner.Run(path, new RunOptions { Jobs = 1, Budgets = budgets ?? Budgets.Default });
        return r.Error is { } e ? ErrorCodes.Format(e.Code) : "none";
    }

    private static string Lua(string lua, Budgets? budgets = null, string? soc = null) =>
        Run("soc: ../socs/tiny.yaml\nlua: |\n" + string.Join("\n", lua.Split('\n').Select(l => "  " + l)) + "\n", budgets, soc);

    /// <summary>The first SEnnnn the command printed ("none" without one).</summary>
    private static string Cli(params string[] args)
    {
        var (_, output, err) = CliTests.Cli(args);
        var m = Regex.Match(output + err, @"SE\d{4}");
        return m.Success ? m.Value : "none";
    }

    /// <summary>Each case by name, run once.</summary>
    private static readonly Dictionary<string, Func<string>> Cases = new()
    {
        ["yaml-syntax"] = () => Soc("soc: x\nmemory: [ { name: dram\n"),
        ["duplicate-key"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, name: m4u, driver: mediatek }\n"),
        ["unknown-key"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek, bankz: 1 }\n"),
        ["wrong-type"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek, banks: [1] }\n"),
        ["missing-key"] = () => Soc(TinySoc + "iommus:\n  - { driver: mediatek }\n"),
        ["bad-number"] = () => Soc("soc: x\nmemory:\n  - { name: dram, base: 0x4000_00zz, size: 1GiB }\n"),
        ["bad-value"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek, flags: [reset-axy] }\n"),
        ["unknown-fix"] = () => Run("soc: ../socs/tiny.yaml\nkernel: { fixes: [deadbeefdead] }\nlua: 'x = 1'\n"),
        ["file-not-found"] = () => Run("soc: ../socs/nope.yaml\nlua: 'x = 1'\n"),
        ["unknown-reference"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4v, larb: 0, port: 1 } ] }\n"),
        ["overlap"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek, regions: [ { name: a, base: 0x0, size: 0x2000_0000 }, { name: b, base: 0x1000_0000, size: 0x2000_0000 } ] }\n"),
        ["out-of-range"] = () => Soc(TinySoc + "iommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 40 } ] }\n"),
        ["duplicate-name"] = () => Soc(TinySoc + M4u + "  - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 11 } ] }\n"),
        ["pci-no-bridge-to-bus"] = () => Soc(TinySoc + "pci:\n  - name: pcie\n    functions:\n      - { bdf: \"05:00.0\" }\n"),
        ["planned-driver"] = () => Soc(TinySoc + "iommus:\n  - { name: dart, driver: apple-dart }\n"),
        ["path-outside"] = () => Run("soc: ../socs/tiny.yaml\nscript: /etc/passwd\n"),
        ["not-a-device-tree"] = () =>
        {
            using var tree = new TestTree();
            var blob = tree.Write("kernel.img", "MZ this is not a flattened device tree\n");
            return Cli("import", "dtb", blob);
        },
        ["advise-unknown-device"] = () => Cli("advise", "--soc", Path.Combine(RepoRoot.Path, "scenarios", "socs", "mt8365.yaml"), "--device", "npu"),
        ["unknown-api-name"] = () =>
        {
            using var tree = new TestTree();
            tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
            var path = tree.Write("scenarios/t/typo.yaml", "scenario: typo\nsoc: ../socs/tiny.yaml\nlua: |\n  iommu.domain_aloc(soc.device(\"apu\"), \"dma\")\n");
            return Cli("validate", path);
        },
        ["lua-syntax"] = () => Lua("local = 1"),
        ["lua-runtime"] = () => Lua("soc.device(\"apx\")"),
        ["instructions"] = () => Lua("while true do end", Budgets.Default with { Instructions = 100_000 }),
        ["memory"] = () => Lua("local t = {}\nwhile true do t[#t + 1] = string.rep(\"x\", 1 << 20) end", Budgets.Default with { MemoryBytes = 32L << 20 }),
        ["wall"] = () =>
        {
            // only the wall clock ends a script stuck inside one C function; a worker process runs it, so nothing is left spinning here
            using var tree = new TestTree();
            tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
            var path = tree.Write("scenarios/t/stuck.yaml", "scenario: stuck\nsoc: ../socs/tiny.yaml\nlua: |\n  local s = string.rep(\"a\", 40000)\n  s:find(string.rep(\"a*\", 30) .. \"b\")\n");
            return Cli("run", path, "--max-seconds", "0.5");
        },
        ["oops"] = () => Lua("local d = iommu.domain_alloc(soc.device(\"apu\"), \"unmanaged\")\niommu.map(d, 0x1000, 0x40000000, 0x1000, \"rw\")"),
        ["asid-oops"] = () => Lua("for i = 1, 300 do iommu.domain_alloc(soc.device(\"gpu\"), \"unmanaged\") end", null,
            TinySoc + "iommus:\n  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16, asid-bits: 8 }\ndevices:\n  - { name: gpu, ids: [ { iommu: smmu, stream: 0x400 } ] }\n"),
        ["not-modelled"] = () => Lua("soc.device(\"display\"):read(0x1000)", null,
            TestTree.Soc + "\n  - { name: isp, ids: [ { iommu: m4u, larb: 2, port: 2 }, { iommu: m4u, larb: 3, port: 1 } ] }\n"),
        ["snapshot-folder-in-the-way"] = () =>
        {
            using var tree = new TestTree();
            var path = tree.Scenario("case", "x = 1");
            Directory.CreateDirectory(Path.Combine(tree.Root, "snapshots", "t", "case.received.md"));
            return Cli("run", path, "--jobs", "1");
        },
        // A dying worker, a worker killed for its wall clock or its memory cap, a cancelled run and an
        // engine bug are run by WorkerPoolTests, WatchServiceTests and HardeningTests; here, the code the
        // engine gives each of those cases.
        ["worker-died"] = () => ErrorCodes.Format(ErrorCode.WorkerDied),
        ["worker-wall"] = () => ErrorCodes.Format(ErrorCode.TimeBudget),
        ["worker-memory-cap"] = () => ErrorCodes.Format(ErrorCode.MemoryBudget),
        ["cancelled"] = () => ErrorCodes.Format(ErrorCode.Cancelled),
        ["engine-error"] = () => ErrorCodes.Format(ErrorCode.EngineError),
    };

    /// <summary>(doc, a phrase of the place, the case it names there).</summary>
    private static readonly (string Doc, string Phrase, string Case)[] Claims =
    [
        // errors.md: each row's example (or, without one, its meaning) is run
        ("docs/errors.md", "`memory: [ { name: dram` (unclosed)", "yaml-syntax"),
        ("docs/errors.md", "`name: m4u` twice in one IOMMU", "duplicate-key"),
        ("docs/errors.md", "`bankz: 1`", "unknown-key"),
        ("docs/errors.md", "`banks: [1]`", "wrong-type"),
        ("docs/errors.md", "an IOMMU without `name`", "missing-key"),
        ("docs/errors.md", "`base: 0x4000_00zz`", "bad-number"),
        ("docs/errors.md", "`flags: [reset-axy]`", "bad-value"),
        ("docs/errors.md", "`soc: ../socs/nope.yaml`", "file-not-found"),
        ("docs/errors.md", "`ids: [ { iommu: m4v, … } ]`", "unknown-reference"),
        ("docs/errors.md", "region `b` [0x10000000, 0x2fffffff] against `a`", "overlap"),
        ("docs/errors.md", "`port: 40` (valid 0..31)", "out-of-range"),
        ("docs/errors.md", "two devices named `apu`", "duplicate-name"),
        ("docs/errors.md", "`driver: apple-dart`", "planned-driver"),
        ("docs/errors.md", "`{ bdf: \"05:00.0\" }` with no bridge whose `secondary` is 0x05", "pci-no-bridge-to-bus"),
        ("docs/errors.md", "`script: /etc/passwd`", "path-outside"),
        ("docs/errors.md", "`scenario import dtb kernel.img`", "not-a-device-tree"),
        ("docs/errors.md", "--device npu`", "advise-unknown-device"),
        ("docs/errors.md", "`scenario validate` found a call to a name the scenario library lacks", "unknown-api-name"),
        ("docs/errors.md", "`local = 1`", "lua-syntax"),
        ("docs/errors.md", "`soc.device(\"apx\")`", "lua-runtime"),
        ("docs/errors.md", "`while true do end`", "instructions"),
        ("docs/errors.md", "`t[#t+1] = string.rep(\"x\", 1 << 20)` forever", "memory"),
        ("docs/errors.md", "the wall-clock backstop ran out", "wall"),
        ("docs/errors.md", "| as SE2003 |", "instructions"),
        ("docs/errors.md", "`iommu.map` on a MediaTek domain that was never attached", "oops"),
        ("docs/errors.md", "the run was cancelled", "cancelled"),
        ("docs/errors.md", "the worker process running the scenario died", "worker-died"),
        ("docs/errors.md", "an internal engine error", "engine-error"),
        ("docs/errors.md", "a folder where the file belongs", "snapshot-folder-in-the-way"),
        // docs/cli.md
        ("docs/cli.md", "is found too, with the nearest names", "unknown-api-name"),
        ("docs/cli.md", "the Lua instruction budget per scenario", "instructions"),
        ("docs/cli.md", "the Lua memory budget per scenario", "memory"),
        ("docs/cli.md", "a scenario may also grow its worker process by at most this plus 512 MiB of host memory", "worker-memory-cap"),
        ("docs/cli.md", "the wall-clock backstop per scenario", "wall"),
        ("docs/cli.md", "a worker that dies", "worker-died"),
        ("docs/cli.md", "runs past its wall clock", "worker-wall"),
        ("docs/cli.md", "grows past its memory cap", "worker-memory-cap"),
        ("docs/cli.md", "a linked folder is a failed entry", "path-outside"),
        ("docs/cli.md", "a device or window the SoC does not have", "advise-unknown-device"),
        ("docs/cli.md", "A malformed blob is exit 1 with the byte offset that is wrong", "not-a-device-tree"),
        // docs/lua-api.md
        ("docs/lua-api.md", "a worker that crashes", "worker-died"),
        ("docs/lua-api.md", "outlives the wall clock by 10 s", "worker-wall"),
        ("docs/lua-api.md", "grows past its memory cap (the memory budget", "worker-memory-cap"),
        ("docs/lua-api.md", "finds such `lib.name` calls before anything runs", "unknown-api-name"),
        ("docs/lua-api.md", "**Instructions**", "instructions"),
        ("docs/lua-api.md", "**Memory**", "memory"),
        ("docs/lua-api.md", "**Wall clock**", "wall"),
        ("docs/lua-api.md", "**A kernel oops**", "oops"),
        // the rest
        ("docs/yaml-reference.md", "Unknown keys are errors", "unknown-key"),
        ("docs/service.md", "An error inside the engine fails that scenario", "engine-error"),
        ("docs/service.md", "their workers are killed", "cancelled"),
        ("docs/ci.md", "a folder where the received file belongs", "snapshot-folder-in-the-way"),
        ("docs/your-board.md", "A blob that is not a device tree", "not-a-device-tree"),
        ("docs/modelled.md", "an unknown id is", "unknown-fix"),
        ("docs/modelled.md", "When no ASID is left", "asid-oops"),
        ("docs/modelled.md", "an access there stops the script at its line saying so", "not-modelled"),
        ("docs/modelled.md", "an access stops the script at its line with the reason", "not-modelled"),
        ("docs/tutorial.md", "unknown key 'kernal'", "unknown-key"),
        ("docs/tutorial.md", "no device named 'apuu'", "lua-runtime"),
    ];

    /// <summary>The places of a Markdown text: each table row and each line of a code block alone, else paragraphs.</summary>
    private static IEnumerable<string> Places(string text)
    {
        var paragraph = new List<string>();
        bool fence = false;
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) { fence = !fence; continue; }
            if (fence || line.StartsWith('|') || line.Length == 0 || line.StartsWith('#'))
            {
                if (paragraph.Count > 0) yield return string.Join(" ", paragraph);
                paragraph.Clear();
                if (line.Length > 0) yield return line;
                continue;
            }
            paragraph.Add(line);
        }
        if (paragraph.Count > 0) yield return string.Join(" ", paragraph);
    }

    [Fact]
    public void Every_error_code_a_doc_names_is_the_one_the_engine_emits_for_the_case_it_names()
    {
        var docs = Directory.GetFiles(Path.Combine(RepoRoot.Path, "docs"), "*.md").Append(Path.Combine(RepoRoot.Path, "README.md"))
            .ToDictionary(f => Path.GetRelativePath(RepoRoot.Path, f).Replace('\\', '/'), File.ReadAllText);
        var emitted = new Dictionary<string, string>();
        string Emit(string name) => emitted.TryGetValue(name, out var c) ? c : emitted[name] = Cases[name]();
        var used = new HashSet<int>();
        var wrong = new List<string>();
        foreach (var (doc, text) in docs.OrderBy(d => d.Key, StringComparer.Ordinal))
            foreach (var place in Places(text))
            {
                var named = Regex.Matches(place, @"\bSE\d{4}\b").Select(m => m.Value).Order(StringComparer.Ordinal).ToList();
                if (named.Count == 0) continue;
                var claims = Enumerable.Range(0, Claims.Length).Where(i => Claims[i].Doc == doc && place.Contains(Claims[i].Phrase, StringComparison.Ordinal)).ToList();
                used.UnionWith(claims);
                var expected = claims.Select(i => $"{Emit(Claims[i].Case)}").Order(StringComparer.Ordinal).ToList();
                if (!named.SequenceEqual(expected))
                    wrong.Add($"{doc}: names {string.Join(", ", named)} where the engine gives {(expected.Count == 0 ? "nothing this test knows (add a claim)" : string.Join(", ", claims.Select(i => $"{Emit(Claims[i].Case)} ({Claims[i].Case})")))}:\n    {Model.Display.Clip(place, 240)}");
            }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Empty(Enumerable.Range(0, Claims.Length).Where(i => !used.Contains(i)).Select(i => $"{Claims[i].Doc}: no place that names a code holds \"{Claims[i].Phrase}\" any more"));
        // every case the claims name gives a code: a case that loads or passes is a broken case, not a doc fact
        Assert.Empty(emitted.Where(e => e.Value == "none").Select(e => $"case {e.Key} gave no error"));
    }

    [Fact]
    public void No_doc_says_a_modelled_driver_family_is_not_modelled()
    {
        var aliases = new Dictionary<string, string[]> { ["arm-smmu-v3"] = ["SMMUv3", "SMMU v3"], ["arm-smmu"] = ["SMMU v2", "SMMUv2"], ["mediatek"] = ["MediaTek"] };
        var names = Drivers.Families.All.Where(f => !f.Name.StartsWith("toy", StringComparison.Ordinal))
            .SelectMany(f => aliases.GetValueOrDefault(f.Name, []).Append(f.Name)).ToList();
        Assert.Contains("SMMUv3", names);
        var claim = new Regex($@"(?:{string.Join("|", names.Select(Regex.Escape))})[^.|\n]{{0,40}}(?:family is not modelled|is not modelled yet|not modelled \(yet\))");
        var found = Directory.GetFiles(Path.Combine(RepoRoot.Path, "docs"), "*.md").Append(Path.Combine(RepoRoot.Path, "README.md"))
            .SelectMany(f => claim.Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}"));
        Assert.Empty(found);
    }
}
