using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Host.Watch;

namespace ScenarioEngine.Tests;

/// <summary>
/// The dashboard as a user meets it: Debian's Chromium, headless, driven over the DevTools protocol
/// (a WebSocket; no driver package). It loads the page, sees the rendered report table, sees the list
/// change by itself after a file edit (server-sent events), and keeps a screenshot under artifacts/.
/// `.ci/run` installs chromium; on a machine without it the test is skipped outside CI and fails under CI.
/// </summary>
public class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task The_dashboard_in_chromium_renders_reports_updates_live_after_an_edit_and_is_kept_as_a_screenshot()
    {
        Requires.Tool(File.Exists(Chromium), Chromium, "apt-get install chromium");
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  iommu.domain_alloc(soc.device('display'), 'unmanaged')\n  expect.eq(1, 2, 'fails first')\n");
        using var host = WatchCommand.Build(new WatchOptions
        {
            ScenariosRoot = Path.Combine(tree.Root, "scenarios"),
            Debounce = TimeSpan.FromMilliseconds(20),
            Jobs = 1,
            Urls = "http://127.0.0.1:0",
        }, l => l.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync().WaitAsync(Bound);
        try
        {
            var address = await host.Services.GetServices<IHostedService>().OfType<ResultsServer>().Single().Ready.WaitAsync(Bound);
            // the first run has been published before the browser asks for its report
            var worker = host.Services.GetRequiredService<WatchWorker>();
            var deadline = DateTime.UtcNow + Bound;
            while (worker.Latest.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Single(worker.Latest);
            await using var browser = await Browser.Start(tree.Root);
            await using var page = await browser.Open(address + "report?path=scenarios%2Ft%2Fa.yaml");
            // the report is rendered: its Steps table is an HTML table with the call in it
            Assert.True(await page.WaitFor("[...document.querySelectorAll('table td')].some(td => td.textContent.includes('iommu.domain_alloc'))"));
            // the pictures: the topology and the IOVA map are SVG elements laid out with a size
            Assert.Equal("2", await page.Evaluate("document.querySelectorAll('figure.picture svg').length"));
            Assert.Equal("True", await page.Evaluate("[...document.querySelectorAll('figure.picture svg')].every(s => s.getBoundingClientRect().width > 100)"));
            Assert.Equal("True", await page.Evaluate("[...document.querySelectorAll('svg text')].some(t => t.textContent === 'group0')"));
            await page.Evaluate("document.querySelector('figure.picture').scrollIntoView()");
            Directory.CreateDirectory(Path.Combine(RepoRoot.Path, "artifacts"));
            await File.WriteAllBytesAsync(Path.Combine(RepoRoot.Path, "artifacts", "report.png"), await page.Screenshot());

            await page.Navigate(address.ToString());
            Assert.True(await page.WaitFor("document.getElementById('counts') && document.getElementById('counts').textContent.includes('1 failed')"));
            Assert.True(await page.WaitFor("document.getElementById('live').textContent === 'live'"));
            tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1, 'passes now')\n");
            // no reload: the list changes by itself
            Assert.True(await page.WaitFor("document.getElementById('counts').textContent.includes('1 passed')"), "the list did not update after the edit");
            Assert.Equal("complete", await page.Evaluate("document.readyState"));
            // the filters: "failed" hides the passing row, "all" shows it again
            Assert.Equal("True", await page.Evaluate("document.querySelector('button[data-f=failed]').click(), document.querySelector('tr.row').hidden"));
            Assert.Equal("False", await page.Evaluate("document.querySelector('button[data-f=all]').click(), document.querySelector('tr.row').hidden"));

            var shot = Path.Combine(RepoRoot.Path, "artifacts", "dashboard.png");
            Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
            var png = await page.Screenshot();
            Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
            await File.WriteAllBytesAsync(shot, png);
        }
        finally
        {
            await host.StopAsync().WaitAsync(Bound);
        }
    }

    /// <summary>Headless Chromium with a DevTools endpoint on a free port, in its own profile folder.</summary>
    private sealed class Browser : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Uri _http;
        private readonly string _profile;

        private Browser(Process process, Uri http, string profile) { _process = process; _http = http; _profile = profile; }

        public static async Task<Browser> Start(string root)
        {
            var profile = Path.Combine(root, "chromium-profile");
            var psi = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--window-size=1200,800",
                         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank" })
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            _ = p.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow + Bound;
            while (DateTime.UtcNow < deadline)
            {
                var line = await p.StandardError.ReadLineAsync().WaitAsync(Bound);
                if (line is null) break;
                const string Marker = "DevTools listening on ws://";
                var i = line.IndexOf(Marker, StringComparison.Ordinal);
                if (i < 0) continue;
                var ws = new Uri("ws://" + line[(i + Marker.Length)..].Trim());
                _ = DrainAsync(p.StandardError);
                return new Browser(p, new Uri($"http://{ws.Authority}/"), profile);
            }
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException("chromium did not print its DevTools address");
        }

        private static async Task DrainAsync(StreamReader r) { while (await r.ReadLineAsync() is not null) { } }

        /// <summary>A new tab at the URL, with its own DevTools connection.</summary>
        public async Task<Page> Open(string url)
        {
            using var http = new HttpClient { BaseAddress = _http, Timeout = Bound };
            var req = new HttpRequestMessage(HttpMethod.Put, "json/new?" + Uri.EscapeDataString(url));
            using var doc = JsonDocument.Parse(await (await http.SendAsync(req)).Content.ReadAsStringAsync());
            var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri(doc.RootElement.GetProperty("webSocketDebuggerUrl").GetString()!), CancellationToken.None).WaitAsync(Bound);
            return new Page(ws);
        }

        public ValueTask DisposeAsync()
        {
            try { _process.Kill(entireProcessTree: true); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
            _process.Dispose();
            try { Directory.Delete(_profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>One tab over the DevTools protocol: commands by id, events skipped.</summary>
    private sealed class Page(ClientWebSocket ws) : IAsyncDisposable
    {
        private int _id;

        private async Task<JsonElement> Call(string method, object parameters)
        {
            int id = ++_id;
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
            await ws.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Bound);
            var buffer = new byte[1 << 16];
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Bound);
                    message.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                using var doc = JsonDocument.Parse(message.ToArray());
                if (doc.RootElement.TryGetProperty("id", out var got) && got.GetInt32() == id)
                {
                    if (doc.RootElement.TryGetProperty("error", out var err)) throw new InvalidOperationException(err.ToString());
                    return doc.RootElement.GetProperty("result").Clone();
                }
            }
        }

        public async Task<string?> Evaluate(string expression)
        {
            var r = await Call("Runtime.evaluate", new { expression, returnByValue = true });
            var v = r.GetProperty("result");
            return v.TryGetProperty("value", out var value) ? value.ToString() : null;
        }

        /// <summary>Polls a boolean expression until it holds (true) or the bound passes (false).</summary>
        public async Task<bool> WaitFor(string expression)
        {
            var deadline = DateTime.UtcNow + Bound;
            while (DateTime.UtcNow < deadline)
            {
                if (await Evaluate($"Boolean({expression})") == "True") return true;
                await Task.Delay(100);
            }
            return false;
        }

        public Task Navigate(string url) => Call("Page.navigate", new { url });

        public async Task<byte[]> Screenshot()
        {
            var r = await Call("Page.captureScreenshot", new { format = "png" });
            return Convert.FromBase64String(r.GetProperty("data").GetString()!);
        }

        public async ValueTask DisposeAsync()
        {
            try { await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException) { }
            ws.Dispose();
        }
    }
}
