using System.Text;
using KeraLua;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Running;

/// <summary>
/// `scenario validate`: loads the YAML (all the loader's checks), compiles the Lua without running
/// it, and finds calls to names the scenario library lacks (SE2010, <see cref="ApiNameCheck"/>).
/// Modules pulled in by require are only found when the script runs.
/// </summary>
public static class ScenarioValidator
{
    public static ScenarioError? Validate(string scenarioPath, string? snapshotsDir = null)
    {
        var layout = ProjectLayout.For(scenarioPath, snapshotsDir);
        Scenario sc;
        try
        {
            sc = ScenarioLoader.Load(scenarioPath, layout);
        }
        catch (ScenarioLoadException ex)
        {
            return ex.Error;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new ScenarioError(ErrorCode.EngineError, $"internal engine error: {ex.GetType().Name}: {Display.Clip(ex.Message, 300)}", new SourceSpan(layout.Display(scenarioPath), 0, 0));
        }
        if (sc.Advice is { } request)
        {
            // an advice names a device and a window of its SoC: checked here as `advise` would
            try { Advice.AdviceTarget.Resolve(sc.Soc, request, request.Span); }
            catch (ScenarioLoadException ex) { return ex.Error; }
            return null;
        }
        using var l = new Lua(false);
        var text = new string('\n', Math.Max(0, sc.Script.FirstLine - 1)) + sc.Script.Text;
        if (l.LoadBuffer(Encoding.UTF8.GetBytes(text), "@" + sc.Script.Chunk, "t") != LuaStatus.OK)
        {
            var msg = LuaSyntaxHints.Explain(l.ToString(-1, false) ?? "syntax error", text);
            var m = System.Text.RegularExpressions.Regex.Match(msg, @":(\d+):");
            int line = m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            // the location is the error's, once: Lua's "chunk:line: " prefix goes (as a run reports it)
            var prefix = $"{sc.Script.Chunk}:{line}: ";
            if (msg.StartsWith(prefix, StringComparison.Ordinal)) msg = msg[prefix.Length..];
            return new ScenarioError(ErrorCode.LuaSyntax, msg, new SourceSpan(sc.Script.Chunk, line, 0));
        }
        if (ApiNameCheck.Find(text).FirstOrDefault() is { } unknown)
            // inline Lua lost its YAML indentation: its columns would be off, so only the line is given
            return new ScenarioError(ErrorCode.UnknownApiName, unknown.Message, new SourceSpan(sc.Script.Chunk, unknown.Line,
                sc.Script.Chunk.EndsWith(".lua", StringComparison.Ordinal) ? unknown.Column : 0));
        return null;
    }
}
