using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using ScenarioEngine.Record;

namespace ScenarioEngine.Running;

/// <summary>Reads the core's PCI devices once, at the end of a run, into the report's <see cref="PciState"/>.</summary>
internal static class PciStateBuilder
{
    public static PciState Build(IommuCore core)
    {
        if (core.PciHost is not { } host) return PciState.None;
        var bridges = core.Soc.Pci.HostBridges.Select(hb => new PciBridgeState(hb.Name, $"{hb.Segment:x4}", $"{hb.BusStart:x2}-{hb.BusEnd:x2}", Properties(hb))).ToList();
        var functions = host.Devices.Select(d =>
        {
            var master = core.DeviceOf(d);
            string iommu;
            if (master is not null)
                iommu = $"{master.Iommu.Name}: {string.Join(", ", master.Spec.Ids.Select(Id))}";
            else
            {
                var fw = PciIommuConfig.Configure(d);
                iommu = fw.Ok ? "—" : $"none: {fw.Error}";
            }
            var f = d.Function;
            var caps = new List<string>();
            if (f.Ats) caps.Add(d.Bus.Host.AtsSupported ? "ATS" : "ATS (the root complex is not ats-supported)");
            if (f.Pri) caps.Add("PRI");
            if (f.Pasid is { } p) caps.Add($"PASID {p.Width}-bit" + (p.Exec ? " exec" : "") + (p.Priv ? " priv" : ""));
            var aliases = new List<string>();
            foreach (var devfn in d.DmaAliases()) aliases.Add(PciAddress.DevfnText(devfn));
            if (aliases.Count > 8) aliases = [.. aliases.Take(8), $"… {aliases.Count - 8} more"];
            if (d.DevFlags != PciDevFlags.None) aliases.Add(PciDevFlagNames.Kernel(d.DevFlags));
            return new PciFunctionState(d.Address.ToString(), d.Name, d.UpstreamBridge?.Address.ToString(), d.Bus.Host.Name, d.Type.Words(), f.IsBridge, f.IdText,
                f.IsBridge ? $"{f.Secondary:x2}-{f.Subordinate:x2}" : null,
                d.AcsCap is { } cap ? $"{AcsFlagNames.Text(cap)} → {AcsFlagNames.Text(d.AcsCtrl)}" : "none",
                PciAcsQuirks.QuirkFor(d), caps.Count == 0 ? "—" : string.Join(", ", caps), aliases.Count == 0 ? "—" : string.Join(", ", aliases),
                iommu, master?.Group?.Name, d.Fixups.ToList());
        }).ToList();
        var hazards = core.PciHazards.Select(h => new PciHazardState(h.From.Address.ToString(), h.To.Address.ToString(), h.BothWays,
            h.Devices.Select(d => d.Name).ToList(), AcsFlagNames.Text(h.Missing), h.Text)).ToList();
        return new PciState(bridges, functions) { Hazards = hazards, HazardsOmitted = core.PciHazardsOmitted };
    }

    private static string Id(DeviceId id) => id.ToString()!.Split(' ', 2) is [_, var rest] ? rest : id.ToString()!;

    private static List<string> Properties(PciHostBridge hb)
    {
        var lines = new List<string>();
        if (hb.IommuMap.Count > 0)
            lines.Add("iommu-map " + string.Join(" ", hb.IommuMap.Select(e => $"<0x{e.RidBase:x} &{e.Target} 0x{e.OutBase:x} 0x{e.Length:x}>"))
                + (hb.IommuMapMask is { } m ? $", iommu-map-mask 0x{m:x}" : ""));
        else lines.Add("no iommu-map: no function below it has an IOMMU");
        if (hb.MsiMap.Count > 0)
            lines.Add("msi-map " + string.Join(" ", hb.MsiMap.Select(e => $"<0x{e.RidBase:x} &{e.Target} 0x{e.OutBase:x} 0x{e.Length:x}>"))
                + (hb.MsiMapMask is { } mm ? $", msi-map-mask 0x{mm:x}" : ""));
        if (hb.AtsSupported) lines.Add("ats-supported");
        foreach (var r in hb.DmaRanges) lines.Add($"dma-ranges: cpu {Hex.Of(r.Cpu)} → bus {Hex.Of(r.Bus)}, {Hex.Size(r.Size)}");
        return lines;
    }
}
