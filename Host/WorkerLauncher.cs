using ScenarioEngine.Running;

namespace ScenarioEngine.Host;

/// <summary>
/// How the supervisor starts a worker: this same program with the hidden <c>worker</c> command. The
/// apphost beside the assembly when there is one (a build, a published binary, an installed tool),
/// else the dotnet host running the assembly (the test runner's process is not this program).
/// A single-file binary (no assembly file beside it) is its own worker.
/// </summary>
internal static class WorkerLauncher
{
    /// <summary>This program's assembly file, or null inside a single-file binary (where assemblies have no file).</summary>
    public static string? AssemblyFile()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, typeof(WorkerLauncher).Assembly.GetName().Name + ".dll");
        return File.Exists(dll) ? dll : null;
    }

    public static WorkerCommand Command()
    {
        var dll = AssemblyFile();
        if (dll is null)
            return new WorkerCommand(Environment.ProcessPath!, ["worker"]);
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll) + (OperatingSystem.IsWindows() ? ".exe" : ""));
        if (File.Exists(apphost)) return new WorkerCommand(apphost, ["worker"]);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(dotnet) || !File.Exists(dotnet))
            dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new WorkerCommand(dotnet, ["exec", dll, "worker"]);
    }
}
