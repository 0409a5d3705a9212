using KeraLua;

namespace ScenarioEngine.Tests;

/// <summary>
/// The LuaLS type expressions lua/types/scenario.lua writes (integer, string, boolean, true, nil, any,
/// table, function, string literals, aliases, classes, <c>T?</c>, <c>A|B</c>, <c>T[]</c>,
/// <c>{k: T, [1]: T}</c>, <c>table&lt;K, V&gt;</c>, <c>fun(…): T</c>), parsed, and a live Lua value checked
/// against one: exactly, so a table with a key its annotation lacks does not match, and a handle must be
/// of the annotated class's kind. Used by the return-shape test (LuaAnnotationsTests).
/// </summary>
internal sealed class LuaTypeCheck
{
    public abstract record Type;
    public sealed record Prim(string Name) : Type;
    public sealed record Lit(string Value) : Type;
    public sealed record Named(string Name) : Type;
    public sealed record Union(IReadOnlyList<Type> Items) : Type;
    public sealed record ArrayOf(Type Element) : Type;
    public sealed record Record(IReadOnlyList<(string Key, Type Type)> Fields) : Type;
    public sealed record MapOf(Type Key, Type Value) : Type;

    private static readonly HashSet<string> Prims = new(StringComparer.Ordinal)
        { "integer", "number", "string", "boolean", "true", "false", "nil", "any", "table", "function" };

    /// <summary>The type at the start of <paramref name="text"/>; what follows it (a name, a note) is ignored.</summary>
    public static Type Parse(string text)
    {
        int i = 0;
        var t = ParseUnion(text, ref i);
        return t;
    }

    private static void Space(string s, ref int i) { while (i < s.Length && s[i] == ' ') i++; }

    private static Type ParseUnion(string s, ref int i)
    {
        var items = new List<Type> { ParsePostfix(s, ref i) };
        while (true)
        {
            int save = i;
            Space(s, ref i);
            if (i < s.Length && s[i] == '|') { i++; Space(s, ref i); items.Add(ParsePostfix(s, ref i)); }
            else { i = save; break; }
        }
        return items.Count == 1 ? items[0] : new Union(items);
    }

    private static Type ParsePostfix(string s, ref int i)
    {
        var t = ParsePrimary(s, ref i);
        while (i < s.Length)
        {
            if (s[i] == '?') { i++; t = new Union([t, new Prim("nil")]); }
            else if (i + 1 < s.Length && s[i] == '[' && s[i + 1] == ']') { i += 2; t = new ArrayOf(t); }
            else break;
        }
        return t;
    }

    private static Type ParsePrimary(string s, ref int i)
    {
        Space(s, ref i);
        if (i >= s.Length) throw new FormatException($"type expected at the end of '{s}'");
        char c = s[i];
        if (c == '"')
        {
            int end = s.IndexOf('"', i + 1);
            var lit = new Lit(s[(i + 1)..end]);
            i = end + 1;
            return lit;
        }
        if (c == '(')
        {
            i++;
            var inner = ParseUnion(s, ref i);
            Space(s, ref i);
            Expect(s, ref i, ')');
            return inner;
        }
        if (c == '{')
        {
            i++;
            var fields = new List<(string, Type)>();
            Space(s, ref i);
            while (s[i] != '}')
            {
                string key;
                if (s[i] == '[')
                {
                    int end = s.IndexOf(']', i);
                    key = s[(i + 1)..end];
                    i = end + 1;
                }
                else key = Word(s, ref i);
                Space(s, ref i);
                Expect(s, ref i, ':');
                fields.Add((key, ParseUnion(s, ref i)));
                Space(s, ref i);
                if (s[i] == ',') { i++; Space(s, ref i); }
            }
            i++;
            return new Record(fields);
        }
        var word = Word(s, ref i);
        if (word == "fun")
        {
            // a function's signature is not checked: skip its parameters and result
            int depth = 0;
            do
            {
                if (s[i] == '(') depth++;
                else if (s[i] == ')') depth--;
                i++;
            } while (depth > 0);
            if (i < s.Length && s[i] == ':') { i++; Space(s, ref i); ParsePostfix(s, ref i); }
            return new Prim("function");
        }
        if (word == "table" && i < s.Length && s[i] == '<')
        {
            i++;
            var k = ParseUnion(s, ref i);
            Space(s, ref i);
            Expect(s, ref i, ',');
            var v = ParseUnion(s, ref i);
            Space(s, ref i);
            Expect(s, ref i, '>');
            return new MapOf(k, v);
        }
        return Prims.Contains(word) ? new Prim(word) : new Named(word);
    }

