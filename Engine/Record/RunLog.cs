namespace ScenarioEngine.Record;

/// <summary>
/// Everything a script run records, in order: API steps (each with its source line), notes,
/// sections and tables the script asked for, and expectations. Rendering happens afterwards
/// (<see cref="MarkdownReport"/>, <see cref="JsonReport"/>) so a report is a pure function of this log.
/// Consecutive calls from the same line with the same call name and outcome coalesce into one row
/// with a count and the address range they covered (docs/lua-api.md).
/// </summary>
public sealed class RunLog
{
    private readonly List<ReportItem> _items = new();
    private readonly List<Expectation> _expectations = new();
    private int _stepNo;

    /// <summary>
    /// Most rows (steps, notes, sections, tables) and expectations a log keeps; later ones are
    /// counted, not kept, so a run's record, its JSON and its report stay bounded whatever a script does.
    /// </summary>
    public const int MaxRecords = 10_000;

    /// <summary>Rows recorded after <see cref="MaxRecords"/> (counted only).</summary>
    public int DroppedItems { get; private set; }
    /// <summary>Expectations recorded after <see cref="MaxRecords"/> (counted only; their results are in the totals).</summary>
    public int DroppedExpectations { get; private set; }
    public int ExpectationsPassed { get; private set; }
    public int ExpectationsFailed { get; private set; }

    private bool Full()
    {
        if (_items.Count < MaxRecords) return false;
        DroppedItems++;
        return true;
    }

    public IReadOnlyList<ReportItem> Items => _items;

    /// <summary>Told the approximate bytes of each new record, so host-side memory counts against the script's budget.</summary>
    public Action<long>? Charge { get; set; }

    internal static long Cost(params string?[] texts)
    {
        long n = 96;
        foreach (var t in texts) n += 2L * (t?.Length ?? 0);
        return n;
    }

    /// <summary>The chunk the next records come from when it is not the scenario's own script (a module under lua/).</summary>
    public string? Chunk { get; set; }
    public IReadOnlyList<Expectation> Expectations => _expectations;

    /// <summary>
    /// Folds a call into the previous row when it continues it (same line and chunk, call, outcome and
    /// result); lets hot callers skip formatting their arguments. False means: record a new row.
    /// </summary>
    public bool TryCoalesce(int line, string name, string result, string? errno, string? why, ulong rangeLo, ulong rangeHi)
    {
        if (_items.Count == 0 || _items[^1] is not Step last || last.Line != line || last.Chunk != Chunk || !ReferenceEquals(last.Name, name) && last.Name != name
            || last.Errno != errno || last.Why != why || last.Result != result || last.RangeLo is null)
            return false;
        last.Count++;
        last.ArgsVary = true;
        last.RangeLo = Math.Min(last.RangeLo.Value, rangeLo);
        last.RangeHi = Math.Max(last.RangeHi!.Value, rangeHi);
        return true;
    }

    public void Step(int line, string name, string args, string result, string? errno, string? why, ulong? rangeLo = null, ulong? rangeHi = null)
    {
        if (_items.Count > 0 && _items[^1] is Step last && last.Line == line && last.Chunk == Chunk && last.Name == name && last.Errno == errno && last.Why == why)
        {
            last.Count++;
            if (last.Result != result) last.ResultVaries = true;
            if (last.Args != args) last.ArgsVary = true;
            if (rangeLo is { } lo && rangeHi is { } hi && last.RangeLo is not null)
            {
                last.RangeLo = Math.Min(last.RangeLo.Value, lo);
                last.RangeHi = Math.Max(last.RangeHi!.Value, hi);
            }
            return;
        }
        if (Full()) return;
        Charge?.Invoke(Cost(args, result, why));
        _items.Add(new Step(++_stepNo, line, name, args, result, errno, why) { RangeLo = rangeLo, RangeHi = rangeHi, Chunk = Chunk });
    }

    public void Note(int line, string text)
    {
        if (Full()) return;
        Charge?.Invoke(Cost(text));
        _items.Add(new Note(line, text) { Chunk = Chunk });
    }

    public void Section(int line, string title)
    {
        if (Full()) return;
        Charge?.Invoke(Cost(title));
        _items.Add(new Section(line, title) { Chunk = Chunk });
    }

    public void Table(int line, string title, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        if (Full()) return;
        long cost = Cost(title);
        foreach (var r in rows) cost += Cost(r);
        Charge?.Invoke(cost);
        _items.Add(new Table(line, title, header, rows) { Chunk = Chunk });
    }

    /// <summary>Drops the rows (steps, notes, sections, tables) once nothing will render them; the expectations and every count stay.</summary>
    public void ReleaseRows()
    {
        _items.Clear();
        _items.TrimExcess();
    }

    /// <summary>Rebuilds a log received from a worker process (<see cref="Reporting.RunResultWire"/>): the records as they were.</summary>
    internal void Restore(Step step)
    {
        _items.Add(step);
        _stepNo = Math.Max(_stepNo, step.Number);
    }

    internal void Restore(Expectation expectation)
    {
        _expectations.Add(expectation);
        if (expectation.Passed) ExpectationsPassed++; else ExpectationsFailed++;
    }

    /// <summary>Restores the counts of records a worker's log dropped (<see cref="Reporting.RunResultWire"/>).</summary>
    internal void RestoreDropped(int items, int expectations, int passed, int failed)
    {
        DroppedItems = items;
        DroppedExpectations = expectations;
        ExpectationsPassed = passed;
        ExpectationsFailed = failed;
    }

    public void Expect(int line, string text, bool passed, string? detail)
    {
        if (passed) ExpectationsPassed++; else ExpectationsFailed++;
        if (_expectations.Count >= MaxRecords) { DroppedExpectations++; return; }
        Charge?.Invoke(Cost(text, detail));
        _expectations.Add(new Expectation(line, text, passed, detail) { Chunk = Chunk });
    }
}

public abstract record ReportItem(int Line)
{
    /// <summary>null for the scenario's own script, else the module's chunk (lua/lib/x.lua).</summary>
    public string? Chunk { get; init; }
    public string Where => Chunk is null ? Line.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Chunk}:{Line}";
}

public sealed record Step(int Number, int Line, string Name, string Args, string Result, string? Errno, string? Why) : ReportItem(Line)
{
    public int Count { get; set; } = 1;
    public bool ResultVaries { get; set; }
    public bool ArgsVary { get; set; }
    public ulong? RangeLo { get; set; }
    public ulong? RangeHi { get; set; }
}

public sealed record Note(int Line, string Text) : ReportItem(Line);
public sealed record Section(int Line, string Title) : ReportItem(Line);
public sealed record Table(int Line, string Title, IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows) : ReportItem(Line);

public sealed record Expectation(int Line, string Text, bool Passed, string? Detail)
{
    public string? Chunk { get; init; }
    public string Where => Chunk is null ? Line.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Chunk}:{Line}";
}
