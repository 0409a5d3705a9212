using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// The review summary's blocks, gathered as results arrive (from several threads, in any order) and
/// kept in bounded memory whatever the number of scenarios: per section (failures, changed, new) the
/// blocks of the first scenarios in path order, until they hold more than the largest summary
/// (<see cref="SummaryLimit.JobSummary"/>) can show; a later one is only counted. The summary shows
/// each section in path order and stops at the first block that does not fit, so what it shows is
/// the same as if every block had been kept: the output does not depend on completion order.
/// </summary>
public sealed class ReviewCollector
{
    private readonly Section _failures, _changed, _new;
    private readonly object _gate = new();

    public ReviewCollector(long budgetChars = SummaryLimit.JobSummaryBytes)
    {
        _failures = new Section(budgetChars);
        _changed = new Section(budgetChars);
        _new = new Section(budgetChars);
    }

    /// <summary>Takes what the summary needs of a result (call while its report is still in memory).</summary>
    public void Add(RunResult r)
    {
        if (ReviewEntry.From(r) is not { } e) return;
        lock (_gate)
        {
            if (e.Failure is { } f) _failures.Add(e.Path, f);
            if (e.Changed is { } c) _changed.Add(e.Path, c);
            if (e.New is { } n) _new.Add(e.Path, n);
        }
    }

    /// <summary>Each section's kept blocks in path order, and how many later blocks were only counted.</summary>
    public (IReadOnlyList<string> Blocks, int Dropped) Failures { get { lock (_gate) return _failures.Snapshot(); } }
    public (IReadOnlyList<string> Blocks, int Dropped) Changed { get { lock (_gate) return _changed.Snapshot(); } }
    public (IReadOnlyList<string> Blocks, int Dropped) New { get { lock (_gate) return _new.Snapshot(); } }

    private sealed class Section(long budget)
    {
        private readonly SortedList<string, string> _blocks = new(StringComparer.Ordinal);
        private long _chars;
        private int _dropped;

        public void Add(string key, string block)
        {
            _blocks[key] = block;
            _chars += block.Length;
            // Drop the last block while the rest alone exceed what any summary shows.
            while (_blocks.Count > 1 && _chars - _blocks.Values[^1].Length > budget)
            {
                _chars -= _blocks.Values[^1].Length;
                _blocks.RemoveAt(_blocks.Count - 1);
                _dropped++;
            }
        }

        public (IReadOnlyList<string>, int) Snapshot() => ([.. _blocks.Values], _dropped);
    }
}
