using System.Globalization;
using System.Text;
using CsCheck;
using ScenarioEngine.Config;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// Fuzz tests of the PCI readers: generated topologies (random buses, bridges, types, IDs from the
/// kernel's quirk tables, ACS bits, aliases) either fail to load with a located error or load, boot
/// on both Arm SMMUs and give every PCI master a group or a probe error; the pci= parameter and
/// pci_dev_str_match on generated text never throw.
/// </summary>
public class PciFuzzTests
{
    private static readonly string[] Types = [.. PciTypes.Names, "bogus"];
    private static readonly string[] Ids =
    [
        "1b4b:9123", "1180:e832", "1a03:1150", "14e4:9000", "1b21:1080", "10b5:87b0", "8086:10fb", "8088:1234", "17cb:0400", "111d:80b5",
        "8086:1c10", "8086:a110", "177d:af84", "1d17:0710", "9005:0285", "10de:2204", "zz:zz",
    ];
    private static readonly string[] Bits = ["sv", "tb", "rr", "cr", "uf", "ec", "dt"];

    private static readonly Gen<string> Function =
        Gen.Select(Gen.Int[0, 8], Gen.Int[0, 0x1f], Gen.Int[0, 7], Gen.Int[0, Types.Length - 1], Gen.Int[0, 9], Gen.Int[0, 9], Gen.Int[0, Ids.Length], Gen.Int[0, 127])
            .Select((bus, slot, fn, type, sec, sub, id, acs) =>
            {
                var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"      - {{ bdf: \"{bus:x2}:{(slot < 24 ? 0 : slot):x2}.{(fn < 6 ? 0 : fn - 5)}\", type: {Types[type]}"));
                if (sec > 0) sb.Append(CultureInfo.InvariantCulture, $", secondary: {sec}, subordinate: {Math.Max(sec, sub)}");
                if (id < Ids.Length) sb.Append($", id: \"{Ids[id]}\"");
                if (acs > 0) sb.Append(", acs: { cap: [").Append(string.Join(", ", Bits.Where((_, i) => (acs & (1 << i)) != 0))).Append("] }");
                if (acs % 5 == 1) sb.Append(", dma-alias: [\"00.1\"]");
                if (acs % 11 == 2) sb.Append(", ats: true, pasid: { width: 8 }");
                return sb.Append(" }\n").ToString();
            });

    /// <summary>A well-formed random tree (root ports, switches, PCIe-to-PCI bridges, multifunction endpoints), so most samples load and boot.</summary>
    private static string Tree(Random r)
    {
        var sb = new StringBuilder();
        int nextBus = 0;
        string Acs() => r.Next(3) == 0 ? "" : ", acs: { cap: [" + string.Join(", ", Bits.Where(_ => r.Next(3) > 0)) + "] }";
        string Id() => r.Next(3) == 0 ? $", id: \"{Ids[r.Next(Ids.Length - 1)]}\"" : "";
        void Fn(int bus, int slot, int fn, string keys) => sb.Append(CultureInfo.InvariantCulture, $"      - {{ bdf: \"{bus:x2}:{slot:x2}.{fn}\", {keys} }}\n");
        // a bridge of the given type at bus/slot/fn, and what is below it; depth bounds the nesting
        void Bridge(int bus, int slot, int fn, string type, int depth)
        {
            int sec = ++nextBus;
            var below = new StringBuilder();
            var saved = sb;
            sb = below;
            Below(sec, type, depth);
            sb = saved;
            Fn(bus, slot, fn, $"type: {type}, secondary: {sec}, subordinate: {nextBus}" + Acs() + Id());
            sb.Append(below);
        }
        void Endpoints(int bus, int slot, string type)
        {
            int fns = r.Next(3) == 0 ? 2 + r.Next(3) : 1;
            for (int f = 0; f < fns; f++)
                Fn(bus, slot, f, $"type: {type}" + Acs() + Id() + (r.Next(7) == 0 ? ", dma-alias: [\"00.1\"]" : "") + (r.Next(5) == 0 ? ", ats: true" : ""));
        }
        void Below(int bus, string parent, int depth)
        {
            switch (parent)
            {
                case "upstream-port":
                    for (int p = 0, n = 1 + r.Next(3); p < n; p++) Bridge(bus, p, 0, "downstream-port", depth - 1);
                    break;
                case "pcie-to-pci-bridge" or "pci-bridge":
                    for (int d = 0, n = 1 + r.Next(3); d < n; d++)
                        if (depth > 0 && r.Next(4) == 0) Bridge(bus, 4 + d, 0, "pci-bridge", depth - 1);
                        else Endpoints(bus, 4 + d, "pci");
                    break;
                default: // a Root Port or a Downstream Port: device 0 only
                    int pick = depth > 0 ? r.Next(4) : 0;
                    if (pick == 1) Bridge(bus, 0, 0, "upstream-port", depth - 1);
                    else if (pick == 2) Bridge(bus, 0, 0, "pcie-to-pci-bridge", depth - 1);
                    else Endpoints(bus, 0, "endpoint");
                    break;
            }
        }
        for (int rp = 0, n = 1 + r.Next(4); rp < n; rp++)
        {
            bool mf = r.Next(3) == 0;
            for (int f = 0; f < (mf ? 2 : 1); f++) Bridge(0, 1 + rp, f, "root-port", 3);
        }
        if (r.Next(4) == 0) Endpoints(0, 0x1f, "rc-endpoint");
        return sb.ToString();
    }

    private static readonly Gen<(string Yaml, bool V2)> Topology =
        Gen.Select(Gen.Int, Gen.Bool, Gen.Int[0, 3], Function.Array[0, 2]).Select((seed, v2, mask, extra) => (
            "soc: f\nmemory:\n  - { name: dram, base: 0x8000_0000, size: 1GiB }\niommus:\n"
            + (v2 ? "  - { name: smmu, driver: arm-smmu, banks: 128 }\n" : "  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }\n")
            + "pci:\n  - name: pcie\n    iommu-map: [ { rid-base: 0x0, iommu: smmu, iommu-base: 0x0, length: 0x10000 } ]\n"
            + (mask == 1 ? "    iommu-map-mask: 0xff00\n" : mask == 2 ? "    ats-supported: true\n" : "")
            + "    functions:\n" + Tree(new Random(seed)) + string.Concat(extra), v2));

    [Fact]
    public void Generated_topologies_load_with_a_located_error_or_boot_with_a_group_or_a_probe_error_for_every_master()
    {
        int booted = 0;
        Topology.Sample(t =>
        {
            Soc soc;
            try { soc = SocLoader.Load(YamlTree.Parse(t.Yaml, "f.yaml"), "f.yaml"); }
            catch (ScenarioLoadException e)
            {
                Assert.Equal("f.yaml", e.Error.Where.File);
                Assert.True(e.Error.Where.Line > 0, e.Error.ToString());
                return;
            }
            var core = new IommuCore(soc, KernelKnobs.Default with { Pci = "disable_acs_redir=00:00.0;pci:1b4b:0,config_acs=1x01@01:00.0" }, Running.ScenarioRunner.DriverFactory(), Dma.CoreDma.For);
            core.Boot();
            foreach (var d in core.Devices)
                Assert.True(d.Group is not null || !d.ProbeError.Ok, $"{d.Name}: no group and no probe error");
            foreach (var g in core.Groups)
                Assert.False(string.IsNullOrEmpty(g.Devices[0].Driver.GroupRule(g)));
            Assert.True(core.PciHazards.Count <= PciP2p.MaxHazards);
            Interlocked.Increment(ref booted);
        }, iter: 2000);
        Assert.True(booted > 100, $"only {booted} generated topologies loaded: the generator tests the loader's errors only");
    }

    private static readonly Gen<string> ParamText =
        Gen.OneOf<string>("disable_acs_redir=", "config_acs=", "noats", ",", ";", "@", "/", ":", ".", "0", "1", "x", "X", "2", "pci:", "0000:", "00:01.0",
            "01:00.0", "ffff:", "0x", " ", "1b4b", "9123", "\u0000", "zz").Array[0, 40].Select(parts => string.Concat(parts));

    [Fact]
    public void The_pci_parameter_is_refused_with_a_reason_or_applied_without_throwing()
    {
        var host = PciBoard.Host(PciBoard.Soc(PciBoard.RootPort("00:01.0", 1, 2, PciBoard.Acs) + PciBoard.Upstream("01:00.0", 2, 2) + PciBoard.Endpoint("02:00.0", "id: \"1b4b:9123\"")));
        ParamText.Sample(text =>
        {
            var p = PciKernelParams.Parse(text, out var error);
            if (p is null)
            {
                Assert.False(string.IsNullOrEmpty(error));
                return;
            }
            var fresh = new PciHost(PciBoard.Load(PciBoard.Soc(PciBoard.RootPort("00:01.0", 1, 1, PciBoard.Acs))).Pci);
            PciAcsSetup.EnableAll(fresh, p);
            foreach (var d in fresh.Devices) Assert.Equal(AcsFlags.None, d.AcsCtrl & (AcsFlags)0xff80);
            int pos = 0;
            var r = PciAcsSetup.StrMatch(host, host.Devices[^1], text, ref pos);
            Assert.InRange(r, -1, 1);
            Assert.InRange(pos, 0, text.Length);
        }, iter: 20000);
    }
}
