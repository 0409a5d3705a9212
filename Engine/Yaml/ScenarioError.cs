using ScenarioEngine.Model;

namespace ScenarioEngine.Yaml;

/// <summary>A located input error: code, message, file:line:col (the "error" object of docs/ci.md).</summary>
public sealed record ScenarioError(ErrorCode Code, string Message, SourceSpan Where)
{
    public string CodeText => ErrorCodes.Format(Code);
    public override string ToString() => Where.Line > 0
        ? $"{Where}: error {CodeText}: {Message}"
        : $"{Where.File}: error {CodeText}: {Message}";
}

/// <summary>Thrown by the loaders for bad input; caught by the runner and turned into a failed scenario.</summary>
public sealed class ScenarioLoadException(ScenarioError error) : Exception(error.ToString())
{
    public ScenarioError Error { get; } = error;
}
