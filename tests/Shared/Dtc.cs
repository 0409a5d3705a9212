using System.Diagnostics;

namespace ScenarioEngine.Tests;

/// <summary>
/// Compiles the test trees with dtc (Debian's device-tree-compiler; .ci/run installs it). Under CI a
/// missing dtc fails the test; elsewhere the test says so and passes (as the browser test does for
/// Chromium), so `dotnet test` works on a fresh clone.
/// </summary>
internal static class Dtc
{
    public static bool Available => File.Exists("/usr/bin/dtc") || (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "dtc")));

    /// <summary>True when dtc is there; false (outside CI only) when the test should stop here.</summary>
    public static bool Require()
    {
        if (Available) return true;
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, "dtc is missing: .ci/run installs it (apt-get install device-tree-compiler)");
        return false;
    }

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
