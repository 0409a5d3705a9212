using System.Globalization;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// What one import may spend, so that no input makes it run long or grow large: work, in steps (one
/// step is one elementary look at the input — a node visited, a cell or list entry decoded, a name
/// tried, a character of a node path built), and output, in characters of the file it writes. The
/// importer charges as it goes; the first charge past either limit throws an
/// <see cref="ImportBudgetException"/> located where the importer was (<see cref="Where"/>, asked only
/// then). Every step of an importer is near-linear in its input, so the limits are far above any real
/// input (a large board's tree costs about 10^5 steps) and are reached only by crafted ones. Any
/// importer can use it; the counts are what tests assert instead of time.
/// </summary>
public sealed class ImportBudget(long work = ImportBudget.DefaultWork, long output = ImportBudget.DefaultOutput)
{
    /// <summary>Steps of work an import may spend: enough for a 32 MiB tree of nothing but specifiers.</summary>
    public const long DefaultWork = 40_000_000;
    /// <summary>Characters an import may write: what a SoC file may hold (<see cref="YamlTree.MaxChars"/>), so a longer one could not load anyway.</summary>
    public const long DefaultOutput = YamlTree.MaxChars;

    public long Work { get; } = work;
    public long Output { get; } = output;
    public long WorkSpent { get; private set; }
    public long OutputSpent { get; private set; }

    /// <summary>Where the import is, for the error when a limit is passed ("/soc/pcie@0: iommu-map entry 7").</summary>
    public Func<string> Where { get; set; } = () => "";

    public void Spend(long steps)
    {
        WorkSpent += steps;
        if (WorkSpent > Work)
            throw new ImportBudgetException(Where(), $"the import's work budget of {N(Work)} steps (nodes, cells and list entries read, names tried, path characters) is spent: a tree that needs more is not imported");
    }

    public void Write(long chars)
    {
        OutputSpent += chars;
        if (OutputSpent > Output)
            throw new ImportBudgetException(Where(), $"the file written would be longer than {N(Output)} characters, more than a SoC file may hold: not imported");
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>An import stopped by its <see cref="ImportBudget"/>: where in the input, and which limit.</summary>
public sealed class ImportBudgetException(string where, string reason) : Exception($"{where}: {reason}")
{
    public string Where { get; } = where;
    public string Reason { get; } = reason;
}
