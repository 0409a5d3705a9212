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
/// snapshot; /diff.txt the text). Every other method is 405: nothing here writes anything.
/// A machine is shared, so the server answers only what a local user's own browser should reach and
/// no one local client can deny it to others:
/// - every request must name a loopback host (127.0.0.0/8, [::1], localhost, or the host of --urls):
///   a web page whose name was rebound to 127.0.0.1 (DNS rebinding) gets 403, on every path;
/// - the results document and the dashboard's rows are rendered once per batch and shared by every
///   request (64 parallel /api/results took the service from 336 MiB to 2.8 GiB when each rendered
///   its own); the per-scenario pages render at most <see cref="HeavyAtOnce"/> at a time (others wait
///   up to <see cref="HeavyWait"/>, then 503);
/// - connections are never refused: over <see cref="WatchOptions.MaxConnections"/> the one idle the
///   longest is closed (<see cref="ConnectionTable"/>); headers must arrive within
///   <see cref="HeadersTimeout"/> and a kept-alive connection is closed after <see cref="KeepAliveTimeout"/>
///   idle, so a reconnecting slow client cannot starve others;
/// - Kestrel answers every malformed request itself (400, 411, 413, 414, 431) and drops clients that
///   read slower than its minimum data rate; each request is served on its own.
/// A failure of the server (the port is taken) stops the service with exit code 1.
/// </summary>
public sealed class ResultsServer(WatchOptions options, WatchWorker worker, ILogger<ResultsServer> log) : BackgroundService
{
    public static readonly EventId Serving = new(8, "Serving");
    public static readonly EventId ServerFailed = new(9, "ServerFailed");

    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long a client may take to send a request's headers.</summary>
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(5);
    /// <summary>How long a kept-alive connection may stay idle between requests.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(10);
    /// <summary>Per-scenario pages (a report as HTML, a diff) rendered at once; the rest wait.</summary>
    public const int HeavyAtOnce = 2;
    /// <summary>How long a per-scenario page waits for its turn before it is answered 503.</summary>
    public static readonly TimeSpan HeavyWait = TimeSpan.FromSeconds(10);

    /// <summary>Clients sent the results document at once; the rest wait.</summary>
    public const int DocumentsAtOnce = 4;
    private readonly Gate _heavy = new(HeavyAtOnce), _documents = new(DocumentsAtOnce);
    private ConnectionTable? _connections;

    /// <summary>The open connections (tests).</summary>
    internal ConnectionTable? Connections => _connections;

    /// <summary>The most per-scenario pages rendered at once so far (tests).</summary>
    internal int MostRendering => _heavy.Most;

    /// <summary>The most clients sent the results document at once so far (tests).</summary>
    internal int MostSending => _documents.Most;

    /// <summary>Results documents rendered so far (tests: one per batch, however many requests).</summary>
    internal int Renders => _renders;
    private int _renders;

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
        _configuredHost = u.Host.Trim('[', ']');
        _connections = new ConnectionTable(options.MaxConnections);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var ip = u.IsLoopback && u.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(u.Host.Trim('[', ']'));
            k.Listen(ip, u.Port, listen => listen.Use(_connections.Middleware));
            Limit(k);
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

