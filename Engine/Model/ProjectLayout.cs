namespace ScenarioEngine.Model;

/// <summary>
/// Where a run's files live: the project root (parent of the nearest <c>scenarios/</c>), the
/// <c>lua/</c> module root, and the snapshot folder. Display paths are root-relative with '/'.
/// </summary>
public sealed record ProjectLayout(string Root, string LuaRoot, string SnapshotsRoot, string ScenariosRoot)
{
    /// <summary>The snapshot folder was given (--snapshots) rather than the project's own.</summary>
    public bool SnapshotsOverridden { get; init; }

    public static ProjectLayout For(string scenarioPath, string? snapshotsOverride = null)
    {
        var full = Path.GetFullPath(scenarioPath);
        var dir = new DirectoryInfo(Path.GetDirectoryName(full)!);
        var probe = dir;
        while (probe is not null && probe.Name != "scenarios") probe = probe.Parent;
        var scenariosRoot = probe?.FullName ?? dir.FullName;
        var root = probe?.Parent?.FullName ?? dir.FullName;
        return new ProjectLayout(root, Path.Combine(root, "lua"),
            snapshotsOverride is null ? Path.Combine(root, "snapshots") : Path.GetFullPath(snapshotsOverride), scenariosRoot)
        { SnapshotsOverridden = snapshotsOverride is not null };
    }

    public string Display(string path)
    {
        var rel = Path.GetRelativePath(Root, Path.GetFullPath(path)).Replace('\\', '/');
        return rel.StartsWith("../", StringComparison.Ordinal) ? Path.GetFileName(path) : rel;
    }

    /// <summary>
    /// A message that may quote absolute paths (a file-system exception's, which names the path it was
    /// given) with the project's own shown relative to it, as every output shows paths (docs/cli.md).
    /// </summary>
    public string Relative(string message) =>
        message.Replace(Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    /// <summary>scenarios/&lt;topic&gt;/&lt;case&gt;.yaml → snapshots/&lt;topic&gt;/&lt;case&gt;.verified.md</summary>
    public string SnapshotBase(string scenarioPath)
    {
        var rel = Path.GetRelativePath(ScenariosRoot, Path.GetFullPath(scenarioPath));
        rel = Path.ChangeExtension(rel, null)!;
        return Path.Combine(SnapshotsRoot, rel);
    }
}
