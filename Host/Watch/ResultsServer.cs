using ScenarioEngine.Record;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Model;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// `scenario watch --urls http://127.0.0.1:PORT`: a read-only view of the service's latest results on
/// Kestrel (ASP.NET Core's server, from the shared framework), loopback only. GET / (the dashboard,
/// <see cref="Dashboard"/>), GET /rows (its live part), GET /events (server-sent events: "update" after
/// each batch), GET /api/results (the `--format json` document), GET /report?path=P (the latest report
/// as HTML; /report.md the Markdown), GET /diff?path=P (the coloured diff against the verified
/// snapshot; /diff.txt the text). Every other method is 405: nothing here writes anything. Kestrel answers every malformed request itself (400, 411, 413, 414, 431) and
/// drops clients that read slower than its minimum data rate; each request is served on its own, so
/// one slow reader stalls nobody else. A failure of the server (the port is taken) stops the service
/// with exit code 1.
/// </summary>
public sealed class ResultsServer(WatchOptions options, WatchWorker worker, ILogger<ResultsServer> log) : BackgroundService
{
    public static readonly EventId Serving = new(8, "Serving");
    public static readonly EventId ServerFailed = new(9, "ServerFailed");

    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the address the server listens on once it accepts requests (tests give port 0).</summary>
    public Task<Uri> Ready => _ready.Task;