    private static string Word(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_' || s[i] == '.')) i++;
        if (i == start) throw new FormatException($"name expected at {start} in '{s}'");
        return s[start..i];
    }

    private static void Expect(string s, ref int i, char c)
    {
        if (i >= s.Length || s[i] != c) throw new FormatException($"'{c}' expected at {i} in '{s}'");
        i++;
    }

    // -------------------------------------------------------------------------------------------

    private readonly Dictionary<string, Type> _aliases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Record> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _handleKinds;

    /// <param name="handleKinds">class name → the prelude's handle kind ("Device" → "device").</param>
    public LuaTypeCheck(IReadOnlyDictionary<string, string> handleKinds)
    {
        _handleKinds = new Dictionary<string, string>(handleKinds, StringComparer.Ordinal);
        foreach (var a in LuaAnnotations.Aliases()) _aliases[a.Name] = Parse(a.Type);
        foreach (var c in LuaAnnotations.Items().OfType<LuaAnnotations.Class>())
            _classes[c.Name] = new Record(c.Fields.Select(f => (f.Name, Parse(f.Type))).ToList());
    }

    /// <summary>
    /// Null when the value at <paramref name="idx"/> is a <paramref name="type"/>, else why not.
    /// <paramref name="handles"/> is the stack index of the prelude's handle → kind table.
    /// </summary>
    public string? Mismatch(Lua l, int idx, Type type, int handles, int depth = 0)
    {
        idx = l.AbsIndex(idx);
        if (depth > 12) return "nested deeper than 12 tables";
        l.CheckStack(4);
        var lt = l.Type(idx);
        switch (type)
        {
            case Prim p:
                return p.Name switch
                {
                    "any" => null,
                    "nil" => lt is LuaType.Nil or LuaType.None ? null : $"is {Describe(l, idx)}, not nil",
                    "integer" => lt == LuaType.Number && l.IsInteger(idx) ? null : $"is {Describe(l, idx)}, not an integer",
                    "number" => lt == LuaType.Number ? null : $"is {Describe(l, idx)}, not a number",
                    "string" => lt == LuaType.String ? null : $"is {Describe(l, idx)}, not a string",
                    "boolean" => lt == LuaType.Boolean ? null : $"is {Describe(l, idx)}, not a boolean",
                    "true" => lt == LuaType.Boolean && l.ToBoolean(idx) ? null : $"is {Describe(l, idx)}, not true",
                    "false" => lt == LuaType.Boolean && !l.ToBoolean(idx) ? null : $"is {Describe(l, idx)}, not false",
                    "table" => lt == LuaType.Table ? null : $"is {Describe(l, idx)}, not a table",
                    "function" => lt == LuaType.Function ? null : $"is {Describe(l, idx)}, not a function",
                    _ => $"unknown type {p.Name}",
                };
            case Lit lit:
                return lt == LuaType.String && l.ToString(idx, false) == lit.Value ? null : $"is {Describe(l, idx)}, not \"{lit.Value}\"";
            case Union u:
            {
                var why = new List<string>();
                foreach (var item in u.Items)
                {
                    var m = Mismatch(l, idx, item, handles, depth);
                    if (m is null) return null;
                    why.Add(m);
                }
                // a table that is none of the members: say why the one table member refused it
                var tables = u.Items.Where(t => t is Record or ArrayOf or MapOf || (t is Named n && _classes.ContainsKey(n.Name) && !_handleKinds.ContainsKey(n.Name))).ToList();
                if (lt == LuaType.Table && tables.Count == 1) return Mismatch(l, idx, tables[0], handles, depth);
                return $"is {Describe(l, idx)}, none of {Show(u)}";
            }
            case Named n when _aliases.TryGetValue(n.Name, out var alias):
                return Mismatch(l, idx, alias, handles, depth);
            case Named n when _handleKinds.TryGetValue(n.Name, out var kind):
            {
                if (lt != LuaType.Table) return $"is {Describe(l, idx)}, not a {n.Name} handle";
                l.PushCopy(idx);
                l.RawGet(handles);
                var have = l.Type(-1) == LuaType.String ? l.ToString(-1, false) : null;
                l.Pop(1);
                return have == kind ? null : have is null ? $"is a table, not a {n.Name} handle" : $"is a {have} handle, not a {n.Name}";
            }
            case Named n when _classes.TryGetValue(n.Name, out var cls):
                return Mismatch(l, idx, cls, handles, depth);
            case Named n:
                return $"annotation names '{n.Name}', which is no alias or class";
            case Record r:
            {
                if (lt != LuaType.Table) return $"is {Describe(l, idx)}, not a table";
                var declared = r.Fields.ToDictionary(f => f.Key, f => f.Type, StringComparer.Ordinal);
                foreach (var (key, ft) in r.Fields)
                {
                    if (int.TryParse(key, out var ik)) l.PushInteger(ik); else l.PushString(key);
                    l.RawGet(idx);
                    var m = Mismatch(l, -1, ft, handles, depth + 1);
                    l.Pop(1);
                    if (m is not null) return $"field '{key}' {m}";
                }
                l.PushNil();
                while (l.Next(idx))
                {
                    var key = KeyText(l, -2);
                    if (!declared.ContainsKey(key))
                    {
                        l.Pop(2);
                        return $"has a field '{key}' the annotation lacks";
                    }
                    l.Pop(1);
                }
                return null;
            }
            case ArrayOf a:
            {
                if (lt != LuaType.Table) return $"is {Describe(l, idx)}, not a list";
                long count = 0;
                l.PushNil();
                while (l.Next(idx))
                {
                    count++;
                    if (!(l.Type(-2) == LuaType.Number && l.IsInteger(-2)))
                    {
                        var key = KeyText(l, -2);
                        l.Pop(2);
                        return $"has a key '{key}': not a list";
                    }
                    var k = l.ToInteger(-2);
                    var m = Mismatch(l, -1, a.Element, handles, depth + 1);
                    if (m is not null) { l.Pop(2); return $"[{k}] {m}"; }
                    l.Pop(1);
                }
                return l.RawLen(idx) == count ? null : "has holes: not a list";
            }
            case MapOf map:
            {
                if (lt != LuaType.Table) return $"is {Describe(l, idx)}, not a table";
                l.PushNil();
                while (l.Next(idx))
                {
                    var mk = Mismatch(l, -2, map.Key, handles, depth + 1);
                    var mv = mk ?? Mismatch(l, -1, map.Value, handles, depth + 1);
                    if (mk is not null || mv is not null)
                    {
                        var key = KeyText(l, -2);
                        l.Pop(2);
                        return mk is not null ? $"key '{key}' {mk}" : $"['{key}'] {mv}";
                    }
                    l.Pop(1);
                }
                return null;
            }
        }
        return $"unknown annotation {type}";
    }

