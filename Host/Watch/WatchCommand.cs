using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// `scenario watch [PATH]`: the .NET Generic Host around <see cref="WatchWorker"/>. Options are
/// validated before the host starts (exit 2); SIGTERM or Ctrl-C cancel running scripts and the host
/// exits 0 within its shutdown timeout; under systemd it reports readiness (UseSystemd).
/// </summary>
internal static class WatchCommand
{
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    public static int Execute(WatchOptions options, TextWriter stderr)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine("scenario watch: " + e);
            return Cli.Misuse;
        }
        using var host = Build(options, logging => logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = null; }));
        // Taken before Run: Run disposes the host's services when it returns (a stop asked by SIGTERM or
        // Ctrl-C once ended in an ObjectDisposedException and exit 1 here).
        var parts = Parts(host);
        try { host.Run(); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            stderr.WriteLine("scenario watch: stopped by an error: " + Model.Display.Clip(e.Message, 400));
            return Cli.Failed;
        }
        return ExitCode(parts);
    }

    /// <summary>0 when the service stopped because it was asked to; 1 when a service part stopped it with an error (systemd's Restart=on-failure then restarts it).</summary>
    public static int ExitCode(IHost host) => ExitCode(Parts(host));

    private static int ExitCode(IReadOnlyList<BackgroundService> parts) =>
        parts.Any(p => p.ExecuteTask is { IsFaulted: true }) ? Cli.Failed : Cli.Ok;

    private static List<BackgroundService> Parts(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();

    /// <summary>The host, for the command and for the tests (which add their own logging).</summary>
    public static IHost Build(WatchOptions options, Action<ILoggingBuilder> logging)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = ShutdownTimeout;
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSystemd();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<WatchWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WatchWorker>());
        builder.Services.AddHostedService<ResultsServer>();
        return builder.Build();
    }
}
