namespace ScenarioEngine.Model;

/// <summary>A location in an input file: path relative to the run's root, 1-based line and column.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column)
{
    public static SourceSpan None => new("", 0, 0);
    /// <summary>file:line:col; a Lua error knows no column, so it prints as file:line.</summary>
    public override string ToString() => Line <= 0 ? File : Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}";
}
