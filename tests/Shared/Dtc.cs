using System.Diagnostics;

namespace ScenarioEngine.Tests;

/// <summary>
/// Compiles the test trees with dtc (Debian's device-tree-compiler; .ci/run installs it). Without dtc
/// a test that needs it is skipped (and fails under CI): see <see cref="Requires"/>.
/// </summary>
internal static class Dtc
{
    public static bool Available => File.Exists("/usr/bin/dtc") || Requires.OnPath("dtc");

    /// <summary>Returns when dtc is there; otherwise skips the calling [SkippableFact] (fails it under CI).</summary>
    public static void Require() => Requires.Tool(Available, "dtc", "apt-get install device-tree-compiler");

    public static string Source(string name) => Path.Combine(RepoRoot.Path, "tests", "Engine.Tests", "DeviceTree", name);

    /// <summary>Compiles tests/Engine.Tests/DeviceTree/<paramref name="dtsName"/> into <paramref name="output"/>.</summary>
    public static void CompileTo(string dtsName, string output)
    {
        var psi = new ProcessStartInfo("dtc") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-q", "-I", "dts", "-O", "dtb", "-o", output, Source(dtsName) }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("dtc did not start (apt-get install device-tree-compiler)");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dtc failed on {dtsName}: {err}");
    }

    public static byte[] Compile(string dtsName)
    {
        var dir = Path.Combine(Path.GetTempPath(), "se-dtc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var output = Path.Combine(dir, "out.dtb");
            CompileTo(dtsName, output);
            return File.ReadAllBytes(output);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The tree as /proc/device-tree shows it: a folder per node, a file per property.</summary>
    public static void WriteFolder(Config.FdtNode root, string dir)
    {
        var stack = new Stack<(Config.FdtNode Node, string Dir)>();
        stack.Push((root, dir));
        while (stack.Count > 0)
        {
            var (n, d) = stack.Pop();
            Directory.CreateDirectory(d);
            foreach (var (k, v) in n.Properties) File.WriteAllBytes(Path.Combine(d, k), v);
            foreach (var c in n.Children) stack.Push((c, Path.Combine(d, c.Name)));
        }
    }
}
