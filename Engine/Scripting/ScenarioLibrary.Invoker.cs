using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>
/// The generic invoker of the API table: for every row it captures the calling line, reads and checks
/// each argument by its kind (with the misuse texts scripts have always seen), resolves handles by the
/// proxy table's identity, runs the row's body, and turns a kernel oops, an error raised by a script
/// callback, or an engine bug into an answer the prelude raises at the script's line. Nothing here
/// raises into Lua.
/// </summary>
internal sealed partial class ScenarioLibrary
{
    /// <summary>Every handle the prelude has created, by the proxy table's identity (never reused: the prelude keeps each proxy for the state's life).</summary>
    private readonly Dictionary<IntPtr, (HandleKind Kind, int Id)> _handles = new();

    /// <summary>The last domain handle resolved and its id: a script maps into one domain many times in a row.</summary>
    private IntPtr _lastHandle;
    private int _lastDomId;

    private void RegisterApi()
    {
        _sandbox.Register("__se_bind", Bind);
        _sandbox.Register("__se_name", HandleName);
        _sandbox.Register("__se_expect", Expect);
        foreach (var row in Api)
        {
            var r = row;
            _sandbox.Register("__se_" + r.Key, r.Fast is { } fast ? fast(this, r) : s => Invoke(s, r));
        }
    }

    /// <summary>bind(proxy, kind, id): the prelude made a new handle.</summary>
    private int Bind(IntPtr s)
    {
        var l = State(s);
        if (HandleKinds.TryParse(LuaValues.Str(l, 2), out var kind) && LuaFast.TryInteger(s, 3, out var id))
            _handles[LuaFast.Identity(s, 1)] = (kind, (int)id);
        _lastHandle = IntPtr.Zero;
        return 0;
    }

    /// <summary>name(proxy): what tostring shows for a handle.</summary>
    private int HandleName(IntPtr s)
    {
        var l = State(s);
        try
        {
            l.PushString(_handles.TryGetValue(LuaFast.Identity(s, 1), out var h) ? NameOf(h.Kind, h.Id) : "?");
        }
        catch (Exception ex)
        {
            l.PushString($"<{ex.GetType().Name}>");
        }
        return 1;
    }

    private string NameOf(HandleKind kind, int id) => kind switch
    {
        HandleKind.Device => _core.Devices[id].Name,
        HandleKind.Group => _core.Groups[id].Name,
        HandleKind.Domain => _domainIds[id].Name,
        HandleKind.Iovad => IovadName(id),
        HandleKind.Pgtable => PtName(id),
        _ => _core.Soc.Iommus[id].Name,
    };

    /// <summary>A value as misuse messages describe it: "device apu" for a handle, else its Lua type.</summary>
    private string Describe(IntPtr s, Lua l, int idx)
    {
        if (l.Type(idx) == LuaType.Table && _handles.TryGetValue(LuaFast.Identity(s, idx), out var h))
            return h.Kind.Name() + " " + NameOf(h.Kind, h.Id);
        return l.IsNone(idx) ? "nil" : LuaValues.TypeOf(l, idx);
    }

    /// <summary>The handle at <paramref name="idx"/> when it is one of <paramref name="kind"/> (DomainOrPgtable: either).</summary>
    private bool TryHandle(IntPtr s, int idx, ArgKind kind, out int id)
    {
        id = 0;
        if (!_handles.TryGetValue(LuaFast.Identity(s, idx), out var h)) return false;
        id = h.Id;
        return kind switch
        {
            ArgKind.Device => h.Kind == HandleKind.Device,
            ArgKind.Domain => h.Kind == HandleKind.Domain,
            ArgKind.Group => h.Kind == HandleKind.Group,
            ArgKind.Iovad => h.Kind == HandleKind.Iovad,
            ArgKind.Pgtable => h.Kind == HandleKind.Pgtable,
            ArgKind.DomainOrPgtable => h.Kind is HandleKind.Domain or HandleKind.Pgtable,
            _ => false,
        };
    }

    /// <summary>Marks a DomainOrPgtable argument's slot when the handle is a page table (the id is in the low bits).</summary>
    internal const ulong PgtableBit = 1UL << 40;

    /// <summary>Whether the handle argument of a DomainOrPgtable row is a page table.</summary>
    private bool IsPgtable(IntPtr s, int idx) => _handles.TryGetValue(LuaFast.Identity(s, idx), out var h) && h.Kind == HandleKind.Pgtable;

