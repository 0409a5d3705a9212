using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Reporting.Pictures;
using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>
/// The report's pictures: the topology (instance → bank → group → devices, domains, shared tables)
/// and one IOVA map per domain, built from the end of the run and written as Mermaid (the report)
/// and SVG (the dashboard); the scenario key that chooses them; and the writers against hostile names.
/// </summary>
public class PictureTests
{
    private static RunResult Run(string lua, string extra = "") => SandboxTests.Run(lua, extra: extra);

    private static IReadOnlyList<string> Blocks(string report) =>
        Regex.Matches(report, "```mermaid\n(.*?)```\n", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

    private const string UnmanagedMapAndFault = """
        local apu = soc.device("apu")
        local d = iommu.domain_alloc(apu, "unmanaged")
        iommu.attach_group(d, apu.group)
        iommu.map(d, 0x10000000, 0x40000000, 0x10000, "rw")
        apu:read(0x60000000)
        """;

    [Fact]
    public void The_topology_shows_the_group_in_its_bank_on_the_unmanaged_domain_with_its_default_dashed_and_both_domains_on_one_table()
    {
        var r = Run(UnmanagedMapAndFault);
        Assert.Null(r.Error);
        var topology = Blocks(r.Report)[0];
        Assert.Equal("""
            flowchart LR
              subgraph i0["m4u · mediatek mm"]
                subgraph i0s0["bank 0"]
                  g0["group0"]
                end
              end
              m0(["domain#2<br/>unmanaged"])
              m1(["domain#1<br/>dma"])
              t0[("arm-v7s<br/>TTBR 0x7fff8000")]
              d0["display"] --> g0
              class d0 device
              d1["apu"] --> g0
              class d1 device
              d2["venc"] --> g0
              class d2 device
              g0 ==>|current| m0
              g0 -.->|default| m1
              m0 --- t0
              m1 --- t0
              classDef device fill:#eef,stroke:#557
              classDef loose fill:#fdd,stroke:#a33

            """, topology);
        // The Mermaid block closes the Topology section, before the steps.
        Assert.True(r.Report.IndexOf("```mermaid", StringComparison.Ordinal) < r.Report.IndexOf("## Steps", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_domain_gets_an_iova_map_cut_at_every_boundary_with_gaps_windows_shared_mappings_and_the_fault_where_the_driver_reported_it()
    {
        var r = Run(UnmanagedMapAndFault);
        var blocks = Blocks(r.Report);
        Assert.Equal(3, blocks.Count);
        // mtk_iommu_isr reports the fault against the bank's first domain (domain#1), so it is drawn there.
        Assert.Equal("""
            flowchart TB
              top["domain#1 (dma), aperture [0x0, 0xff7fffff]"]
              s0["0x10000000 – 0x1000ffff · 64 KiB<br/>mapped (table shared with domain#2)"]
              top --- s0
              class s0 mapping
              s1["0x10010000 – 0x5fffffff · 1310656 KiB<br/>nothing"]
              s0 --- s1
              class s1 gap
              s2["0x60000000 – 0x60000fff · 4 KiB<br/>1 fault or stale access"]
              s1 --- s2
              class s2 fault
              classDef gap fill:#fff,stroke:#bbb,stroke-dasharray:4
              classDef mapping fill:#cfe8ff,stroke:#36a
              classDef fault fill:#ff8a80,stroke:#b00

            """, blocks[1]);
        Assert.Equal("""
            flowchart TB
              top["domain#2 (unmanaged), aperture [0x0, 0xff7fffff]"]
              s0["0x10000000 – 0x1000ffff · 64 KiB<br/>mapped (table shared with domain#1)"]
              top --- s0
              class s0 mapping
              s1["0x10010000 – 0x5fffffff · 1310656 KiB<br/>nothing"]
              s0 --- s1
              class s1 gap
              s2["0x60000000 – 0x60ffffff · 16 MiB<br/>apu firmware 'code'"]
              s1 --- s2
              class s2 window
              classDef gap fill:#fff,stroke:#bbb,stroke-dasharray:4
              classDef window fill:#ffe9a8,stroke:#a80
              classDef mapping fill:#cfe8ff,stroke:#36a

            """, blocks[2]);
        Assert.Contains("\n## IOVA maps (at the end of the run)\n", r.Report);
        Assert.Contains("\n### domain#2 (unmanaged)\n\n```mermaid\n", r.Report);
    }

    [Fact]
    public void The_dashboard_gets_one_svg_per_mermaid_block_in_the_same_order_and_each_parses_as_xml()
    {
        var r = Run(UnmanagedMapAndFault);
        Assert.Equal(3, r.Svgs.Count);
        var docs = r.Svgs.Select(XDocument.Parse).ToList();
        Assert.All(docs, d => Assert.Equal("svg", d.Root!.Name.LocalName));
        var texts = docs.Select(d => d.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList()).ToList();
        Assert.Contains("group0", texts[0]);
        Assert.Contains("domain#2 · unmanaged", texts[0]);
        Assert.Contains("arm-v7s · TTBR 0x7fff8000", texts[0]);
        Assert.Equal("domain#1 (dma), aperture [0x0, 0xff7fffff]", texts[1][0]);
        Assert.Contains("4 KiB · 1 fault or stale access", texts[1]);
        Assert.Contains("16 MiB · apu firmware 'code'", texts[2]);
        // The fault's segment is red, the window's yellow: one colour table for both writers.
        Assert.Contains(docs[1].Descendants().Where(e => e.Name.LocalName == "rect"), e => (string?)e.Attribute("fill") == PictureStyle.Colours(IovaKind.Fault).Fill);
        Assert.Contains(docs[2].Descendants().Where(e => e.Name.LocalName == "rect"), e => (string?)e.Attribute("fill") == PictureStyle.Colours(IovaKind.Window).Fill);
    }

    [Theory]
    [InlineData("pictures: []\n", 0, false)]
    [InlineData("pictures: [topology]\n", 1, false)]
    [InlineData("pictures: [iova-maps]\n", 2, true)]
    [InlineData("", 3, true)]
    public void The_pictures_key_adds_or_suppresses_the_topology_and_the_iova_maps(string key, int blocks, bool maps)
    {
        var r = Run(UnmanagedMapAndFault, key);
        Assert.Null(r.Error);
        Assert.Equal(blocks, Blocks(r.Report).Count);
        Assert.Equal(blocks, r.Svgs.Count);
        Assert.Equal(maps, r.Report.Contains("## IOVA maps", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_picture_is_a_located_SE1007_naming_the_known_ones()
    {
        var r = Run("x = 1", "pictures: [topology, heatmap]\n");
        Assert.Equal(ErrorCode.BadValue, r.Error!.Code);
        Assert.Equal(3, r.Error.Where.Line);
        Assert.Equal("pictures: 'heatmap' is not a picture; known: topology, iova-maps", r.Error.Message);
    }

    [Fact]
    public void A_map_draws_at_most_64_segments_and_counts_the_rest()
    {
        // 100 pages mapped one page apart: 199 segments (pages and the gaps between them) plus the window.
        var r = Run("""
            local apu = soc.device("apu")
            local d = iommu.domain_alloc(apu, "unmanaged")
            iommu.attach_group(d, apu.group)
            for i = 0, 99 do iommu.map(d, 0x10000000 + i * 0x2000, 0x40000000, 0x1000, "rw") end
            """, "pictures: [iova-maps]\n");
        var map = Blocks(r.Report).Single(b => b.Contains("domain#2 (unmanaged)", StringComparison.Ordinal));
        Assert.Equal(PictureBuilder.MaxSegments, Regex.Matches(map, @"^  s\d+\[", RegexOptions.Multiline).Count);
        // 199 segments among the mappings, then the gap up to the window and the window: 201 - 64 = 137.
        Assert.Contains("more[\"… 137 more segments not drawn\"]", map);
    }

    [Fact]
    public void Devices_without_a_group_are_drawn_in_red_under_their_instance_with_the_registration_errno()
    {
        using var tree = new TestTree();
        // A master on two larbs without DL_WITH_MULTI_LARB: mtk_iommu_probe_device's -EINVAL unregisters the M4U.
        var soc = TestTree.Soc.Replace("ids: [ { iommu: m4u, larb: 1, port: 0 } ]", "ids: [ { iommu: m4u, larb: 1, port: 0 }, { iommu: m4u, larb: 2, port: 0 } ]");
        var path = tree.Scenario("x", "x = 1", soc);
        var r = ScenarioRunner.Run(path, SandboxTests.Small);
        Assert.Null(r.Error);
        var topology = Blocks(r.Report)[0];
        Assert.Contains("    d0[\"display<br/>no group: m4u's registration failed: -EINVAL\"]\n", topology);
        Assert.Contains("  class d0 loose\n", topology);
    }

    // ---------------------------------------------------------------- hostile names

    private static TopologyPicture HostileTopology(string name) => new(
        [new TopoInstance(name, "mediatek mm", [new TopoSlot(name, [new TopoGroup(0, "group0", [name, "apu"], 0, 0)])], [new TopoLoose(name, name)])],
        [new TopoDomain(name, "dma", false, 0)], [new TopoTable(name, 0x1000)], 0);

    [Theory]
    [InlineData("a\"]; click x \"javascript:alert(1)\"")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("x#quot;y & z`\n```")]
    [InlineData("\u202e\u0007bell|pipe\\")]
    [InlineData("\ud800lone")]
    public void A_hostile_name_cannot_break_out_of_a_mermaid_label_or_the_svg(string name)
    {
        var sb = new System.Text.StringBuilder();
        MermaidWriter.Topology(sb, HostileTopology(name));
        foreach (var line in sb.ToString().Split('\n').Where(l => l.Contains('[', StringComparison.Ordinal) && l.Contains('"', StringComparison.Ordinal)))
        {
            // Our labels are ["…"], (["…"]) or [("…")]: exactly two quotes a line, nothing raw inside.
            Assert.Equal(2, line.Count(c => c == '"'));
            var inner = line[(line.IndexOf('"') + 1)..line.LastIndexOf('"')];
            Assert.DoesNotContain('<', inner.Replace("<br/>", "", StringComparison.Ordinal));
            Assert.DoesNotContain('`', inner);
            Assert.DoesNotContain('\u202e', inner);
        }
        Assert.DoesNotContain("\n```\n", sb.ToString().TrimEnd('\n')[..^3]);
        var svg = XDocument.Parse(SvgWriter.Topology(HostileTopology(name)));
        var expected = Display.Clip(name, 80).Replace("\ud800", "\ufffd", StringComparison.Ordinal);
        Assert.Contains(svg.Descendants().Where(e => e.Name.LocalName == "text"), e => e.Value == expected);
        Assert.DoesNotContain(svg.Descendants(), e => e.Name.LocalName is "script" or "a" or "foreignObject");
    }

    [Fact]
    public void Fuzz_every_label_decodes_back_to_the_clipped_name_and_every_svg_parses()
    {
        var rng = new Random(7);
        const string alphabet = "ab#;\"<>&`|\\[](){}*_~$ \n\t\u0000\u001b\u202e\ud800\udc00é字";
        for (int n = 0; n < 2000; n++)
        {
            var name = new string(Enumerable.Range(0, rng.Next(0, 40)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            var label = MermaidWriter.Label(name);
            Assert.DoesNotContain('"', label);
            Assert.DoesNotContain('\n', label);
            var decoded = Regex.Replace(label, "#(quot|35|lt|gt|amp|96|124|92);", m => m.Groups[1].Value switch
            {
                "quot" => "\"", "35" => "#", "lt" => "<", "gt" => ">", "amp" => "&", "96" => "`", "124" => "|", _ => "\\",
            });
            Assert.Equal(Surrogates(Display.Clip(name, 60)), decoded);
            // Mermaid decodes /#\w+;/ left to right: every such code in a label is one of ours.
            Assert.All(Regex.Matches(label, "#[A-Za-z0-9_]+;").Select(m => m.Value), v => Assert.Contains(v, Codes));
            XDocument.Parse(SvgWriter.Topology(HostileTopology(name)));
        }
    }

    private static readonly string[] Codes = ["#quot;", "#35;", "#lt;", "#gt;", "#amp;", "#96;", "#124;", "#92;"];

    /// <summary>Lone surrogates as both writers print them: U+FFFD; pairs kept.</summary>
    private static string Surrogates(string s)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) sb.Append(s[i]).Append(s[++i]);
            else sb.Append(char.IsSurrogate(s[i]) ? '\ufffd' : s[i]);
        }
        return sb.ToString();
    }
}
