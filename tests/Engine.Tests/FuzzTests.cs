using ScenarioEngine.Model;
using System.Globalization;
using System.Text;
using CsCheck;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// Fuzz tests of every parser and reader at the boundary: the YAML reader and both loaders on
/// generated and mutated documents, and every Lua library function on generated arguments. Nothing
/// may escape as anything but a located error with a stable code.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Tokens =
    [
        "soc", "scenario", "memory", "iommus", "devices", "name", "driver", "mediatek", "arm-smmu", "ids", "iommu", "larb", "port",
        "stream", "banks", "regions", "region-ports", "bank-ports", "reserved-memory", "iommu-addresses", "firmware", "boot", "params",
        "kernel", "lua", "script", "base", "size", "iova", "0x4000_0000", "1GiB", "4KiB", "-1", "99999999999999999999999", "0x", "[0-7, 10]",
        ":", ": ", "- ", "{", "}", "[", "]", ",", "&a", "*a", "&b", "*b", "!!str", "!!binary", "|", ">", "'", "\"", "#", "\n", "\n  ", "\n    ",
        "~", "null", "true", "false", "\t", "\u0000", "\u001b[2J", "\u202e", "ü", "%YAML 1.2\n", "---\n", "...\n", "? ", "<<: *a",
    ];

    private static readonly Gen<string> YamlText =
        Gen.OneOf<string>(Tokens).Array[0, 120].Select(parts => string.Concat(parts));

    private static readonly string[] Seeds = Directory.GetFiles(Path.Combine(RepoRoot.Path, "scenarios", "socs"), "*.yaml").Select(File.ReadAllText).ToArray();

    /// <summary>A shipped SoC file with some of its characters replaced, dropped or duplicated.</summary>
    private static readonly Gen<string> MutatedSoc =
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1_000_000], Gen.OneOf<string>(Tokens)).Array[1, 12])
           .Select((i, edits) =>
           {
               var s = new StringBuilder(Seeds[i]);
               foreach (var (kind, at, token) in edits)
               {
                   if (s.Length == 0) break;
                   int p = at % s.Length;
                   switch (kind)
                   {
                       case 0: s.Remove(p, Math.Min(1 + at % 7, s.Length - p)); break;
                       case 1: s.Insert(p, token); break;
                       case 2: s[p] = token.Length > 0 ? token[0] : ' '; break;
                       default: s.Insert(p, s.ToString(p, Math.Min(20, s.Length - p))); break;
                   }
               }
               return s.ToString();
           });

    private static void LoadSoc(string text)
    {
        try { SocLoader.Load(YamlTree.Parse(text, "f.yaml"), "f.yaml"); }
        catch (ScenarioLoadException e)
        {
            Assert.Equal("f.yaml", e.Error.Where.File);
            Assert.True(Enum.IsDefined(e.Error.Code));
        }
    }

    [Fact]
    public void The_SoC_loader_on_generated_token_soup_returns_a_SoC_or_a_located_error()
    {
        YamlText.Sample(LoadSoc, iter: 10000);
    }

    [Fact]
    public void The_SoC_loader_on_mutated_shipped_SoC_files_returns_a_SoC_or_a_located_error()
    {
        MutatedSoc.Sample(LoadSoc, iter: 10000);
    }

    [Fact]
    public void The_scenario_loader_on_generated_documents_fails_only_with_located_errors()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        var path = Path.Combine(tree.Root, "scenarios", "t", "x.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Gen.Select(YamlText, Gen.Bool).Sample((body, withHead) =>
        {
            File.WriteAllText(path, (withHead ? "scenario: x\nsoc: ../socs/tiny.yaml\n" : "") + body);
            try { ScenarioLoader.Load(path, ProjectLayout.For(path)); }
            catch (ScenarioLoadException e)
            {
                Assert.True(e.Error.Where.File.Length > 0);
                Assert.True(Enum.IsDefined(e.Error.Code));
            }
        }, iter: 1000, threads: 1);
    }

    // ---------------------------------------------------------------- Lua API argument readers

    private static readonly string[] Calls =
    [
        "soc.device", "soc.iommu", "soc.reserved", "soc.devices", "soc.groups",
        "iommu.domain_alloc", "iommu.domain_free", "iommu.attach_device", "iommu.detach_device", "iommu.attach_group", "iommu.detach_group",
        "iommu.group_claim_dma_owner", "iommu.group_release_dma_owner", "iommu.get_domain_for_dev", "iommu.map", "iommu.unmap",
        "iommu.device_claim_dma_owner", "iommu.device_release_dma_owner", "iommu.device_use_default_domain", "iommu.device_unuse_default_domain",
        "iommu.unmap_fast", "iommu.iotlb_sync", "iommu.flush_iotlb_all", "iommu.iova_to_phys", "iommu.get_resv_regions", "iommu.walk",
        "iommu.set_fault_handler", "mem.alloc", "mem.free", "mem.carveout", "sim.advance", "sim.events",
        "dma.set_mask", "dma.alloc_coherent", "dma.free_coherent", "dma.map_single", "dma.unmap_single", "dma.map_sg",
        "iova.init_domain", "iova.alloc", "iova.free", "iova.reserve", "iova.alloc_fast", "iova.free_fast", "iova.find", "iova.dump", "iova.state",
        "pgtable.alloc", "pgtable.map_pages", "pgtable.unmap_pages", "pgtable.iova_to_phys", "pgtable.walk",
        "report.note", "report.section", "report.mappings", "report.pagetable",
        "expect.eq", "expect.errno", "expect.inside", "expect.outside", "expect.fault",
        "apu.read", "apu.write", "apu.stream", "apu.boot_firmware",
    ];

    /// <summary>Lua expressions of every kind an argument reader may meet, handles among them.</summary>
    private static readonly Gen<string> LuaValue = Gen.OneOf<string>(
        Gen.OneOf<string>("nil", "true", "false", "0", "-1", "1", "4096", "0x40000000", "math.maxinteger", "math.mininteger", "1e308", "-1e308",
            "0/0", "1/0", "-1/0", "0.5", "2^53", "2^64", "''", "'rw'", "'r|priv'", "'x|y|z'", "'unmanaged'", "'dma-fq'", "'identity'", "'blocked'",
            "'arm-v7s'", "'arm-lpae-s1'", "'to_device'", "'apu'", "'display'", "'m4u'", "'fw'", "'code'", "'EINVAL'", "'16MiB'", "'0x1_0000'",
            "('z'):rep(70000)", "'\\0\\27[2J'", "{}", "{1, 2, 3}", "{{0x40000000, 4096}}", "{{pa = 1, len = 2}}", "{ias = 32, oas = 32}",
            "{ias = 99, quirks = {'nope', 1, {}}}", "setmetatable({}, {__index = function() return 1 end})", "function() return 0 end",
            "function() error('inside') end", "coroutine.create(function() end)",
            "apu", "apu.group", "dom", "dom2", "ops", "iovad", "soc.iommu('m4u')"),
        Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "0/0"),
        Gen.String[Gen.Char[' ', '~'], 0, 20].Select(s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'"));

    private static readonly Gen<string> Call =
        Gen.Select(Gen.OneOf<string>(Calls), LuaValue.Array[0, 6]).Select((f, args) =>
            f.StartsWith("apu.", StringComparison.Ordinal)
                ? $"probe('{f}', function() return apu:{f[4..]}({string.Join(", ", args)}) end)"
                : $"probe('{f}', function() return {f}({string.Join(", ", args)}) end)");

    private const string Prologue = """
        local apu = soc.device("apu")
        local dom = iommu.domain_alloc(apu, "unmanaged")
        local dom2 = apu.group.default_domain
        local ops = pgtable.alloc("arm-v7s", { ias = 32, oas = 32 })
        local iovad = iova.init_domain(4096, 1)
        local bugs = {}
        local function probe(name, f)
          local ok, err = pcall(f)
          if not ok and type(err) == "string" and err:find("internal engine error", 1, true) then bugs[#bugs + 1] = name .. ": " .. err end
        end
        """;

    [Fact]
    public void Every_library_function_on_generated_arguments_returns_or_raises_a_located_misuse_error()
    {
        var options = new RunOptions { Budgets = new Budgets(20_000_000, 64L << 20, TimeSpan.FromSeconds(30)), Jobs = 1 };
        using var tree = new TestTree();
        Call.Array[1, 40].Sample(calls =>
        {
            var script = Prologue + "\n" + string.Join("\n", calls) + "\nif #bugs > 0 then error('ENGINE BUG ' .. table.concat(bugs, '; ')) end\n";
            var path = tree.Scenario("fuzz", script);
            var r = ScenarioRunner.Run(path, options);
            if (r.Error is { } e)
            {
                Assert.DoesNotContain("ENGINE BUG", e.Message);
                Assert.True(e.Code is ErrorCode.LuaRuntime or ErrorCode.KernelOops or ErrorCode.InstructionBudget or ErrorCode.MemoryBudget, e.ToString());
                Assert.True(e.Where.Line > 0, e.ToString());
            }
            Assert.DoesNotContain("internal engine error", r.Report);
        }, iter: 150, threads: 1);
        // (run locally with CsCheck_Iter=5000 for a deeper search)
    }
}