    /// <summary>
    /// The calling script site, which every kernel call made for this library call receives (and what
    /// it logs carries); the run log notes the chunk for the report's rows.
    /// </summary>
    private ScriptSite Site(IntPtr state)
    {
        var (chunk, line) = _sandbox.UserFrame(state);
        var site = new ScriptSite(chunk == _mainChunk ? null : chunk, line);
        _log.Chunk = site.Chunk;
        return site;
    }

    private IntPtr _lastStatePtr;
    private Lua? _lastState;

    /// <summary>
    /// The KeraLua wrapper for the calling Lua thread. Lua.FromIntPtr builds a new wrapper for a
    /// coroutine's state on every call, which cost more than the rest of a library call; the script
    /// runs on one thread, so the wrapper is kept.
    /// </summary>
    private Lua State(IntPtr state)
    {
        if (state != _lastStatePtr || _lastState is null)
        {
            _lastState = Lua.FromIntPtr(state);
            _lastStatePtr = state;
        }
        return _lastState;
    }

    private static int Misuse(Lua l, string message)
    {
        l.PushBoolean(false);
        l.PushString(message);
        return 2;
    }

    private int Oops(Lua l, KernelOopsException ex)
    {
        var (chunk, line) = _sandbox.TopUserFrame(l);
        var message = $"{chunk}:{line}: kernel oops: {ex.Message}";
        _sandbox.RecordOops(message);
        l.PushBoolean(false);
        l.PushString(message);
        l.PushString("oops");
        return 3;
    }

    private static int Values(Lua l, params object?[] values)
    {
        l.PushBoolean(true);
        foreach (var v in values) LuaValues.Push(l, v);
        return values.Length + 1;
    }

    private static int Outcome(Lua l, Outcome o, object? okValue = null)
    {
        if (o.Ok) return Values(l, okValue ?? true);
        return Values(l, null, o.Errno.ToString(), o.Why);
    }

