using ScenarioEngine.Record;
using System.Globalization;
using System.Text;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting;

/// <summary>
/// The report (docs/ci.md, "The report"): Markdown, UTF-8, LF, invariant culture, no timestamps, no absolute
/// paths, collections in a fixed order. Sections: title and description; SoC and boot knobs;
/// IOMMUs; boot; topology; steps; mappings; DMA API state; faults and hazards; expectations; result line.
/// </summary>
public static partial class MarkdownReport
{
    public sealed record Input(
        string ScenarioPath,
        Scenario? Scenario,
        EndState? State,
        RunLog Log,
        ScenarioError? Error)
    {
        /// <summary>The pictures to draw (Mermaid): the topology at the end of the Topology section, the IOVA maps in their own section.</summary>
        public Pictures.ReportPictures Pictures { get; init; } = Reporting.Pictures.ReportPictures.None;
    }

    public static string Render(Input input)
    {
        var sb = new StringBuilder();
        var sc = input.Scenario;
        sb.Append("# ").Append(Escape(sc?.Title ?? input.ScenarioPath)).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(sc?.Description)) sb.Append(Clip(Display.Controls(sc!.Description!.Trim(), keepNewlines: true))).Append("\n\n");
        sb.Append("- Scenario: `").Append(Code(input.ScenarioPath)).Append("`\n");
        if (sc is not null)
        {
            sb.Append("- Script: `").Append(Code(sc.Script.Chunk)).Append('`').Append(sc.Script.Chunk == sc.File ? " (inline)" : "").Append('\n');
            sb.Append("- SoC: **").Append(Escape(sc.Soc.Name)).Append("** (`").Append(Code(sc.Soc.SourceFile)).Append("`)");
            if (!string.IsNullOrWhiteSpace(sc.Soc.Description)) sb.Append(" — ").Append(Escape(sc.Soc.Description!.Trim()));
            sb.Append('\n');
            var state = input.State;
            sb.Append("- Kernel: ").Append(sc.Kernel.Release).Append(", iommu.strict=").Append(sc.Kernel.Strict ? '1' : '0')
              .Append(" iommu.passthrough=").Append(sc.Kernel.Passthrough ? '1' : '0');
            if (sc.Kernel.ForceDac) sb.Append(" iommu.forcedac=1");
            if (sc.Kernel.Pci is { } pci) sb.Append(" pci=").Append(Escape(pci));
            if (state is not null) sb.Append(" → global default domain type ").Append(state.GlobalDefaultType);
            sb.Append('\n');
        }
        if (sc is not null)
        {
            Memory(sb, sc.Soc);
            if (input.State is { } st) Iommus(sb, sc.Soc, st);
        }
        if (input.State is { } c)
        {
            Boot(sb, c);
            Topology(sb, c);
        }
        if (input.Pictures.Topology is { } topo)
        {
            sb.Append('\n');
            Pictures.MermaidWriter.Topology(sb, topo);
        }
        if (input.State is { } ps && ps.Pci.Functions.Count > 0) PciSection(sb, ps.Pci, input.Pictures.PciTree);
        Steps(sb, input.Log);
        if (input.State is { } c2) Mappings(sb, c2);
        if (input.State is { } c4) DmaState(sb, c4);
        IovaMaps(sb, input.Pictures);
        if (input.State is { } c3) Faults(sb, c3);
        Expectations(sb, input.Log);
        Result(sb, input);
        return sb.ToString();
    }

    private static void Memory(StringBuilder sb, Soc soc)
    {
        sb.Append("\n## Memory\n\n");
        foreach (var m in soc.Memory)
            sb.Append($"- DRAM {Escape(m.Name)}: [{Hex.Of(m.Base)}, {Hex.Of(m.End - 1)}] ({Hex.Size(m.Size)})\n");
        foreach (var r in soc.ReservedMemory)
        {
            sb.Append($"- reserved-memory {Escape(r.Name)}: ")
              .Append(r.Base is { } b ? $"[{Hex.Of(b)}, {Hex.Of(b + r.Size - 1)}]" : "no reg (IOVA-only)").Append($" ({Hex.Size(r.Size)})");
            foreach (var a in r.IommuAddresses)
            {
                sb.Append($"; iommu-addresses {Escape(a.Device)} [{Hex.Of(a.Iova)}, {Hex.Of(a.Iova + a.Size - 1)}]");
                if (soc.Devices.FirstOrDefault(d => d.Name == a.Device) is { } dev && !dev.MemoryRegion.Contains(r.Name))
                    sb.Append($" — ignored: {Escape(dev.Name)}'s memory-region does not list {Escape(r.Name)}, and of_iommu_get_resv_regions walks only the device's own memory-region phandles");
            }
            sb.Append('\n');
        }
    }

    private static void Iommus(StringBuilder sb, Soc soc, EndState state)
    {
        sb.Append("\n## IOMMUs\n\n");
        sb.Append("| iommu | driver | type | pgtable | ias | oas | banks (enabled) | regions | flags |\n");
        sb.Append("|---|---|---|---|---:|---:|---|---|---|\n");
        foreach (var (i, cells) in soc.Iommus.Zip(state.Iommus))
        {
            var regions = string.Join("<br>", cells.Regions.Select(Escape));
            var flags = i.Flags.Count == 0 ? "—" : string.Join(", ", i.Flags);
            foreach (var note in cells.FlagNotes) flags += "<br>" + Escape(note);
            if (regions.Length == 0) regions = "—"; // families without IOVA regions
            sb.Append($"| {Escape(i.Name)} | {i.Driver} | {i.Type} | {i.Pgtable} | {i.Ias} | {i.Oas} | {cells.Banks} | {regions} | {flags} |\n");
        }
    }

    private static void Boot(StringBuilder sb, EndState state)
    {
        sb.Append("\n## Boot\n\n");
        foreach (var line in state.Boot) sb.Append("- ").Append(Escape(line)).Append('\n');
        if (state.Boot.Count == 0) sb.Append("- nothing probed\n");
    }

    private static void Topology(StringBuilder sb, EndState state)
    {
        sb.Append("\n## Topology (at the end of the run)\n\n");
        sb.Append("| device | iommu | location | group | devices in group | default domain | current domain | owner_cnt | DMA mask |\n");
        sb.Append("|---|---|---|---|---:|---|---|---:|---:|\n");
        var groups = state.Groups.ToDictionary(g => g.Name);
        var types = new Dictionary<string, string>();
        foreach (var dom in state.Domains) types.TryAdd(dom.Name, dom.Type);
        string Dom(string? name) => name is null ? "—" : $"{name} ({types[name]})";
        foreach (var d in state.Devices)
        {
            var g = d.Group is { } gn ? groups[gn] : null;
            var groupCell = g is null
                ? d.RegistrationFailed ? $"none ({d.Iommu}'s registration failed: -{d.ProbeErrno})" : $"none (probe failed: -{d.ProbeErrno})"
                : g.Name;
            sb.Append($"| {Escape(d.Name)} | {Escape(d.Iommu)} | {Escape(d.Location)} | {groupCell} | {g?.Devices.Count ?? 0} | {Dom(g?.DefaultDomain)} | {Dom(g?.CurrentDomain)} | {g?.OwnerCnt ?? 0} | {d.DmaMask} |\n");
        }
    }

    private static void Steps(StringBuilder sb, RunLog log)
    {
        sb.Append("\n## Steps\n");
        bool inTable = false;
        void Header()
        {
            if (inTable) return;
            sb.Append("\n| # | line | call | result | rule |\n|---:|---:|---|---|---|\n");
            inTable = true;
        }
        if (log.Items.Count == 0) sb.Append("\nNo calls were made.\n");
        int shown = 0;
        foreach (var item in log.Items)
        {
            if (shown++ == MaxRows)
            {
                sb.Append(More(MaxRows, log.Items.Count + log.DroppedItems, "rows (steps, notes, sections, tables)"));
                break;
            }
            switch (item)
            {
                case Step s:
                    Header();
                    var call = $"{s.Name}({s.Args})";
                    var count = s.Count > 1 ? $" ×{s.Count}" + (s.RangeLo is { } lo ? $" over [{Hex.Of(lo)}, {Hex.Of(s.RangeHi!.Value)}]" : s.ArgsVary ? " (arguments vary; first shown)" : "") : "";
                    var result = s.Errno is not null && s.Errno != "fault" ? $"**{Escape(s.Result)}**" : Escape(s.ResultVaries ? s.Result + " (first of several)" : s.Result);
                    sb.Append($"| {s.Number} | {Escape(s.Where)} | `{Code(call)}`{count} | {result} | {Escape(s.Why ?? "")} |\n");
                    break;
                case Note n:
                    inTable = false;
                    sb.Append("\n> ").Append(Escape(n.Text).Replace("\n", "\n> ", StringComparison.Ordinal)).Append(" (line ").Append(Escape(n.Where)).Append(")\n");
                    break;
                case Section sec:
                    inTable = false;
                    sb.Append("\n### ").Append(Escape(sec.Title)).Append('\n');
                    break;
                case Table t:
                    inTable = false;
                    sb.Append("\n**").Append(Escape(t.Title)).Append("** (line ").Append(Escape(t.Where)).Append(")\n\n");
                    if (t.Rows.Count == 0) { sb.Append("(empty)\n"); break; }
                    sb.Append("| ").Append(string.Join(" | ", t.Header)).Append(" |\n|").Append(string.Concat(t.Header.Select(_ => "---|"))).Append('\n');
                    foreach (var r in t.Rows.Take(MaxRows)) sb.Append("| ").Append(string.Join(" | ", r.Select(Escape))).Append(" |\n");
                    if (t.Rows.Count > MaxRows) sb.Append(More(MaxRows, t.Rows.Count, "table rows"));
                    break;
            }
        }
    }

    private static void Mappings(StringBuilder sb, EndState state)
    {
        sb.Append("\n## Mappings (at the end of the run)\n");
        var byTable = state.Domains.Where(d => d.Table is not null && d.Paging && !d.Freed).GroupBy(d => d.Table!.Value).ToList();
        if (byTable.Count == 0) { sb.Append("\nNo paging domain has a page table.\n"); return; }
        foreach (var grp in byTable)
        {
            var doms = grp.ToList();
            var pt = state.Tables[grp.Key];
            sb.Append("\n### ").Append(string.Join(", ", doms.Select(d => $"{d.Name} ({d.Type})")))
              .Append(doms.Count > 1 ? " — one shared table" : "").Append('\n');
            sb.Append($"\n{pt.Format} table, TTBR {Hex.Of(pt.Ttbr)}, ias {pt.Ias}, oas {pt.Oas}, {Hex.Size(pt.TableBytes)} of tables");
            if (pt.Warnings > 0) sb.Append($", {pt.Warnings} WARN(s)");
            sb.Append(".\n\n");
            var rows = doms[0].Mappings!;
            if (rows.Count == 0) { sb.Append("No mappings.\n"); continue; }
            sb.Append("| iova | last | pa | size | prot |\n|---|---|---|---|---|\n");
            foreach (var m in rows)
                sb.Append($"| {Hex.Of(m.Iova)} | {Hex.Of(m.Iova + m.Size - 1)} | {Hex.Of(m.Pa)} | {Hex.Size(m.Size)} | {ProtText.Format(m.Prot)} |\n");
        }
    }

    private static void DmaState(StringBuilder sb, EndState state)
    {
        if (state.Dma.Count == 0) return;
        sb.Append("\n## DMA API state (at the end of the run)\n");
        foreach (var c in state.Dma)
        {
            sb.Append($"\n### {c.Domain} ({c.Type}): granule {Hex.Size(c.Granule)}, start_pfn {Hex.Of(c.StartPfn)}, {(c.Lazy ? "lazy" : "strict")}\n\n");
            sb.Append($"- {c.Ranges.Count} IOVA range(s) in the tree");
            if (c.Ranges.Count > 0)
                sb.Append(": ").Append(string.Join(", ", c.Ranges.Take(24).Select(r => $"[{Hex.Of(r.Lo)}, {Hex.Of(r.Hi)}]")))
                  .Append(c.Ranges.Count > 24 ? $", … ({c.Ranges.Count - 24} more)" : "");
            sb.Append('\n');
            static string N((ulong Lo, ulong Hi)? n) => n is null ? "anchor" : $"[{Hex.Of(n.Value.Lo)}, {Hex.Of(n.Value.Hi)}]";
            sb.Append($"- cached_node {N(c.Cached)}, cached32_node {N(c.Cached32)}, max32_alloc_size {Hex.Of(c.Max32AllocSize)} pages\n");
            var rc = c.Rcache.Where(r => r.Loaded + r.Prev + r.DepotMagazines > 0).ToList();
            if (rc.Count > 0)
                sb.Append("- rcache: ").Append(string.Join("; ", rc.Select(r => $"order {r.Order}: loaded {r.Loaded}, prev {r.Prev}, depot {r.DepotMagazines} magazine(s)"))).Append('\n');
            if (c.Fq is { } fq)
                sb.Append($"- flush queue: {fq.Count} pending, {fq.FlushCount} IOTLB flush(es) so far" + (fq.TimerOn ? $", timer due at {fq.TimerDue} ms" : "") + "\n");
        }
    }

    private static void IovaMaps(StringBuilder sb, Pictures.ReportPictures pictures)
    {
        if (pictures.IovaMaps.Count == 0) return;
        sb.Append("\n## IOVA maps (at the end of the run)\n\nEach domain's IOVA space cut at every boundary of what lies in it, lowest address first; stretches nothing covers are drawn short whatever their size.\n");
        foreach (var map in pictures.IovaMaps)
        {
            sb.Append("\n### ").Append(Escape(map.Domain)).Append(" (").Append(map.Type).Append(")\n\n");
            Pictures.MermaidWriter.IovaMap(sb, map);
        }
    }

    private static void Faults(StringBuilder sb, EndState state)
    {
        sb.Append("\n## Faults and hazards\n\n");
        if (state.Events.Count == 0) { sb.Append("None.\n"); return; }
        sb.Append("| line | event | device | iova | access | domain | detail |\n|---:|---|---|---|---|---|---|\n");
        var events = state.Events;
        int rows = 0;
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (rows++ == MaxRows)
            {
                sb.Append(More(MaxRows, rows - 1 + (events.Count - i) + state.DroppedEvents, "events"));
                break;
            }
            // Repeated faults fold like steps: the same line, kind, device, access and domain in a row.
            int same = 1;
            ulong lo = e.Iova, hi = e.Iova;
            while (e.Kind == EventKind.Fault && i + same < events.Count && events[i + same] is { Kind: EventKind.Fault } f
                   && f.Line == e.Line && f.FaultKind == e.FaultKind && f.Device == e.Device && f.Write == e.Write && f.Domain == e.Domain)
            {
                lo = Math.Min(lo, f.Iova);
                hi = Math.Max(hi, f.Iova);
                same++;
            }
            var fold = same > 1 ? string.Create(CultureInfo.InvariantCulture, $" ×{same} over [{Hex.Of(lo)}, {Hex.Of(hi)}] (first shown)") : "";
            i += same - 1;
            switch (e.Kind)
            {
                case EventKind.Fault:
                    var detail = Escape(e.Why);
                    if (e.RegistersLine is { } regs) detail += "<br>" + regs;
                    if (e.Message is { } msg)
                        foreach (var printed in msg.Split('\n')) detail += $"<br>`{Escape(printed)}`";
                    sb.Append($"| {e.Line} | {e.FaultKind} fault{fold} | {Escape(e.Device ?? "")} | {Hex.Of(e.Iova)} | {(e.Write ? "write" : "read")} | {e.Domain ?? "—"} | {detail} |\n");
                    break;
                case EventKind.StaleTranslation or EventKind.StaleAtc:
                    sb.Append($"| {e.Line} | {(e.Kind == EventKind.StaleAtc ? "stale ATC translation" : "stale translation")} | {Escape(e.Device ?? "")} | {Hex.Of(e.Iova)} | {(e.Write ? "write" : "read")} | {e.Domain ?? "—"} | reached {Hex.Of(e.Pa)}: {Escape(e.Why)} |\n");
                    break;
                default:
                    sb.Append($"| {e.Line} | {e.Kind.Name()} | {Escape(e.Device ?? "—")} | — | — | {e.Domain ?? "—"} | {Escape(e.Why)} |\n");
                    break;
            }
        }
        if (rows <= MaxRows && state.DroppedEvents > 0)
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"\n… {state.DroppedEvents} more events not recorded (a run keeps the first {state.MaxEvents}).\n"));
    }

    private static void Expectations(StringBuilder sb, RunLog log)
    {
        sb.Append("\n## Expectations\n\n");
        if (log.Expectations.Count == 0) { sb.Append("None.\n"); return; }
        sb.Append("| line | expectation | result |\n|---:|---|---|\n");
        foreach (var e in log.Expectations.Take(MaxRows))
            sb.Append($"| {Escape(e.Where)} | {Escape(e.Text)} | {(e.Passed ? "passed" : "**FAILED**" + (e.Detail is null ? "" : ": " + Escape(e.Detail)))} |\n");
        if (log.Expectations.Count > MaxRows)
            sb.Append(More(MaxRows, log.Expectations.Count + log.DroppedExpectations,
                $"expectations ({log.ExpectationsFailed - log.Expectations.Take(MaxRows).Count(e => !e.Passed)} of them failed)"));
    }

    private static void Result(StringBuilder sb, Input input)
    {
        sb.Append("\n## Result\n\n");
        int passed = input.Log.ExpectationsPassed, failed = input.Log.ExpectationsFailed;
        if (input.Error is { } err)
        {
            sb.Append($"**failed** — error {err.CodeText} at `{Code(err.Where.ToString())}`: {Escape(err.Message)}\n");
            return;
        }
        sb.Append(failed == 0 ? "**passed**" : "**failed**")
          .Append($" — {passed} expectation{(passed == 1 ? "" : "s")} held, {failed} failed.\n");
    }

    /// <summary>Most rows a section shows (steps, faults, expectations, a table's rows); the rest are counted in a "… N more" line.</summary>
    public const int MaxRows = 1000;
    /// <summary>Most characters a cell or a note shows; longer text is cut with its length.</summary>
    public const int MaxText = 4000;

    /// <summary>User text in a table cell or a line: no line breaks, no pipes, control characters escaped (<see cref="Display"/>), bounded.</summary>
    internal static string Escape(string s) => Display.Controls(Clip(s).Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal)).Replace("|", "\\|", StringComparison.Ordinal);
    /// <summary>User text inside a code span: as <see cref="Escape"/>, and no backtick can close the span.</summary>
    internal static string Code(string s) => Escape(s).Replace("`", "'", StringComparison.Ordinal);
    private static string Clip(string s) => s.Length <= MaxText ? s : s[..MaxText] + string.Create(CultureInfo.InvariantCulture, $"… ({s.Length} characters)");
    private static string More(int shown, int total, string what) => string.Create(CultureInfo.InvariantCulture, $"\n… {total - shown} more {what} not shown (the report shows the first {shown}).\n");
}
