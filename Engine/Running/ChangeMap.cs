namespace ScenarioEngine.Running;

/// <summary>
/// Which scenarios a changed file affects, from what each scenario's last run read
/// (<see cref="RunResult.Inputs"/>): a SoC file re-runs the scenarios using it, a Lua module the
/// scripts that required it (or looked for it and did not find it), a scenario file itself. A new
/// scenario file is affected by its own creation. Paths are full paths; results are sorted.
/// </summary>
public sealed class ChangeMap
{
    private readonly Dictionary<string, SortedSet<string>> _readers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _inputs = new(StringComparer.Ordinal);

    /// <summary>Records (or replaces) what a scenario's latest run read.</summary>
    public void Record(string scenario, IReadOnlyList<string> inputs)
    {
        Forget(scenario);
        _inputs[scenario] = inputs;
        foreach (var i in inputs.Append(scenario))
        {
            if (!_readers.TryGetValue(i, out var set)) _readers[i] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.Add(scenario);
        }
    }

    /// <summary>Drops a scenario whose file is gone.</summary>
    public void Forget(string scenario)
    {
        if (!_inputs.Remove(scenario, out var old)) return;
        foreach (var i in old.Append(scenario))
            if (_readers.TryGetValue(i, out var set) && set.Remove(scenario) && set.Count == 0) _readers.Remove(i);
    }

    /// <summary>
    /// The scenarios to re-run after <paramref name="changed"/> was written, created or deleted;
    /// <paramref name="isScenario"/> says whether a path is a scenario file of the watched tree.
    /// </summary>
    public IReadOnlyList<string> Affected(string changed, Func<string, bool> isScenario)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        if (_readers.TryGetValue(changed, out var readers)) set.UnionWith(readers);
        if (isScenario(changed)) set.Add(changed);
        return set.ToList();
    }
}