    private int Invoke(IntPtr s, ApiFunction fn)
    {
        var l = State(s);
        try
        {
            var site = fn.Records ? Site(s) : ScriptSite.None;
            int self = 0;
            if (fn.Self is { } selfKind && !TrySelf(s, selfKind, out self))
                return Misuse(l, $"bad argument #1 to '{fn.Name}' ({selfKind.Name()} expected, got {Describe(s, l, 1)})");
            var slots = new ArgSlots();
            int present = 0;
            var args = fn.Args;
            for (int i = 0; i < args.Length; i++)
            {
                var a = args[i];
                int idx = fn.FirstArg + i;
                if (a.Optional && l.IsNoneOrNil(idx)) continue;
                if (!TryRead(s, l, idx, a, out slots[i]))
                    return Misuse(l, $"bad argument #{i + 1} to '{fn.Name}' ({BadText(s, l, idx, a)})");
                present |= 1 << i;
            }
            return fn.Body(this, new ApiCall(l, site, fn, self, slots, present));
        }
        catch (KernelOopsException ex)
        {
            return Oops(l, ex);
        }
        catch (NotModelledException ex)
        {
            return Misuse(l, $"{fn.Name}: not modelled: {ex.Message}");
        }
        catch (ScriptRaisedException ex)
        {
            // an error raised by script code the library called (a fault handler): passed on as it is
            l.PushBoolean(false);
            l.PushString(ex.Message);
            l.PushString("raw");
            return 3;
        }
        catch (Exception ex)
        {
            // A bug in the engine: report it at the script line rather than crossing the native boundary.
            return Misuse(l, $"internal engine error: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>A method's or field's receiver: a handle of the row's object kind.</summary>
    private bool TrySelf(IntPtr s, HandleKind kind, out int id)
    {
        id = 0;
        if (!_handles.TryGetValue(LuaFast.Identity(s, 1), out var h) || h.Kind != kind) return false;
        id = h.Id;
        return true;
    }

    private bool TryRead(IntPtr s, Lua l, int idx, ApiArg a, out ulong v)
    {
        v = 0;
        switch (a.Kind)
        {
            case ArgKind.Device or ArgKind.Domain or ArgKind.Group or ArgKind.Iovad or ArgKind.Pgtable or ArgKind.DomainOrPgtable:
                if (!TryHandle(s, idx, a.Kind, out var id)) return false;
                v = (uint)id | (a.Kind == ArgKind.DomainOrPgtable && IsPgtable(s, idx) ? PgtableBit : 0);
                return true;
            case ArgKind.Int or ArgKind.Count:
                return LuaValues.TryU64(l, idx, out v);
            case ArgKind.Str:
                return l.Type(idx) == LuaType.String;
            case ArgKind.Text:
                return l.Type(idx) is LuaType.String or LuaType.Number;
            case ArgKind.Prot:
                if (LuaValues.Str(l, idx) is not { } ps || !ProtText.TryParse(ps, out var prot)) return false;
                v = (ulong)prot;
                return true;
            case ArgKind.Enum:
                var text = LuaValues.Str(l, idx);
                int choice = text is null ? -1 : Array.IndexOf(a.Choices!, text);
                v = (ulong)choice;
                return choice >= 0;
            case ArgKind.Function:
                return l.IsFunction(idx);
            case ArgKind.Table:
                return l.IsTable(idx);
            case ArgKind.Bool:
                v = l.ToBoolean(idx) ? 1UL : 0UL;
                return true;
            default:
                return true;
        }
    }

    /// <summary>The text inside "bad argument #n to 'f' (…)" for a wrong argument.</summary>
    private string BadText(IntPtr s, Lua l, int idx, ApiArg a)
    {
        if (a.Handle is { } kind) return $"{kind.Name()} expected, got {Describe(s, l, idx)}";
        string got = a.Kind switch
        {
            ArgKind.Prot or ArgKind.Enum when LuaValues.Str(l, idx) is { } text => $"\"{text}\"",
            ArgKind.Function => l.IsNone(idx) ? "nil" : LuaValues.TypeOf(l, idx),
            _ => LuaValues.TypeOf(l, idx),
        };
        return (a.Bad ?? "integer expected, got {got}").Replace("{got}", got, StringComparison.Ordinal);
    }

    /// <summary>The call's arguments as a report row shows them: handles by name, integers as recorded, strings quoted; absent optional arguments left out.</summary>
    private string ArgsText(in ApiCall c)
    {
        var parts = new List<string>(c.Fn.Args.Length);
        for (int i = 0; i < c.Fn.Args.Length; i++)
        {
            if (!c.Has(i)) continue;
            var a = c.Fn.Args[i];
            parts.Add(a.Kind switch
            {
                ArgKind.Device => _core.Devices[c.Id(i)].Name,
                ArgKind.Domain => _domainIds[c.Id(i)].Name,
                ArgKind.Group => _core.Groups[c.Id(i)].Name,
                ArgKind.Iovad => IovadName(c.Id(i)),
                ArgKind.Pgtable => PtName(c.Id(i)),
                ArgKind.DomainOrPgtable => (c.U64(i) & PgtableBit) != 0 ? PtName(c.Id(i)) : _domainIds[c.Id(i)].Name,
                ArgKind.Int => Show(c.U64(i)),
                ArgKind.Count => c.U64(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ArgKind.Str or ArgKind.Text or ArgKind.Prot or ArgKind.Enum => $"\"{c.Str(i)}\"",
                ArgKind.Function => "function",
                ArgKind.Bool => c.Bool(i) ? "true" : "false",
                _ => "table",
            });
        }
        return string.Join(", ", parts);
    }

    private int Record(Lua l, int line, string call, string args, Outcome o, object? okValue = null, string? okText = null, ulong? lo = null, ulong? hi = null)
    {
        _log.Step(line, call, args, o.Ok ? okText ?? "ok" : "-" + o.Errno, o.Ok ? null : o.Errno.ToString(), o.Why, lo, hi);
        return Outcome(l, o, okValue);
    }

    /// <summary>Records the call as a report step (the row's call text and arguments) and answers the outcome.</summary>
    private int Record(in ApiCall c, Outcome o, object? okValue = null, string? okText = null, ulong? lo = null, ulong? hi = null) =>
        Record(c.L, c.Line, c.Fn.Call, ArgsText(c), o, okValue, okText, lo, hi);

    /// <summary>Records a step with a result text of the row's own and answers the given values.</summary>
    private int Step(in ApiCall c, string args, string result, string? status, string? why, ulong? lo, ulong? hi, params object?[] values)
    {
        _log.Step(c.Line, c.Fn.Call, args, result, status, why, lo, hi);
        return Values(c.L, values);
    }
}
