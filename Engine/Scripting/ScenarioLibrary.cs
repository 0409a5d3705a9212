using ScenarioEngine.Record;
using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>
/// The engine's Lua library: one table of API rows (<see cref="Api"/>, declared in the
/// ScenarioLibrary.*.cs files by library) over the simulated kernel, run by one generic invoker
/// (ScenarioLibrary.Invoker.cs) and wrapped in Lua by wrappers generated from the same rows
/// (<see cref="ApiLua"/>). Conventions: a host function never raises; its first result is true when the
/// script used the API correctly (then the values follow, or nil, errno, why), or false and a message
/// for misuse, which the wrapper raises at the script's line. Every call that changes or shows state
/// is recorded as a report step with the calling script line; handles are proxy tables the host binds
/// to (kind, id).
/// </summary>
internal sealed partial class ScenarioLibrary
{
    private readonly IommuCore _core;
    private readonly RunLog _log;
    private readonly LuaSandbox _sandbox;
    private readonly List<IommuDomain> _domainIds = new();
    private string? _mainChunk;

    public ScenarioLibrary(IommuCore core, RunLog log, LuaSandbox sandbox)
    {
        _core = core;
        _log = log;
        _sandbox = sandbox;
    }

    public void Install(IEnumerable<KeyValuePair<string, Model.ScenarioParam>> parameters, int seed, string mainChunk)
    {
        _mainChunk = mainChunk;
        _core.FaultHandlerInvoker = InvokeFaultHandler;
        _log.Charge = _sandbox.ChargeHost;
        _core.Machine.Log.Charge = _sandbox.ChargeHost;
        RegisterApi();
        _sandbox.RunHostChunk(PreludeSource, "scenario-prelude");
        var l = _sandbox.State;
        var ps = new LuaTable();
        foreach (var (k, v) in parameters) ps.Add(k, ParamValue(v.Value));
        LuaValues.Push(l, ps);
        l.SetGlobal("params");
        _sandbox.RunHostChunk($"math.randomseed({seed})", "seed");
    }

    /// <summary>
    /// Every row of the Lua API, in the order the generated wrappers are written. (Built from static
    /// methods, not fields: field initialisers of a partial class run in no defined order across its files.)
    /// </summary>
    internal static readonly ApiFunction[] Api = [.. TopologyRows(), .. IommuRows(), .. DmaRows(), .. IovaRows(), .. PgtableRows(), .. ReportRows()];

    /// <summary>Prelude.lua with the wrappers generated from <see cref="Api"/> in place.</summary>
    internal static readonly string PreludeSource = LoadPrelude();

    private static string LoadPrelude()
    {
        using var stream = typeof(ScenarioLibrary).Assembly.GetManifestResourceStream("ScenarioEngine.Prelude.lua")!;
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        if (!text.Contains(ApiLua.Marker, StringComparison.Ordinal)) throw new InvalidOperationException("Prelude.lua lost its API marker");
        return text.Replace(ApiLua.Marker, ApiLua.Write(Api), StringComparison.Ordinal);
    }

    private static ApiFunction Fn(string library, string name, ApiArg[] args, ApiBody body) => new(library, name, ApiShape.Function, args, body);

    private static ApiFunction Fn(string library, string name, ApiShape shape, ApiArg[] args, ApiBody body) => new(library, name, shape, args, body);

    private static object? ParamValue(object v) => v switch
    {
        List<object> list => list.Select(ParamValue).ToList(),
        List<KeyValuePair<string, object>> map => map.Select(e => new KeyValuePair<string, object?>(e.Key, ParamValue(e.Value))).ToList(),
        _ => v,
    };

    // ------------------------------------------------------------------ plumbing

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

    private int DomId(IommuDomain d)
    {
        int i = _domainIds.IndexOf(d);
        if (i >= 0) return i;
        _domainIds.Add(d);
        return _domainIds.Count - 1;
    }

    private IommuDevice Dev(int id) => _core.Devices[id];
    private IommuGroup Grp(int id) => _core.Groups[id];

    private static string Show(ulong v) => LuaValues.Show(v);
}

/// <summary>An error raised by Lua code the library called back into; the script sees it unchanged.</summary>
internal sealed class ScriptRaisedException(string message) : Exception(message);
