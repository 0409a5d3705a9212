using System.Text;
using KeraLua;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Model;

namespace ScenarioEngine.Running;

/// <summary>
/// `scenario validate`: loads the YAML (all the loader's checks) and compiles the Lua without running
/// it. Modules pulled in by require are only found when the script runs.
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
            var msg = l.ToString(-1, false) ?? "syntax error";
            var m = System.Text.RegularExpressions.Regex.Match(msg, @":(\d+):");
            int line = m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            return new ScenarioError(ErrorCode.LuaSyntax, msg, new SourceSpan(sc.Script.Chunk, line, 0));
        }
        return null;
    }
}