    /// <summary>
    /// A URL is usable when it is http://, names a loopback host (127.0.0.0/8, [::1], localhost; an
    /// IPv4-mapped IPv6 address is refused, it is not what it looks like) and has no path, query or
    /// user part (the service serves at the root).
    /// </summary>
    public static string? Check(string url)
    {
        if (url.Length > 200 || !Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme != "http")
            return $"--urls: '{Display.Clip(url, 200)}' is not an http:// URL";
        if (u.HostNameType == UriHostNameType.IPv6 && IPAddress.TryParse(u.Host.Trim('[', ']'), out var a6) && a6.IsIPv4MappedToIPv6)
            return $"--urls: '{url}' is an IPv4-mapped IPv6 address; give 127.0.0.1 or [::1]";
        if (!u.IsLoopback) return $"--urls: '{url}' is not a loopback address; the results are served on 127.0.0.1, [::1] or localhost only";
        if (u.AbsolutePath != "/" || u.Query.Length > 0 || u.Fragment.Length > 0 || u.UserInfo.Length > 0)
            return $"--urls: '{url}' has a path, query or user part; give only http://HOST:PORT (the results are served at the root)";
        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        if (options.Urls is null) return;
        var u = new Uri(options.Urls);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "scenario-watch" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            var ip = u.IsLoopback && u.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(u.Host.Trim('[', ']'));
            k.Listen(ip, u.Port);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxConcurrentConnections = 64;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            k.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
        });
        _stop = stop;
        await using var app = builder.Build();
        app.Run(Answer);
        try
        {
            await app.StartAsync(stop);
            var address = new Uri(app.Urls.First());
            log.LogInformation(Serving, "serving results on {Url}", address);
            _ready.TrySetResult(address);
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            log.LogError(ServerFailed, e, "the results server failed: {Message}", e.Message);
            _ready.TrySetException(e);
            throw;
        }
        finally
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        }
    }

    private async Task Answer(HttpContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        var latest = worker.Latest.Values.OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
        RunResult? Find() => req.Query["path"].ToString() is { Length: > 0 and < 1024 } p ? latest.FirstOrDefault(r => r.Path == p) : null;
        if (options.AllowApprove && req.Method == "POST" && req.Path.Value == "/approve")
        {
            await Approve(ctx, Find());
            return;
        }
        if (req.Method is not ("GET" or "HEAD"))
        {
            res.Headers.Allow = options.AllowApprove ? "GET, HEAD, POST" : "GET, HEAD";
            await Send(ctx, 405, "text/plain", options.AllowApprove ? "only GET and HEAD, and POST /approve\n" : "read-only: only GET and HEAD\n");
            return;
        }
        switch (req.Path.Value)
        {
            case "/":
                var nonce = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
                res.Headers.ContentSecurityPolicy = $"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; connect-src 'self'";
                await Send(ctx, 200, "text/html", Dashboard.Page(latest, worker.Runs, nonce, options.AllowApprove));
                break;
            case "/rows":
                await Send(ctx, 200, "text/html", Dashboard.Rows(latest, worker.Runs, options.AllowApprove));
                break;
            case "/events":
                await Events(ctx);
                break;
            case "/api/results":
                await Send(ctx, 200, "application/json", JsonReport.Render(latest));
                break;
            case "/report" when Find() is { } r:
                await Send(ctx, 200, "text/html", Dashboard.Report(r));
                break;
            case "/report.md" when Find() is { } r:
                await Send(ctx, 200, "text/markdown", r.Report);
                break;
            case "/diff" when Find() is { } r:
                await Send(ctx, 200, "text/html", Dashboard.Diff(r, req.Query["view"] == "split" ? Verified(r) : null));
                break;
            case "/diff.txt" when Find() is { } r:
                await Send(ctx, 200, "text/plain", r.Snapshot switch
                {
                    SnapshotStatus.Changed => r.Diff ?? "",
                    SnapshotStatus.New => "new: no verified snapshot yet\n",
                    _ => "matched: the report equals its verified snapshot\n",
                });
                break;
            default:
                await Send(ctx, 404, "text/plain", "not found\n");
                break;
        }
    }

    /// <summary>
    /// POST /approve?path=P (only with --allow-approve): the scenario's latest received report becomes its
    /// verified snapshot (<see cref="Snapshots.SnapshotStore.Approve"/>, under the folder's lock), then a
    /// redirect to the list. Only the page itself may ask: the Origin and Host headers must both name the
    /// address this server listens on (a cross-site form, or a DNS-rebound name, is refused with 403),
    /// and the request carries no body.
    /// </summary>
    private async Task Approve(HttpContext ctx, RunResult? r)
    {
        var self = _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;
        var origin = ctx.Request.Headers.Origin.ToString();
        var host = ctx.Request.Host.Value;
        bool sameOrigin = self is not null && (host == self.Authority || (self.IsLoopback && host == $"localhost:{self.Port}"))
                          && (origin == $"http://{host}");
        if (!sameOrigin)
        {
            await Send(ctx, 403, "text/plain", "approve is accepted only from this server's own page (Origin and Host)\n");
            return;
        }
        if (r is null) { await Send(ctx, 404, "text/plain", "no such scenario\n"); return; }
        if (r.Snapshot is not (SnapshotStatus.Changed or SnapshotStatus.New))
        {
            await Send(ctx, 409, "text/plain", "nothing to approve: the report matches its verified snapshot\n");
            return;
        }
        try
        {
            Snapshots.SnapshotStore.Approve([r.FullPath], options.SnapshotsDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Send(ctx, 409, "text/plain", $"approve failed: {Display.Clip(Display.Controls(e.Message), 300)}\n");
            return;
        }
        log.LogInformation(Approved, "approved {Scenario} from the served page", Display.Controls(r.Path));
        ctx.Response.Headers.Location = "/";
        await Send(ctx, 303, "text/plain", "approved\n");
    }

    public static readonly EventId Approved = new(11, "Approved");

    /// <summary>The verified snapshot's text for the side-by-side view: a regular file inside the tree, read within the input size limit; else null.</summary>
    private string? Verified(RunResult r)
    {
        if (r.Snapshot != SnapshotStatus.Changed) return null;
        var (verified, _) = Snapshots.SnapshotStore.PathsFor(r.FullPath, options.SnapshotsDir);
        try
        {
            if (new FileInfo(verified).Attributes.HasFlag(FileAttributes.ReparsePoint)) return null;
            return Yaml.InputFiles.ReadInside(verified, Model.ProjectLayout.For(r.FullPath, options.SnapshotsDir).SnapshotsRoot, Yaml.InputFiles.MaxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Server-sent events: "update" after every batch the worker publishes, a comment every 15 s so
    /// proxies and the browser keep the stream; at most <see cref="MaxStreams"/> at once (more get 503).
    /// </summary>
    private async Task Events(HttpContext ctx)
    {
        if (Interlocked.Increment(ref _streams) > MaxStreams)
        {
            Interlocked.Decrement(ref _streams);
            await Send(ctx, 503, "text/plain", "too many event streams\n");
            return;
        }
        var updates = System.Threading.Channels.Channel.CreateBounded<int>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest });
        void OnBatch(IReadOnlyList<RunResult> _) => updates.Writer.TryWrite(0);
        worker.BatchCompleted += OnBatch;
        try
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/event-stream; charset=utf-8";
            ctx.Response.Headers.CacheControl = "no-cache";
            ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
            if (HttpMethods.IsHead(ctx.Request.Method)) return;
            // the stream ends with the client or with the service (Kestrel's stop would otherwise wait for it)
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stop);
            var abort = both.Token;
            await ctx.Response.WriteAsync(": connected\n\n", abort);
            await ctx.Response.Body.FlushAsync(abort);
            int n = 0;
            while (!abort.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(abort);
                tick.CancelAfter(TimeSpan.FromSeconds(15));
                string message;
                try
                {
                    await updates.Reader.ReadAsync(tick.Token);
                    message = $"event: update\ndata: {++n}\n\n";
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested) { message = ": keep-alive\n\n"; }
                await ctx.Response.WriteAsync(message, abort);
                await ctx.Response.Body.FlushAsync(abort);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            worker.BatchCompleted -= OnBatch;
            Interlocked.Decrement(ref _streams);
        }
    }

    private const int MaxStreams = 16;
    private int _streams;
    private CancellationToken _stop;

    private static Task Send(HttpContext ctx, int status, string type, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type + "; charset=utf-8";
        ctx.Response.ContentLength = bytes.Length;
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        // HTML pages run no script but the dashboard's own (which sets its nonce policy first)
        if (type == "text/html" && ctx.Response.Headers.ContentSecurityPolicy.Count == 0)
            ctx.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        return HttpMethods.IsHead(ctx.Request.Method) ? Task.CompletedTask : ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).AsTask();
    }
}