    /// <summary>Kestrel's limits for this server (the tests read them back from a configured instance).</summary>
    internal static void Limit(KestrelServerOptions k)
    {
        k.AddServerHeader = false;
        k.Limits.MaxRequestBodySize = 0;
        k.Limits.MaxRequestLineSize = 8 * 1024;
        k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        k.Limits.MaxConcurrentConnections = null; // never refused: ConnectionTable makes room instead
        k.Limits.RequestHeadersTimeout = HeadersTimeout;
        k.Limits.KeepAliveTimeout = KeepAliveTimeout;
        k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(2));
        k.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
    }

    private string? _configuredHost;

    /// <summary>
    /// Whether a request's Host header names this machine's loopback: an IP literal in 127.0.0.0/8 or
    /// [::1] (as a browser writes it), localhost, or the host given with --urls. Any port: a tunnel
    /// (ssh -L 8080:127.0.0.1:5080) still works. A name that merely resolves to 127.0.0.1 does not:
    /// that is what DNS rebinding relies on.
    /// </summary>
    internal bool AllowedHost(HostString host)
    {
        if (!host.HasValue) return false;
        var name = host.Host.Trim('[', ']');
        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (_configuredHost is { } own && string.Equals(name, own, StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip) && !ip.IsIPv4MappedToIPv6
            && string.Equals(ip.ToString(), name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The latest results as served: sorted once, and the large documents rendered once, per batch.</summary>
    private sealed class View
    {
        public View(IReadOnlyDictionary<string, RunResult> latest, IReadOnlyDictionary<string, LastRun> runs, bool approve, ResultsServer server)
        {
            Key = latest;
            Sorted = latest.Values.OrderBy(r => r.Path, StringComparer.Ordinal).ToList();
            ByPath = Sorted.GroupBy(r => r.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            Json = new Lazy<Task<byte[]>>(() => Task.Run(() =>
            {
                Interlocked.Increment(ref server._renders);
                return Encoding.UTF8.GetBytes(JsonReport.Render(Sorted));
            }));
            Rows = new Lazy<Task<byte[]>>(() => Task.Run(() => Encoding.UTF8.GetBytes(Dashboard.Rows(Sorted, runs, approve))));
        }

        public IReadOnlyDictionary<string, RunResult> Key { get; }
        public List<RunResult> Sorted { get; }
        public Dictionary<string, RunResult> ByPath { get; }
        public Lazy<Task<byte[]>> Json { get; }
        public Lazy<Task<byte[]>> Rows { get; }
    }

    private View? _view;

    private View Current()
    {
        var latest = worker.Latest;
        var view = Volatile.Read(ref _view);
        if (view is not null && ReferenceEquals(view.Key, latest)) return view;
        var fresh = new View(latest, worker.Runs, options.AllowApprove, this);
        // two requests racing at a new batch may both make one; the first stored wins, so both share its renders
        var stored = Interlocked.CompareExchange(ref _view, fresh, view);
        return ReferenceEquals(stored, view) ? fresh : Current();
    }

    private static readonly byte[] PageStart = Encoding.UTF8.GetBytes(Dashboard.PageStart());

    private async Task Answer(HttpContext ctx)
    {
        using var serving = _connections?.Serving(ctx.Connection.Id) ?? default;
        var req = ctx.Request;
        var res = ctx.Response;
        if (!AllowedHost(req.Host))
        {
            await Send(ctx, 403, "text/plain", "this server answers only requests to its own loopback address (Host: 127.0.0.1, [::1] or localhost)\n");
            return;
        }
        var view = Current();
        RunResult? Find() => req.Query["path"].ToString() is { Length: > 0 and < 1024 } p && view.ByPath.TryGetValue(p, out var r) ? r : null;
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
                await Send(ctx, 200, "text/html", PageStart, await view.Rows.Value, Encoding.UTF8.GetBytes(Dashboard.PageEnd(nonce)));
                break;
            case "/rows":
                await Send(ctx, 200, "text/html", await view.Rows.Value);
                break;
            case "/events":
                await Events(ctx);
                break;
            case "/api/results":
                await Document(ctx, view);
                break;
            case "/report" when Find() is { } r:
                await Heavy(ctx, () => Send(ctx, 200, "text/html", Dashboard.Report(r)));
                break;
            case "/report.md" when Find() is { } r:
                await Send(ctx, 200, "text/markdown", r.Report);
                break;
            case "/diff" when Find() is { } r:
                await Heavy(ctx, () => Send(ctx, 200, "text/html", Dashboard.Diff(r, req.Query["view"] == "split" ? Verified(r) : null)));
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
    /// The results document, sent to at most <see cref="DocumentsAtOnce"/> clients at a time (others
    /// wait up to <see cref="HeavyWait"/>, then 503), each of which must read it at 64 KiB/s or more:
    /// 64 clients fetching it in a loop otherwise kept the processors busy copying it and a dashboard
    /// request waited behind them.
    /// </summary>
    private Task Document(HttpContext ctx, View view) => Gated(ctx, _documents, "busy sending the results to other clients", async () =>
    {
        if (ctx.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IHttpMinResponseDataRateFeature>() is { } rate)
            rate.MinDataRate = new MinDataRate(bytesPerSecond: 64 * 1024, gracePeriod: TimeSpan.FromSeconds(5));
        await Send(ctx, 200, "application/json", await view.Json.Value);
    });

    /// <summary>
    /// A per-scenario page rendered in its turn: at most <see cref="HeavyAtOnce"/> at once, so parallel
    /// requests for large reports cannot take the service's memory or its processors from the rest.
    /// </summary>
    private Task Heavy(HttpContext ctx, Func<Task> render) => Gated(ctx, _heavy, "busy rendering other pages", render);

    private async Task Gated(HttpContext ctx, Gate gate, string busy, Func<Task> serve)
    {
        bool entered;
        try { entered = await gate.Slots.WaitAsync(HeavyWait, ctx.RequestAborted); }
        catch (OperationCanceledException) { return; }
        if (!entered)
        {
            ctx.Response.Headers.RetryAfter = "1";
            await Send(ctx, 503, "text/plain", busy + "; try again\n");
            return;
        }
        gate.Enter();
        try { await serve(); }
        finally { gate.Leave(); }
    }

    /// <summary>A bounded number of requests of one kind at once, and the most seen inside (tests).</summary>
    internal sealed class Gate(int slots)
    {
        private int _inside, _most;
        public SemaphoreSlim Slots { get; } = new(slots);
        public int Most => Volatile.Read(ref _most);

        public void Enter()
        {
            int now = Interlocked.Increment(ref _inside);
            for (int seen = Most; now > seen && Interlocked.CompareExchange(ref _most, now, seen) != seen; seen = Most) { }
        }

        public void Leave()
        {
            Interlocked.Decrement(ref _inside);
            Slots.Release();
        }
    }

    /// <summary>
    /// POST /approve?path=P (only with --allow-approve): the scenario's latest received report becomes its
    /// verified snapshot (<see cref="Snapshots.SnapshotStore.Approve"/>, under the folder's lock), then a
    /// redirect to the list. Only the page itself may ask: the Host names this machine's loopback (checked
    /// for every request) and the Origin is that same host (a cross-site form is refused with 403).
    /// The request declares no body (413 otherwise: the button's form sends none).
    /// </summary>
    private async Task Approve(HttpContext ctx, RunResult? r)
    {
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            ctx.Response.Headers.Connection = "close";
            await Send(ctx, 413, "text/plain", "POST /approve takes no body\n");
            return;
        }
        var origin = ctx.Request.Headers.Origin.ToString();
        if (origin != $"http://{ctx.Request.Host.Value}")
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
            var layout = ProjectLayout.For(r.FullPath, options.SnapshotsDir);
            await Send(ctx, 409, "text/plain", $"approve failed: {Display.Clip(Display.Controls(layout.Relative(e.Message)), 300)}\n");
            return;
        }
        log.LogInformation(Approved, "approved {Scenario} from the served page", Display.Controls(r.Path));
        ctx.Response.Headers.Location = "/";
        await Send(ctx, 303, "text/plain", "approved\n");
    }

    public static readonly EventId Approved = new(11, "Approved");

    /// <summary>The verified snapshot's text for the side-by-side view, read by the rule a run's comparison follows; else null.</summary>
    private string? Verified(RunResult r)
    {
        if (r.Snapshot != SnapshotStatus.Changed) return null;
        try { return Snapshots.SnapshotStore.ReadVerified(r.FullPath, options.SnapshotsDir); }
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

    private static Task Send(HttpContext ctx, int status, string type, string body) => Send(ctx, status, type, Encoding.UTF8.GetBytes(body));

    /// <summary>Sends a body made of parts (shared, cached arrays are never copied).</summary>
    private static async Task Send(HttpContext ctx, int status, string type, params byte[][] parts)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type + "; charset=utf-8";
        ctx.Response.ContentLength = parts.Sum(p => (long)p.Length);
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        // HTML pages run no script but the dashboard's own (which sets its nonce policy first)
        if (type == "text/html" && ctx.Response.Headers.ContentSecurityPolicy.Count == 0)
            ctx.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        if (HttpMethods.IsHead(ctx.Request.Method)) return;
        try
        {
            foreach (var part in parts) await ctx.Response.Body.WriteAsync(part, ctx.RequestAborted);
        }
        catch (OperationCanceledException) { } // the client went away
        catch (IOException) { }
    }
}
