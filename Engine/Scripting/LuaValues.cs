using System.Globalization;
using KeraLua;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Scripting;

/// <summary>Reading arguments without raising and pushing results (the host side never calls lua_error).</summary>
internal static class LuaValues
{
    /// <summary>An integer argument: a Lua integer, an integral float, or a string in the number syntax of docs/yaml-reference.md.</summary>
    public static bool TryU64(Lua l, int idx, out ulong v)
    {
        if (l.ToIntegerX(idx) is { } n) { v = (ulong)n; return true; } // integers, integral floats, numeric strings
        v = 0;
        switch (l.Type(idx))
        {
            case LuaType.Number:
                if (l.IsInteger(idx)) { v = (ulong)l.ToInteger(idx); return true; }
                var d = l.ToNumber(idx);
                if (d >= 0 && d < 18446744073709551616.0 && Math.Floor(d) == d) { v = (ulong)d; return true; }
                return false;
            case LuaType.String:
                return Numbers.TryParse(l.ToString(idx, false) ?? "", out v);
            default:
                return false;
        }
    }

    /// <summary>Most bytes of a Lua string the host reads (a note, a message, a name); the rest is counted, not copied.</summary>
    public const int MaxTextBytes = 64 * 1024;

    [System.Runtime.InteropServices.DllImport("lua54", CallingConvention = System.Runtime.InteropServices.CallingConvention.Cdecl)]
    private static extern IntPtr lua_tolstring(IntPtr l, int idx, out UIntPtr len);

    /// <summary>A string argument, or null for any other type. A string longer than <see cref="MaxTextBytes"/> is cut there, with its length.</summary>
    public static string? Str(Lua l, int idx) => l.Type(idx) == LuaType.String ? Bounded(l, idx) : null;

    /// <summary>A string or number argument as text, bounded like <see cref="Str"/> (numbers converted by Lua, as tostring would).</summary>
    public static string? Text(Lua l, int idx) => l.Type(idx) switch
    {
        LuaType.String => Bounded(l, idx),
        LuaType.Number => l.ToString(idx, false),
        _ => null,
    };

    private static unsafe string Bounded(Lua l, int idx)
    {
        var p = lua_tolstring(l.Handle, idx, out var len);
        if (p == IntPtr.Zero) return "";
        ulong n = (ulong)len;
        var text = System.Text.Encoding.UTF8.GetString((byte*)p, (int)Math.Min(n, MaxTextBytes));
        return n <= MaxTextBytes ? text : text + string.Create(CultureInfo.InvariantCulture, $"… ({n} bytes)");
    }

    public static string TypeOf(Lua l, int idx) => l.TypeName(l.Type(idx));

    /// <summary>
    /// Pushes table[key] read raw (lua_rawget): a script's table may carry an __index metamethod, and
    /// script code run from inside a host call could raise an error across the host's managed frames.
    /// </summary>
    public static LuaType RawField(Lua l, int table, string key)
    {
        int t = l.AbsIndex(table);
        l.PushString(key);
        return l.RawGet(t);
    }

    /// <summary>
    /// Pushes a value; lists and maps become tables. Each nesting level takes stack slots, so every
    /// table first makes sure of them (lua_checkstack; nesting is bounded by the YAML depth limit and
    /// by the host's own shapes). Never raises: allocations inside host calls do not fail (LuaSandbox.Dispatch).
    /// </summary>
    public static void Push(Lua l, object? v)
    {
        if (v is not (null or bool or int or long or ulong or string) && !l.CheckStack(4))
            throw new InvalidOperationException("the Lua stack cannot grow for a nested value");
        switch (v)
        {
            case null: l.PushNil(); break;
            case bool b: l.PushBoolean(b); break;
            case int i: l.PushInteger(i); break;
            case long n: l.PushInteger(n); break;
            case ulong u: l.PushInteger((long)u); break;
            case string s: l.PushString(s); break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                l.NewTable();
                foreach (var (k, val) in map)
                {
                    Push(l, val);
                    l.SetField(-2, k);
                }
                break;
            case System.Collections.IEnumerable list:
                l.NewTable();
                long n2 = 1;
                foreach (var item in list)
                {
                    Push(l, item);
                    l.RawSetInteger(-2, n2++);
                }
                break;
            default:
                throw new InvalidOperationException($"cannot push {v.GetType().Name} to Lua");
        }
    }

    /// <summary>Integers as the report prints them: decimal below 4096, lowercase 0x hex above.</summary>
    public static string Show(ulong v) => v < 4096 ? v.ToString(CultureInfo.InvariantCulture) : "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>A Lua table built in C#: ordered key/value pairs (no hash order anywhere).</summary>
internal sealed class LuaTable : List<KeyValuePair<string, object?>>
{
    public LuaTable Add(string key, object? value)
    {
        Add(new KeyValuePair<string, object?>(key, value));
        return this;
    }
}
