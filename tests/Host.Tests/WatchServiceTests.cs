using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using System.Text.RegularExpressions;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Host.Watch;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>
/// `scenario watch` as a hosted service on a temp tree: it re-runs an edited scenario (file-system
/// events and polling), and stops cleanly during a runaway run. Synchronised on the worker's batch
/// event, never on sleeps; every wait is bounded.
/// </summary>
public class WatchServiceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private sealed class Harness : IAsyncDisposable
    {
        public readonly TestTree Tree = new();
        public IHost Host = null!;
        public WatchWorker Worker = null!;
        public readonly BlockingCollection<IReadOnlyList<RunResult>> Batches = new();

        public async Task Start(TimeSpan? poll, Budgets? budgets = null, string? urls = null, bool allowApprove = false, TimeSpan? debounce = null)
        {
            Host = WatchCommand.Build(new WatchOptions
            {
                ScenariosRoot = Path.Combine(Tree.Root, "scenarios"),
                Poll = poll,
                Debounce = debounce ?? TimeSpan.FromMilliseconds(20),
                Jobs = 2,
                Budgets = budgets ?? Budgets.Default,
                Urls = urls,
                AllowApprove = allowApprove,
            }, l => l.SetMinimumLevel(LogLevel.Warning));
            Worker = Host.Services.GetRequiredService<WatchWorker>();
            Worker.BatchCompleted += b => Batches.Add(b);
            await Host.StartAsync().WaitAsync(Bound);
        }

        /// <summary>A client of the served results, once the server listens (the harness asks for port 0).</summary>
        public async Task<HttpClient> Client(bool redirects = true)
        {
            var address = await Host.Services.GetServices<IHostedService>().OfType<ResultsServer>().Single().Ready.WaitAsync(Bound);
            return new HttpClient(new HttpClientHandler { AllowAutoRedirect = redirects }) { BaseAddress = address, Timeout = Bound };
        }

        /// <summary>The next batch that ran the given scenario.</summary>
        public RunResult Next(string scenario)
        {
            var deadline = DateTime.UtcNow + Bound;
            while (DateTime.UtcNow < deadline)
                if (Batches.TryTake(out var b, deadline - DateTime.UtcNow) && b.FirstOrDefault(r => r.Path == scenario) is { } r) return r;
            throw new TimeoutException($"no run of {scenario} within {Bound}");
        }

        public async ValueTask DisposeAsync()
        {
            await Host.StopAsync().WaitAsync(Bound);
            Host.Dispose();
            Tree.Dispose();
        }
    }

    private static void Seed(TestTree tree)
    {
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1)\n");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_edited_scenario_is_rerun_and_reported_with_its_new_outcome(bool polling)
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(polling ? TimeSpan.FromMilliseconds(50) : null);
        Assert.True(h.Next("scenarios/t/a.yaml").Passed);
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 2, 'now wrong')\n");
        var r = h.Next("scenarios/t/a.yaml");
        Assert.Equal(1, r.ExpectationsFailed);
        Assert.False(h.Tree.Exists("snapshots/t/a.verified.md"));
        Assert.Equal(1, h.Worker.Latest.Values.Single().ExpectationsFailed);
    }

    [Fact]
    public async Task Under_polling_a_save_caught_half_way_is_not_run_until_its_content_has_been_quiet_for_the_debounce_time()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(TimeSpan.FromMilliseconds(50), debounce: TimeSpan.FromSeconds(3));
        Assert.True(h.Next("scenarios/t/a.yaml").Passed);
        // an editor that saves in place: the polls in between see a truncated file (not valid YAML)
        var edited = "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 2, 'edited')\n";
        var path = Path.Combine(h.Tree.Root, "scenarios/t/a.yaml");
        File.WriteAllText(path, edited[..24]);
        await Task.Delay(400); // eight polls see the half; none may run it (not a timed assertion: shorter only lets the test pass)
        File.WriteAllText(path, edited);
        var r = h.Next("scenarios/t/a.yaml");
        Assert.Null(r.Error);
        Assert.Equal(1, r.ExpectationsFailed);
        Assert.Equal(1, h.Worker.Latest.Values.Single().ExpectationsFailed);
    }

    [Fact]
    public async Task A_folder_event_rescans_the_tree_but_leaves_a_file_still_being_saved_to_its_own_quiet_time()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(null, debounce: TimeSpan.FromSeconds(4));
        Assert.True(h.Next("scenarios/t/a.yaml").Passed);
        var edited = "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 2, 'edited')\n";
        var path = Path.Combine(h.Tree.Root, "scenarios/t/a.yaml");
        File.WriteAllText(path, edited[..24]);                      // a save in progress, in place
        Directory.CreateDirectory(Path.Combine(h.Tree.Root, "scenarios/t2")); // a folder event: a rescan when quiet
        await Task.Delay(500);
        File.WriteAllText(path, edited[..30]);                      // still saving: its quiet time starts again
        Assert.True(h.Batches.TryTake(out var rescan, Bound));      // the folder's rescan
        Assert.DoesNotContain(rescan, x => x.Path == "scenarios/t/a.yaml");
        File.WriteAllText(path, edited);
        var r = h.Next("scenarios/t/a.yaml");
        Assert.Null(r.Error);
        Assert.Equal(1, r.ExpectationsFailed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_approve_turns_the_verdict_to_matched_without_a_run_and_a_deleted_scenario_leaves_with_its_received_file(bool polling)
    {
        await using var h = new Harness();
        Seed(h.Tree);
        h.Tree.Write("scenarios/t/b.yaml", "scenario: b\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(2, 2)\n");
        await h.Start(polling ? TimeSpan.FromMilliseconds(50) : null);
        var first = h.Next("scenarios/t/a.yaml");
        Assert.Equal(SnapshotStatus.New, first.Snapshot);
        Assert.True(h.Tree.Exists("snapshots/t/b.received.md"));

        SnapshotStore.Approve([Path.Combine(h.Tree.Root, "scenarios/t/a.yaml")], null);
        var approved = h.Next("scenarios/t/a.yaml");
        Assert.Equal(SnapshotStatus.Matched, approved.Snapshot);
        Assert.Same(first, approved);                                   // compared again, not re-run
        Assert.Equal(SnapshotStatus.Matched, h.Worker.Latest.Values.Single(r => r.Path == "scenarios/t/a.yaml").Snapshot);

        File.Delete(Path.Combine(h.Tree.Root, "scenarios/t/b.yaml"));
        var deadline = DateTime.UtcNow + Bound;
        while (h.Worker.Latest.Count != 1 && DateTime.UtcNow < deadline) h.Batches.TryTake(out _, TimeSpan.FromMilliseconds(200));
        Assert.Equal(["scenarios/t/a.yaml"], h.Worker.Latest.Values.Select(r => r.Path));
        Assert.False(h.Tree.Exists("snapshots/t/b.received.md"));
        Assert.True(h.Tree.Exists("snapshots/t/a.verified.md"));
    }

    [Fact]
    public async Task A_runaway_scenario_under_the_service_is_stopped_by_its_budget_and_the_service_goes_on()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(null, new Budgets(200_000, 64 << 20, TimeSpan.FromSeconds(20)));
        h.Next("scenarios/t/a.yaml");
        h.Tree.Write("scenarios/t/spin.yaml", "scenario: spin\nsoc: ../socs/tiny.yaml\nlua: |\n  while true do end\n");
        Assert.Equal(Yaml.ErrorCode.InstructionBudget, h.Next("scenarios/t/spin.yaml").Error!.Code);
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(2, 2, 'still served')\n");
        Assert.True(h.Next("scenarios/t/a.yaml").Passed);
        Assert.False(h.Worker.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task Stopping_during_a_runaway_run_cancels_it_and_the_service_ends()
    {
        var h = new Harness();
        Seed(h.Tree);
        h.Tree.Write("scenarios/t/spin.yaml", "scenario: spin\nsoc: ../socs/tiny.yaml\nlua: |\n  while true do end\n");
        await h.Start(null, new Budgets(long.MaxValue, 64 << 20, TimeSpan.FromMinutes(5)));
        await h.Host.StopAsync().WaitAsync(Bound);
        Assert.NotNull(h.Worker.ExecuteTask);
        await h.Worker.ExecuteTask!.WaitAsync(Bound);
        Assert.True(h.Worker.ExecuteTask.IsCompletedSuccessfully);
        h.Host.Dispose();
        h.Tree.Dispose();
    }

    [Fact]
    public async Task Hostile_HTTP_requests_each_get_an_answer_and_the_service_keeps_serving()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(null, urls: "http://127.0.0.1:0");
        h.Next("scenarios/t/a.yaml");
        var server = h.Host.Services.GetServices<IHostedService>().OfType<ResultsServer>().Single();
        var address = await server.Ready.WaitAsync(Bound);
        using var http = new HttpClient { BaseAddress = address, Timeout = Bound };

        Assert.Equal(405, (int)(await http.PostAsync("/", null)).StatusCode);
        Assert.Equal(405, (int)(await http.PostAsync("/", new StringContent("x"))).StatusCode);
        Assert.Equal(405, (int)(await http.DeleteAsync("/api/results")).StatusCode);
        Assert.Equal(414, (int)(await http.GetAsync("/" + new string('a', 20_000))).StatusCode);
        Assert.Equal(404, (int)(await http.GetAsync("/report?path=../../../../etc/passwd")).StatusCode);
        Assert.Equal(404, (int)(await http.GetAsync("/report?path=" + new string('a', 3000))).StatusCode);
        using (var big = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            big.Headers.Add("X-Big", new string('h', 100_000));
            Assert.Equal(431, (int)(await http.SendAsync(big)).StatusCode);
        }
        Assert.StartsWith("HTTP/1.1 400", await Raw(address, "GARBAGE\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 405", await Raw(address, "POST / HTTP/1.1\r\nHost: x\r\n\r\n"));

        // Idle and half-sent connections (a slow client) do not keep others waiting.
        var idle = new List<System.Net.Sockets.TcpClient>();
        for (int i = 0; i < 8; i++)
        {
            var c = new System.Net.Sockets.TcpClient();
            await c.ConnectAsync(address.Host, address.Port);
            await c.GetStream().WriteAsync("GET /api/results HTTP/1.1\r\nHo"u8.ToArray());
            idle.Add(c);
        }
        var page = await http.GetAsync("/");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Contains("scenarios/t/a.yaml", await page.Content.ReadAsStringAsync());
        Assert.Contains("\"scenarios\"", await http.GetStringAsync("/api/results"));
        foreach (var c in idle) c.Dispose();
        Assert.False(h.Worker.ExecuteTask!.IsCompleted);
    }

    private static async Task<string> Raw(Uri address, string request)
    {
        using var c = new System.Net.Sockets.TcpClient();
        await c.ConnectAsync(address.Host, address.Port);
        var stream = c.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Bound);
        int n = await stream.ReadAsync(buffer, cts.Token);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    }

    [Fact]
    public void A_service_stopped_by_an_error_exits_non_zero()
    {
        using var tree = new TestTree();
        Seed(tree);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var err = new StringWriter();
        var code = WatchCommand.Execute(new WatchOptions { ScenariosRoot = Path.Combine(tree.Root, "scenarios"), Urls = $"http://127.0.0.1:{port}", Jobs = 1 }, err);
        Assert.Equal(1, code);
    }

    [Theory]
    [InlineData("http://[::ffff:127.0.0.1]:5080", "IPv4-mapped")]
    [InlineData("http://127.0.0.1:5080/results", "has a path")]
    [InlineData("http://10.0.0.1:5080", "not a loopback")]
    [InlineData("https://127.0.0.1:5080", "not an http:// URL")]
    public void Urls_that_are_not_a_plain_loopback_root_are_refused_at_start(string url, string text)
    {
        var err = new StringWriter();
        var code = WatchCommand.Execute(new WatchOptions { ScenariosRoot = RepoRoot.Path, Urls = url }, err);
        Assert.Equal(2, code);
        Assert.Contains(text, err.ToString());
    }

    [Fact]
    public void Bad_options_are_refused_before_the_host_starts()
    {
        var err = new StringWriter();
        var code = WatchCommand.Execute(new WatchOptions { ScenariosRoot = "/no/such/folder", Jobs = 0, Poll = TimeSpan.FromMilliseconds(1), AllowApprove = true }, err);
        Assert.Equal(2, code);
        Assert.Contains("no such folder", err.ToString());
        Assert.Contains("--jobs must be between 1 and 256", err.ToString());
        Assert.Contains("--poll-ms must be 50..600000", err.ToString());
        Assert.Contains("--allow-approve needs --urls", err.ToString());
    }

    [Fact]
    public async Task After_a_churn_of_edits_renames_deletes_and_half_written_files_the_results_match_a_clean_run()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        for (int i = 0; i < 6; i++)
            h.Tree.Write($"scenarios/t/s{i}.yaml", $"scenario: s{i}\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq({i}, {i})\n");
        h.Tree.Write("snapshots/t/a.verified.md", "approved by a person\n");
        await h.Start(null);
        h.Next("scenarios/t/a.yaml");

        var rng = new Random(20261124);
        string Body(int n) => $"scenario: s{n}\nsoc: ../socs/tiny.yaml\nlua: |\n  local d = soc.device('apu')\n  expect.eq({n % 3}, {n % 2})\n";
        for (int op = 0; op < 300; op++)
        {
            var i = rng.Next(8);
            var rel = $"scenarios/t/s{i}.yaml";
            var path = Path.Combine(h.Tree.Root, rel);
            switch (rng.Next(6))
            {
                case 0: h.Tree.Write(rel, Body(op)); break;
                case 1: h.Tree.Write(rel, Body(op)[..rng.Next(1, Body(op).Length)]); break; // half-written
                case 2: if (File.Exists(path)) File.Delete(path); break;
                case 3:
                    var to = Path.Combine(h.Tree.Root, $"scenarios/t/s{rng.Next(8)}.yaml");
                    if (File.Exists(path) && !File.Exists(to)) File.Move(path, to);
                    break;
                case 4: h.Tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc + $"# edit {op}\n"); break;
                default: h.Tree.Write(rel, Body(op)); h.Tree.Write(rel, Body(op + 1)); break;
            }
        }

        // Wait (bounded, on batches) until the service's latest results equal a clean run of the tree.
        var scenarios = Path.Combine(h.Tree.Root, "scenarios");
        var deadline = DateTime.UtcNow + Bound;
        string? difference;
        while (true)
        {
            var clean = ScenarioRunner.RunAll(ScenarioRunner.Discover([scenarios]), new RunOptions { Jobs = 1 })
                .ToDictionary(r => r.FullPath, r => r.Report);
            var latest = h.Worker.Latest;
            difference = !clean.Keys.Order().SequenceEqual(latest.Keys.Order())
                ? $"scenarios: clean {string.Join(",", clean.Keys.Select(Path.GetFileName))} vs service {string.Join(",", latest.Keys.Select(Path.GetFileName))}"
                : clean.FirstOrDefault(kv => latest[kv.Key].Report != kv.Value).Key;
            if (difference is null || DateTime.UtcNow > deadline) break;
            h.Batches.TryTake(out _, TimeSpan.FromSeconds(2));
        }
        Assert.Null(difference);
        Assert.Equal("approved by a person\n", h.Tree.Read("snapshots/t/a.verified.md"));
        Assert.False(h.Worker.ExecuteTask!.IsCompleted, "the service is still running");
    }

    [Fact]
    public async Task Two_services_on_one_tree_leave_whole_received_files_and_no_temporaries()
    {
        await using var one = new Harness();
        Seed(one.Tree);
        await one.Start(null);
        using var other = WatchCommand.Build(new WatchOptions { ScenariosRoot = Path.Combine(one.Tree.Root, "scenarios"), Debounce = TimeSpan.FromMilliseconds(20) },
            l => l.SetMinimumLevel(LogLevel.Warning));
        var otherWorker = other.Services.GetRequiredService<WatchWorker>();
        var otherBatches = new BlockingCollection<IReadOnlyList<RunResult>>();
        otherWorker.BatchCompleted += b => otherBatches.Add(b);
        await other.StartAsync().WaitAsync(Bound);
        one.Next("scenarios/t/a.yaml");
        Assert.True(otherBatches.TryTake(out _, Bound));

        for (int i = 0; i < 20; i++)
            one.Tree.Write("scenarios/t/a.yaml", $"scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq({i}, {i}, 'edit {i}')\n");
        var last = "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1, 'final')\n";
        one.Tree.Write("scenarios/t/a.yaml", last);
        var expected = ScenarioRunner.Run(Path.Combine(one.Tree.Root, "scenarios/t/a.yaml"), new RunOptions { Jobs = 1 }).Report;
        var deadline = DateTime.UtcNow + Bound;
        while (!(one.Worker.Latest.Values.Single().Report == expected && otherWorker.Latest.Values.Single().Report == expected) && DateTime.UtcNow < deadline)
            if (!one.Batches.TryTake(out _, TimeSpan.FromSeconds(1))) otherBatches.TryTake(out _, TimeSpan.FromSeconds(1));
        Assert.Equal(expected, one.Worker.Latest.Values.Single().Report);
        Assert.Equal(expected, otherWorker.Latest.Values.Single().Report);
        Assert.Equal(expected, one.Tree.Read("snapshots/t/a.received.md"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(one.Tree.Root, "snapshots"), "*.tmp", SearchOption.AllDirectories));
        await other.StopAsync().WaitAsync(Bound);
    }

    [Fact]
    public async Task The_dashboard_renders_reports_as_html_with_nothing_from_the_tree_unescaped_and_pushes_an_update_after_each_batch()
    {
        await using var h = new Harness();
        h.Tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        h.Tree.Write("scenarios/t/a.yaml", "scenario: \"<script>alert(1)</script>\"\nsoc: ../socs/tiny.yaml\nlua: |\n  report.note('<img src=x onerror=alert(2)> [x](javascript:alert(3))')\n  expect.eq(1, 2, '<b>two</b>')\n");
        await h.Start(null, urls: "http://127.0.0.1:0");
        h.Next("scenarios/t/a.yaml");
        using var http = await h.Client();

        var page = await http.GetAsync("/");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'nonce-", csp);
        Assert.DoesNotContain("unsafe-inline'; script", csp.Replace("style-src 'unsafe-inline'; ", "", StringComparison.Ordinal));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<span class=\"count failed\">1 failed</span>", html);
        Assert.Contains("<td class=\"failed\">failed: 1 expectation(s)</td>", html);

        var report = await http.GetStringAsync("/report?path=scenarios/t/a.yaml");
        Assert.Contains("<table>", report);                 // pipe tables rendered
        Assert.DoesNotContain("<script>", report);
        Assert.DoesNotContain("<img", report);
        Assert.DoesNotContain("<b>two", report);
        Assert.DoesNotContain("href=\"javascript:", report);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", report);
        // each Mermaid block is replaced by the engine's SVG, its text folded below it
        Assert.Equal(2, Regex.Count(report, "<figure class=\"picture\"><svg "));
        Assert.Equal(2, Regex.Count(report, "<details><summary>Mermaid text"));

        // a live update: the event stream says "update" once the edited scenario ran again
        using var stream = await http.GetStreamAsync("/events");
        using var reader = new StreamReader(stream);
        Assert.Equal(": connected", await reader.ReadLineAsync().WaitAsync(Bound));
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(1, 1)\n");
        string? line;
        do line = await reader.ReadLineAsync().WaitAsync(Bound); while (line is not null && (line.Length == 0 || line.StartsWith(':')));
        Assert.Equal("event: update", line);
        h.Next("scenarios/t/a.yaml");
        Assert.Contains("<span class=\"count passed\">1 passed</span>", await http.GetStringAsync("/rows"));
    }

    [Fact]
    public async Task Each_row_says_when_its_scenario_last_ran_and_which_edit_made_it_run()
    {
        await using var h = new Harness();
        h.Tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        h.Tree.Write("scenarios/t/a.lua", "expect.eq(1, 1)\n");
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nscript: a.lua\n");
        h.Tree.Write("scenarios/t/b.yaml", "scenario: b\nsoc: ../socs/tiny.yaml\nlua: 'x = 1'\n");
        await h.Start(null, urls: "http://127.0.0.1:0");
        h.Next("scenarios/t/a.yaml");
        using var http = await h.Client();
        var rows = await http.GetStringAsync("/rows");
        Assert.Contains("<th>because of</th>", rows);
        Assert.Equal(2, Regex.Count(rows, "<td>start of watch</td>"));
        Assert.Matches(@"<td>\d\d:\d\d:\d\d</td><td>start of watch</td>", rows);

        h.Tree.Write("scenarios/t/a.lua", "expect.eq(2, 2)\n");
        h.Next("scenarios/t/a.yaml");
        rows = await http.GetStringAsync("/rows");
        Assert.Contains("<td>edit of scenarios/t/a.lua</td>", rows);
        Assert.Single(Regex.Matches(rows, "<td>start of watch</td>")); // b did not run again
    }

    [Fact]
    public void Report_text_that_looks_like_a_mermaid_block_in_html_is_not_replaced_by_a_picture()
    {
        // A note quoting the HTML Markdig writes for a Mermaid block: Markdig escapes it, so only real blocks match.
        var md = "# t\n\n> <pre><code class=\"language-mermaid\">x</code></pre>\n\n```mermaid\nflowchart LR\n```\n";
        var out1 = Dashboard.Report(new RunResult { Path = "t.yaml", FullPath = "/t.yaml", Report = md, Svgs = ["<svg>one</svg>", "<svg>two</svg>"] });
        Assert.Single(Regex.Matches(out1, "<svg>"));
        Assert.Contains("<figure class=\"picture\"><svg>one</svg><details>", out1);
        Assert.Contains("&lt;pre&gt;&lt;code class=&quot;language-mermaid&quot;&gt;x", out1);
        // fewer pictures than blocks: the rest stay as code
        Assert.Contains("<pre><code class=\"language-mermaid\">flowchart LR", Dashboard.Report(new RunResult { Path = "t.yaml", FullPath = "/t.yaml", Report = md }));
    }

    [Fact]
    public async Task A_changed_report_shows_its_diff_unified_old_before_new_and_side_by_side()
    {
        await using var h = new Harness();
        h.Tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  report.note('<old>')\n");
        await h.Start(null, urls: "http://127.0.0.1:0");
        h.Next("scenarios/t/a.yaml");
        SnapshotStore.Approve([Path.Combine(h.Tree.Root, "scenarios/t/a.yaml")], null);
        h.Next("scenarios/t/a.yaml");
        h.Tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  report.note('<new>')\n");
        Assert.Equal(SnapshotStatus.Changed, h.Next("scenarios/t/a.yaml").Snapshot);
        using var http = await h.Client();

        var unified = await http.GetStringAsync("/diff?path=scenarios/t/a.yaml");
        int del = unified.IndexOf("<span class=\"del\">-", StringComparison.Ordinal), ins = unified.IndexOf("<span class=\"ins\">+", StringComparison.Ordinal);
        Assert.True(del > 0 && ins > del, unified);
        Assert.Contains("&lt;old&gt;", unified);
        var split = await http.GetStringAsync("/diff?path=scenarios/t/a.yaml&view=split");
        Assert.Contains("<table class=\"split\">", split);
        Assert.Matches("<td class=\"del\"><code>[^<]*&lt;old&gt;", split);
        Assert.Matches("<td class=\"ins\"><code>[^<]*&lt;new&gt;", split);
    }

    [Fact]
    public async Task With_allow_approve_only_the_pages_own_post_approves_and_the_list_turns_matched()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(null, urls: "http://127.0.0.1:0", allowApprove: true);
        h.Next("scenarios/t/a.yaml");
        using var http = await h.Client(redirects: false);
        var address = http.BaseAddress!;
        Assert.Contains("action=\"/approve?path=scenarios%2Ft%2Fa.yaml\"", await http.GetStringAsync("/"));

        HttpRequestMessage Post(string? origin, string? host = null)
        {
            var m = new HttpRequestMessage(HttpMethod.Post, "/approve?path=scenarios/t/a.yaml");
            if (origin is not null) m.Headers.Add("Origin", origin);
            if (host is not null) m.Headers.Host = host;
            return m;
        }
        var self = $"http://{address.Authority}";
        Assert.Equal(403, (int)(await http.SendAsync(Post(null))).StatusCode);                       // no Origin: not from a page
        Assert.Equal(403, (int)(await http.SendAsync(Post("http://evil.example"))).StatusCode);       // a cross-site form
        Assert.Equal(403, (int)(await http.SendAsync(Post($"http://evil.example:{address.Port}", $"evil.example:{address.Port}"))).StatusCode); // DNS rebinding
        Assert.False(h.Tree.Exists("snapshots/t/a.verified.md"));

        var ok = await http.SendAsync(Post(self));
        Assert.Equal(303, (int)ok.StatusCode);
        Assert.Equal("/", ok.Headers.Location!.OriginalString);
        Assert.True(h.Tree.Exists("snapshots/t/a.verified.md"));
        Assert.Equal(SnapshotStatus.Matched, h.Next("scenarios/t/a.yaml").Snapshot);
        Assert.Equal(409, (int)(await http.SendAsync(Post(self))).StatusCode);                       // nothing left to approve
        Assert.Equal(405, (int)(await http.PostAsync("/api/results", null)).StatusCode);
    }

    [Fact]
    public async Task The_results_are_served_read_only_on_loopback()
    {
        await using var h = new Harness();
        Seed(h.Tree);
        await h.Start(null, urls: "http://127.0.0.1:0");
        var r = h.Next("scenarios/t/a.yaml");
        using var http = await h.Client();

        var json = await http.GetStringAsync("/api/results");
        Assert.Contains("\"path\": \"scenarios/t/a.yaml\"", json);
        Assert.Equal(r.Report, await http.GetStringAsync("/report.md?path=scenarios/t/a.yaml"));
        Assert.Equal("new: no verified snapshot yet\n", await http.GetStringAsync("/diff.txt?path=scenarios/t/a.yaml"));
        Assert.Contains("<td>scenarios/t/a.yaml</td><td class=\"passed\">passed</td><td class=\"new\">new</td>", await http.GetStringAsync("/"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/report?path=nope.yaml")).StatusCode);
        var post = await http.PostAsync("/api/results", new StringContent("x"));
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(h.Tree.Root, "scenarios"), "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public void A_non_loopback_url_is_refused_before_the_host_starts()
    {
        using var tree = new TestTree();
        var err = new StringWriter();
        Assert.Equal(2, WatchCommand.Execute(new WatchOptions { ScenariosRoot = Path.Combine(tree.Root, "scenarios"), Urls = "http://0.0.0.0:5080" }, err));
        Assert.Contains("not a loopback address", err.ToString());
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [SkippableFact]
    public async Task The_service_process_stopped_by_SIGTERM_exits_0_without_an_exception()
    {
        Requires.Linux("SIGTERM to the service process");
        using var tree = new TestTree();
        tree.Scenario("a", "expect.eq(1, 1)");
        var cmd = ScenarioEngine.Host.WorkerLauncher.Command();
        var psi = new System.Diagnostics.ProcessStartInfo(cmd.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = tree.Root };
        foreach (var a in cmd.Arguments.Take(cmd.Arguments.Count - 1)) psi.ArgumentList.Add(a); // without "worker"
        foreach (var a in new[] { "watch", "scenarios", "--poll-ms", "200" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        var ran = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) output.AppendLine(line); if (line.Contains("scenarios/t/a.yaml", StringComparison.Ordinal)) ran.Set(); } };
        p.BeginOutputReadLine();
        try
        {
            Assert.True(ran.Wait(Bound), "the service never ran its scenario: " + output);
            Assert.Equal(0, kill(p.Id, 15)); // SIGTERM, as systemd stops a service
            Assert.True(p.WaitForExit((int)Bound.TotalMilliseconds), "the service did not stop on SIGTERM");
            p.WaitForExit();
            Assert.DoesNotContain("Unhandled exception", await err);
            Assert.Equal(0, p.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
