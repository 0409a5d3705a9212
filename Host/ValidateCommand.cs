using ScenarioEngine.Running;

namespace ScenarioEngine.Host;

/// <summary>`scenario validate`: every error located, one line each, no script run.</summary>
internal static class ValidateCommand
{
    public static int Execute(string[] paths, TextWriter stdout, TextWriter stderr)
    {
        var roots = Cli.DefaultPaths(paths);
        foreach (var p in roots)
            if (!File.Exists(p) && !Directory.Exists(p)) { stderr.WriteLine($"scenario validate: no such file or folder: {p}"); return Cli.Misuse; }
        var files = ScenarioRunner.Discover(roots);
        if (files.Count == 0) { stderr.WriteLine("scenario validate: no scenarios found"); return Cli.Misuse; }
        int bad = 0;
        foreach (var f in files)
        {
            var e = ScenarioValidator.Validate(f);
            if (e is null) continue;
            bad++;
            stdout.WriteLine(e.ToString());
        }
        stdout.WriteLine($"{files.Count} scenario(s) checked, {bad} with errors.");
        return bad == 0 ? Cli.Ok : Cli.Failed;
    }
}