    /// <summary>A table key as text without converting it in place (lua_tostring on a number key would break lua_next).</summary>
    private static string KeyText(Lua l, int idx) => l.Type(idx) switch
    {
        LuaType.String => l.ToString(idx, false) ?? "",
        LuaType.Number when l.IsInteger(idx) => l.ToInteger(idx).ToString(System.Globalization.CultureInfo.InvariantCulture),
        var t => "(" + t.ToString().ToLowerInvariant() + ")",
    };

    private static string Describe(Lua l, int idx) => l.Type(idx) switch
    {
        LuaType.Nil or LuaType.None => "nil",
        LuaType.Number when l.IsInteger(idx) => "an integer",
        LuaType.Number => "a float",
        LuaType.String => "a string",
        LuaType.Boolean => l.ToBoolean(idx) ? "true" : "false",
        LuaType.Table => "a table",
        LuaType.Function => "a function",
        var t => "a " + t.ToString().ToLowerInvariant(),
    };

    private static string Show(Type t) => t switch
    {
        Prim p => p.Name,
        Lit x => $"\"{x.Value}\"",
        Named n => n.Name,
        Union u => string.Join("|", u.Items.Select(Show)),
        ArrayOf a => Show(a.Element) + "[]",
        Record r => "{" + string.Join(", ", r.Fields.Select(f => $"{f.Key}: {Show(f.Type)}")) + "}",
        MapOf m => $"table<{Show(m.Key)}, {Show(m.Value)}>",
        _ => "?",
    };
}
