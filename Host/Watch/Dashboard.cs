using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using System.Net;
using System.Text;
using Markdig;
using Markdig.Syntax;
using ScenarioEngine.Model;
using ScenarioEngine.Running;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// The HTML of `scenario watch --urls`: the scenario list (status colours, totals, last run, filters,
/// live refresh from /events without a reload), a report rendered from its Markdown (Markdig, raw
/// HTML disabled: everything the report holds is shown as text), and a coloured unified diff. Every
/// value that came from the tree is HTML-encoded; pages carry no script but the list's own (its
/// nonce in the Content-Security-Policy), so a link in a report can never run code.
/// With --allow-approve each changed or new row has an Approve button (a same-origin form POST).
/// Not built yet: pictures, and the trigger of each run.
/// </summary>
internal static class Dashboard
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UsePipeTables().DisableHtml().Build();

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#1f2328}
        table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
        .passed{color:#1a7f37}.failed{color:#cf222e}.changed{color:#9a6700}.new{color:#0969da}.matched{color:#57606a}
        .count{display:inline-block;margin-right:1em;font-weight:600}
        button{margin-right:.4em}button.on{font-weight:700}
        pre.diff{font-family:ui-monospace,monospace;line-height:1.35}
        table.split td{font-family:ui-monospace,monospace;white-space:pre-wrap;border:none;padding:0 .5em}td.num{color:#57606a;text-align:right}
        td.del{background:#ffebe9}td.ins{background:#dafbe1}
        .del{background:#ffebe9;color:#82071e;display:block}.ins{background:#dafbe1;color:#116329;display:block}.hunk{color:#8250df;display:block}
        """;

    public static string Status(RunResult r) => r.Passed ? "passed" : "failed";

    public static string Snapshot(RunResult r) => r.Snapshot switch
    {
        SnapshotStatus.Matched => "matched",
        SnapshotStatus.Changed => "changed",
        SnapshotStatus.New => "new",
        _ => "not compared",
    };

    /// <summary>The counts line and the table body: what /rows serves for the live refresh.</summary>
    public static string Rows(IReadOnlyList<RunResult> results, IReadOnlyDictionary<string, LastRun> runs, bool approve = false)
    {
        var sb = new StringBuilder();
        sb.Append("<div id=\"counts\">")
          .Append(Count("passed", results.Count(r => r.Passed))).Append(Count("failed", results.Count(r => !r.Passed)))
          .Append(Count("changed", results.Count(r => r.Snapshot == SnapshotStatus.Changed))).Append(Count("new", results.Count(r => r.Snapshot == SnapshotStatus.New)))
          .Append("</div>\n<table>\n<tr><th>scenario</th><th>result</th><th>snapshot</th><th>last run (UTC)</th><th>because of</th><th></th></tr>\n");
        foreach (var r in results)
        {
            var q = Uri.EscapeDataString(r.Path);
            var result = r.Error is { } e ? $"failed: error {e.CodeText} at {e.Where}" : r.Passed ? "passed" : $"failed: {r.ExpectationsFailed} expectation(s)";
            var ran = runs.TryGetValue(r.FullPath, out var l) ? l : (LastRun?)null;
            var when = ran?.At.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "";
            sb.Append($"<tr class=\"row s-{Status(r)} s-{Snapshot(r).Replace(' ', '-')}\"><td>{H(r.Path)}</td><td class=\"{Status(r)}\">{H(Display.Clip(result, 400))}</td>")
              .Append($"<td class=\"{Snapshot(r).Replace(' ', '-')}\">{Snapshot(r)}</td><td>{when}</td><td>{H(ran?.Trigger ?? "")}</td>")
              .Append($"<td><a href=\"/report?path={q}\">report</a> <a href=\"/diff?path={q}\">diff</a>")
              .Append(approve && r.Snapshot is SnapshotStatus.Changed or SnapshotStatus.New ? $" <form method=\"post\" action=\"/approve?path={q}\" style=\"display:inline\"><button>Approve</button></form>" : "")
              .Append("</td></tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    /// <summary>
    /// The list page around its rows (<see cref="Rows"/>): what comes before them, and after them the
    /// script (allowed by <paramref name="nonce"/>) that filters rows and refreshes them on each
    /// /events update. In three parts so that the rows, the large part, are rendered once per batch.
    /// </summary>
    public static string PageStart() =>
        Head("ScenarioEngine") +
        "<h1>Scenarios</h1>\n<p>Show: <button data-f=\"all\" class=\"on\">all</button><button data-f=\"failed\">failed</button>" +
        "<button data-f=\"changed\">changed</button><button data-f=\"new\">new</button> <span id=\"live\">live</span></p>\n" +
        "<div id=\"rows\">";

    /// <inheritdoc cref="PageStart"/>
    public static string PageEnd(string nonce) =>
        "</div>\n" +
        $"<script nonce=\"{nonce}\">" + """
        let f='all';
        function apply(){for(const tr of document.querySelectorAll('tr.row'))tr.hidden=!(f==='all'||tr.classList.contains('s-'+f));}
        for(const b of document.querySelectorAll('button[data-f]'))b.onclick=()=>{f=b.dataset.f;for(const o of document.querySelectorAll('button[data-f]'))o.classList.toggle('on',o===b);apply();};
        const es=new EventSource('/events');
        es.addEventListener('update',async()=>{const r=await fetch('/rows');if(r.ok){document.getElementById('rows').innerHTML=await r.text();apply();}});
        es.onerror=()=>{document.getElementById('live').textContent='reconnecting';};
        es.onopen=()=>{document.getElementById('live').textContent='live';};
        """ + "</script>\n";

    /// <summary>
    /// A report as HTML: Markdig with pipe tables and raw HTML disabled. A report has no links of its
    /// own, so any link or image syntax in it came from the tree: it loses its target (an empty href,
    /// no src) and keeps its text.
    /// </summary>
    public static string Report(RunResult r)
    {
        var doc = Markdig.Markdown.Parse(r.Report, Markdown);
        foreach (var link in doc.Descendants<Markdig.Syntax.Inlines.LinkInline>())
        {
            link.Url = "";
            link.IsImage = false;
        }
        foreach (var auto in doc.Descendants<Markdig.Syntax.Inlines.AutolinkInline>().ToList())
            auto.ReplaceBy(new Markdig.Syntax.Inlines.LiteralInline(auto.Url));
        return Head(r.Title ?? r.Path) + Nav(r) + WithPictures(Markdig.Markdown.ToHtml(doc, Markdown), r.Svgs);
    }

    private const string MermaidOpen = "<pre><code class=\"language-mermaid\">";

    /// <summary>
    /// Each Mermaid block of the report, in order, becomes the SVG the engine drew from the same
    /// picture, with the block's text folded below it. Markdig escapes '&lt;' in code, so the
    /// marker cannot come from anything the report quotes.
    /// </summary>
    public static string WithPictures(string html, IReadOnlyList<string> svgs)
    {
        var sb = new StringBuilder(html.Length + svgs.Sum(s => s.Length));
        int at = 0;
        foreach (var svg in svgs)
        {
            int open = html.IndexOf(MermaidOpen, at, StringComparison.Ordinal);
            if (open < 0) break;
            int close = html.IndexOf("</code></pre>", open, StringComparison.Ordinal);
            if (close < 0) break;
            close += "</code></pre>".Length;
            sb.Append(html, at, open - at)
              .Append("<figure class=\"picture\">").Append(svg)
              .Append("<details><summary>Mermaid text (as the Markdown report holds it)</summary>").Append(html, open, close - open).Append("</details></figure>");
            at = close;
        }
        return sb.Append(html, at, html.Length - at).ToString();
    }

    /// <summary>
    /// The diff against the verified snapshot: unified, each line coloured as `git diff` colours it, or
    /// side by side (<paramref name="verified"/> non-null: the verified text, lines matched by DiffPlex).
    /// </summary>
    public static string Diff(RunResult r, string? verified = null)
    {
        var q = Uri.EscapeDataString(r.Path);
        var sb = new StringBuilder(Head("diff: " + r.Path)).Append(Nav(r));
        if (r.Snapshot == SnapshotStatus.Changed)
            sb.Append($"<p>View: <a href=\"/diff?path={q}\">unified</a> · <a href=\"/diff?path={q}&amp;view=split\">side by side</a></p>\n");
        switch (r.Snapshot)
        {
            case SnapshotStatus.Changed when verified is not null:
                var model = DiffPlex.DiffBuilder.SideBySideDiffBuilder.Diff(verified, r.Report, ignoreWhiteSpace: false);
                sb.Append("<table class=\"split\"><tr><th></th><th>verified</th><th></th><th>received</th></tr>\n");
                for (int i = 0; i < Math.Max(model.OldText.Lines.Count, model.NewText.Lines.Count); i++)
                {
                    var o = i < model.OldText.Lines.Count ? model.OldText.Lines[i] : null;
                    var n = i < model.NewText.Lines.Count ? model.NewText.Lines[i] : null;
                    sb.Append("<tr>").Append(Side(o, "del")).Append(Side(n, "ins")).Append("</tr>\n");
                }
                sb.Append("</table>\n");
                break;
            case SnapshotStatus.Changed:
                sb.Append("<pre class=\"diff\">");
                foreach (var line in (r.Diff ?? "").Split('\n'))
                {
                    var cls = line.StartsWith("@@", StringComparison.Ordinal) ? "hunk"
                        : line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("+++", StringComparison.Ordinal) ? null
                        : line.StartsWith('-') ? "del" : line.StartsWith('+') ? "ins" : null;
                    sb.Append(cls is null ? H(line) + "\n" : $"<span class=\"{cls}\">{H(line)}</span>");
                }
                sb.Append("</pre>\n");
                break;
            case SnapshotStatus.New:
                sb.Append("<p class=\"new\">new: no verified snapshot yet</p>\n");
                break;
            default:
                sb.Append("<p class=\"matched\">matched: the report equals its verified snapshot</p>\n");
                break;
        }
        return sb.ToString();
    }

    private static string Side(DiffPlex.DiffBuilder.Model.DiffPiece? p, string changed)
    {
        if (p is null || p.Type == DiffPlex.DiffBuilder.Model.ChangeType.Imaginary) return "<td class=\"num\"></td><td></td>";
        var cls = p.Type is DiffPlex.DiffBuilder.Model.ChangeType.Unchanged ? "" : $" class=\"{changed}\"";
        return $"<td class=\"num\">{p.Position}</td><td{cls}><code>{H(p.Text ?? "")}</code></td>";
    }

    private static string Count(string cls, int n) => $"<span class=\"count {cls}\">{n} {cls}</span>";

    private static string Head(string title) =>
        $"<!doctype html>\n<meta charset=\"utf-8\">\n<title>{H(title)}</title>\n<style>{Style}</style>\n";

    private static string Nav(RunResult r)
    {
        var q = Uri.EscapeDataString(r.Path);
        return $"<p><a href=\"/\">all scenarios</a> · {H(r.Path)} · <a href=\"/report?path={q}\">report</a> (<a href=\"/report.md?path={q}\">Markdown</a>) · <a href=\"/diff?path={q}\">diff</a> (<a href=\"/diff.txt?path={q}\">text</a>)</p>\n";
    }

    private static string H(string s) => WebUtility.HtmlEncode(Display.Controls(s));
}
