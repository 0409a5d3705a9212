using ScenarioEngine.Running;

namespace ScenarioEngine.Host;

/// <summary>
/// How the supervisor starts a worker: this same program with the hidden <c>worker</c> command. The
/// apphost beside the assembly when there is one (a build, a published binary, an installed tool),
/// else the dotnet host running the assembly (the test runner's process is not this program).
/// A single-file binary is its own worker.
/// </summary>
internal static class WorkerLauncher
{
    public static WorkerCommand Command()
    {
        var dll = typeof(WorkerLauncher).Assembly.Location;
        if (string.IsNullOrEmpty(dll))
            return new WorkerCommand(Environment.ProcessPath!, ["worker"]);
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(apphost)) return new WorkerCommand(apphost, ["worker"]);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(dotnet) || !File.Exists(dotnet))
            dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new WorkerCommand(dotnet, ["exec", dll, "worker"]);
    }
}
