using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// `scenario watch --urls http://127.0.0.1:PORT`: a read-only view of the service's latest results
/// (HttpListener, loopback only). GET / (a page), GET /api/results (the `--format json` document of
/// CONTRACT §7), GET /report?path=P (the latest report, Markdown), GET /diff?path=P (the diff against
/// the verified snapshot). Every other method is 405: nothing here writes anything.
/// </summary>
public sealed class ResultsServer(WatchOptions options, WatchWorker worker, ILogger<ResultsServer> log) : BackgroundService
{
    public static readonly EventId Serving = new(8, "Serving");

    /// <summary>A URL is usable when it is http:// and names a loopback host.</summary>
    public static string? Check(string url) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "http" ? $"--urls: '{url}' is not an http:// URL"
        : !u.IsLoopback ? $"--urls: '{url}' is not a loopback address; the results are served on 127.0.0.1, [::1] or localhost only"
        : null;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (options.Urls is null) return;
        using var listener = new HttpListener();
        var u = new Uri(options.Urls);
        listener.Prefixes.Add($"http://{u.Host}:{u.Port}/");
        listener.Start();
        log.LogInformation(Serving, "serving results on {Url}", options.Urls);
        using var reg = stop.Register(listener.Stop);
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && stop.IsCancellationRequested) { break; }
            try { Answer(ctx); }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
            finally { ctx.Response.Close(); }
        }
    }

    private void Answer(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        if (req.HttpMethod is not ("GET" or "HEAD"))
        {
            res.AddHeader("Allow", "GET, HEAD");
            Send(res, 405, "text/plain", "read-only: only GET and HEAD\n");
            return;
        }
        var latest = worker.Latest.Values.OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        RunResult? Find() => latest.FirstOrDefault(r => r.Path == req.QueryString["path"]);
        switch (req.Url!.AbsolutePath)
        {
            case "/":
                Send(res, 200, "text/html", Page(latest));
                break;
            case "/api/results":
                Send(res, 200, "application/json", JsonReport.Render(latest));
                break;
            case "/report" when Find() is { } r:
                Send(res, 200, "text/markdown", r.Report);
                break;
            case "/diff" when Find() is { } r:
                Send(res, 200, "text/plain", r.Snapshot switch
                {
                    SnapshotStatus.Changed => r.Diff ?? "",
                    SnapshotStatus.New => "new: no verified snapshot yet\n",
                    _ => "matched: the report equals its verified snapshot\n",
                });
                break;
            default:
                Send(res, 404, "text/plain", "not found\n");
                break;
        }
    }

    private static string Page(IReadOnlyList<RunResult> results)
    {
        var sb = new StringBuilder("<!doctype html>\n<meta charset=\"utf-8\">\n<title>ScenarioEngine</title>\n<h1>Scenarios</h1>\n<table>\n<tr><th>scenario</th><th>result</th><th>snapshot</th><th></th></tr>\n");
        foreach (var r in results)
        {
            var q = Uri.EscapeDataString(r.Path);
            var result = r.Error is { } e ? $"failed: error {e.CodeText} at {e.Where}" : r.Passed ? "passed" : $"failed: {r.ExpectationsFailed} expectation(s)";
            sb.Append($"<tr><td>{WebUtility.HtmlEncode(r.Path)}</td><td>{WebUtility.HtmlEncode(result)}</td><td>{r.Snapshot.ToString().ToLowerInvariant()}</td>")
              .Append($"<td><a href=\"/report?path={q}\">report</a> <a href=\"/diff?path={q}\">diff</a></td></tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    private static void Send(HttpListenerResponse res, int status, string type, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        res.StatusCode = status;
        res.ContentType = type + "; charset=utf-8";
        res.ContentLength64 = bytes.Length;
        res.OutputStream.Write(bytes);
    }
}
