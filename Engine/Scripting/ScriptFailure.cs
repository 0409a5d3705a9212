using ScenarioEngine.Yaml;

namespace ScenarioEngine.Scripting;

/// <summary>Why a script stopped early: code, message (chunk:line: …), and the located line.</summary>
public sealed record ScriptFailure(ErrorCode Code, string Message, string Chunk, int Line);
