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
        host.Run();
        return Cli.Ok;
    }

    /// <summary>The host, for the command and for the tests (which add their own logging).</summary>
    public static IHost Build(WatchOptions options, Action<ILoggingBuilder> logging)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
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
