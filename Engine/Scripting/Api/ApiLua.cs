using System.Text;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Writes the Lua side of the API table: one wrapper per row, inserted into Prelude.lua where it says
/// so. A wrapper passes its arguments to the host function unchanged (handles included: the host
/// resolves them), returns the values on success, turns ids into handles where the row says its
/// result is an object, and otherwise tail-calls `ret`, which raises a misuse at the script's line.
/// Methods go into `methods[kind]`, fields into `fields[kind]` (soc's into `soc_fields`), functions
/// into their library table; the prelude declares those tables before the insertion point.
/// </summary>
internal static class ApiLua
{
    public const string Marker = "-- @api: the wrappers generated from the API table go here";

    public static string Write(IEnumerable<ApiFunction> rows)
    {
        var sb = new StringBuilder();
        sb.Append("-- generated from the API table (Engine/Scripting/ScenarioLibrary.*.cs) by ApiLua.Write\n");
        foreach (var r in rows)
        {
            sb.Append("do local f = raw[\"").Append(r.Key).Append("\"]\n  ");
            sb.Append(Target(r)).Append(" = ");
            if (r.Lua is { } custom) sb.Append(custom.Trim());
            else if (r.Shape == ApiShape.Field) sb.Append(Field(r));
            else sb.Append(Function(r));
            sb.Append("\nend\n");
        }
        return sb.ToString();
    }

    private static string Target(ApiFunction r) => r.Shape switch
    {
        ApiShape.Method => $"methods.{r.Library}.{r.Name}",
        ApiShape.Field when r.Self is null => $"soc_fields.{r.Name}",
        ApiShape.Field => $"fields.{r.Library}.{r.Name}",
        _ when r.Library == "soc" => $"soc_fns.{r.Name}",
        _ => $"{r.Library}.{r.Name}",
    };

    private static string Field(ApiFunction r) => r.Returns switch
    {
        null => "f",
        { } k when r.ReturnsList => $"function(h) return list_of(\"{k.Name()}\", f(h)) end",
        { } k => $"function(h) return handle(\"{k.Name()}\", f(h)) end",
    };

    private static string Function(ApiFunction r)
    {
        var ps = string.Join(", ", (r.Shape == ApiShape.Method ? ["self"] : Array.Empty<string>()).Concat(r.Args.Select(a => Param(a.Name))));
        var first = r.Returns switch
        {
            null => "a",
            { } k when r.ReturnsList => $"list_of(\"{k.Name()}\", a)",
            { } k => $"handle(\"{k.Name()}\", a)",
        };
        return $"function({ps})\n    local ok, a, b, c = f({ps})\n    if ok then return {first}, b, c end\n    return ret(ok, a, b, c)\n  end";
    }

    /// <summary>A parameter name that is not a Lua keyword or a prelude local the wrapper needs.</summary>
    private static string Param(string name) => name switch
    {
        "type" or "end" or "function" or "f" or "ok" or "a" or "b" or "c" or "ret" or "handle" or "list_of" => name + "_",
        _ => name,
    };
}
