namespace ScenarioEngine.Tests;

/// <summary>
/// What a test cannot run without. A test that lacks it is reported as skipped, never as passed: it is
/// a [SkippableFact] (Xunit.SkippableFact) and calls one of these first. Off Linux a Linux-only test is
/// skipped. A missing tool is skipped on a developer's machine and fails under CI (the CI environment
/// variable set), where .ci/run installs it.
/// </summary>
internal static class Requires
{
    /// <summary>The test exercises Linux only: FIFOs, /proc, getrusage, realpath(3), POSIX signals.</summary>
    public static void Linux(string why) => Skip.IfNot(OperatingSystem.IsLinux(), $"needs Linux: {why}");

    /// <summary>A tool the test drives: skipped when it is missing, except under CI, where that fails the test.</summary>
    /// <param name="underCi">whether this is a CI run; by default, whether the CI environment variable is set</param>
    public static void Tool(bool available, string what, string install, bool? underCi = null)
    {
        if (available) return;
        Assert.False(underCi ?? Environment.GetEnvironmentVariable("CI") is not null, $"{what} is missing: .ci/run installs it ({install})");
        throw new SkipException($"{what} is missing ({install}); under CI this test fails instead");
    }

    /// <summary>Whether <paramref name="program"/> is an executable on the PATH.</summary>
    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));
}
