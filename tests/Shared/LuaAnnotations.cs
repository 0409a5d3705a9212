using System.Text.RegularExpressions;

namespace ScenarioEngine.Tests;

/// <summary>
/// lua/types/scenario.lua (the Lua Language Server annotations) read once, for the two tests that use
/// it: the drift test (tests/Engine.Tests/LuaAnnotationsTests.cs) and the generated Lua reference
/// (tests/Scenarios.Tests/GeneratedDocsTests.cs). Aliases apart; libraries (<c>x = {}</c>, whose
/// field-less class, declared so that LuaLS reports a name the library lacks, is not an item), classes
/// with their fields, and functions with their params, returns and doc lines in file order. A doc
/// comment (<c>--- text</c>) belongs to the next library or function; any other code line drops it.
/// </summary>
internal static class LuaAnnotations
{
    public sealed record Alias(string Name, string Type, string Note);
    public abstract record Item;
    public sealed record Library(string Name, IReadOnlyList<string> Doc) : Item;
    public sealed record Field(string Name, string Type, string Note);
    public sealed record Class(string Name, IReadOnlyList<Field> Fields) : Item;
    public sealed record Param(string Name, string Type, string? Note);
    public sealed record Return(string Type, string? Note);
    /// <summary><paramref name="Separator"/> is "." for a library function, ":" for a method.</summary>
    public sealed record Function(string Owner, string Separator, string Name, string ParamList,
        IReadOnlyList<Param> Params, IReadOnlyList<Return> Returns, IReadOnlyList<string> Doc) : Item;

    public static string Path => System.IO.Path.Combine(RepoRoot.Path, "lua", "types", "scenario.lua");

    public static IReadOnlyList<Alias> Aliases() =>
        File.ReadLines(Path)
            .Select(l => Regex.Match(l, @"^---@alias (\w+) (.+?)(?:\s+#\s*(.*))?$"))
            .Where(m => m.Success)
            .Select(m => new Alias(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value))
            .ToList();

    public static IReadOnlyList<Item> Items()
    {
        var items = new List<Item>();
        var doc = new List<string>();
        var pars = new List<Param>();
        var rets = new List<Return>();
        string? cls = null;
        var fields = new List<Field>();
        void FlushClass()
        {
            if (cls is null) return;
            items.Add(new Class(cls, fields.ToList()));
            cls = null;
            fields.Clear();
        }
        foreach (var raw in File.ReadLines(Path))
        {
            var line = raw.TrimEnd();
            Match m;
            if ((m = Regex.Match(line, @"^---@class (\w+)")).Success) { FlushClass(); cls = m.Groups[1].Value; doc.Clear(); continue; }
            if ((m = Regex.Match(line, @"^---@field (\w+) (.+?)(?:\s+#\s*(.*))?$")).Success)
            {
                fields.Add(new Field(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value));
                continue;
            }
            if ((m = Regex.Match(line, @"^---@param (\S+) (.+?)(?:\s+#\s*(.*))?$")).Success)
            {
                pars.Add(new Param(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Success ? m.Groups[3].Value : null));
                continue;
            }
            if ((m = Regex.Match(line, @"^---@return (.+?)(?:\s+#\s*(.*))?$")).Success)
            {
                rets.Add(new Return(m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null));
                continue;
            }
            if ((m = Regex.Match(line, @"^--- ?(.*)$")).Success && !line.StartsWith("---@", StringComparison.Ordinal)) { doc.Add(m.Groups[1].Value); continue; }
            if ((m = Regex.Match(line, @"^(\w+) = \{\}")).Success)
            {
                // a class without fields right before a library is the library's own type (IommuLib)
                if (cls is not null && fields.Count == 0) cls = null;
                FlushClass();
                items.Add(new Library(m.Groups[1].Value, doc.ToList()));
                doc.Clear();
                continue;
            }
            if ((m = Regex.Match(line, @"^function (\w+)([.:])(\w+)\((.*)\)")).Success)
            {
                FlushClass();
                items.Add(new Function(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value, pars.ToList(), rets.ToList(), doc.ToList()));
                doc.Clear(); pars.Clear(); rets.Clear();
                continue;
            }
            if (line.Length == 0 || line.StartsWith("local ", StringComparison.Ordinal)) { if (line.Length == 0) FlushClass(); continue; }
            if (line.StartsWith("--", StringComparison.Ordinal)) continue;
            FlushClass();
            doc.Clear(); pars.Clear(); rets.Clear();
        }
        FlushClass();
        return items;
    }
}
