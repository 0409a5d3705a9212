using ScenarioEngine.Record;
using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>
/// The engine's Lua library: raw host functions (registered as __se_*, wrapped by Prelude.lua) over
/// the simulated kernel. Conventions (ARCHITECTURE example 3): a raw function never raises; its first
/// result is true when the script used the API correctly (then the values follow, or nil, errno,
/// why), or false and a message for misuse. Every API call is recorded as a report step with the
/// calling script line; handles are small integer ids the prelude maps to proxies.
/// </summary>
internal sealed partial class ScenarioLibrary
{
    private readonly IommuCore _core;
    private readonly RunLog _log;
    /// <summary>The machine's event log, stamped with the calling line on every call (kept: this runs on every host call).</summary>
    private readonly Hardware.EventLog _events;
    private readonly LuaSandbox _sandbox;
    private readonly List<IommuDomain> _domainIds = new();
    private string? _mainChunk;

    public ScenarioLibrary(IommuCore core, RunLog log, LuaSandbox sandbox)
    {
        _core = core;
        _events = core.Machine.Log;
        _log = log;
        _sandbox = sandbox;
    }

    public void Install(IEnumerable<KeyValuePair<string, Model.ScenarioParam>> parameters, int seed, string mainChunk)
    {
        _mainChunk = mainChunk;
        _core.FaultHandlerInvoker = InvokeFaultHandler;
        _log.Charge = _sandbox.ChargeHost;
        _core.Machine.Log.Charge = _sandbox.ChargeHost;
        foreach (var m in GetType().GetMethods(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
        {
            var attr = (LuaNameAttribute?)Attribute.GetCustomAttribute(m, typeof(LuaNameAttribute));
            if (attr is null) continue;
            _sandbox.Register("__se_" + attr.Name, m.CreateDelegate<LuaFunction>(this));
        }
        using var stream = typeof(ScenarioLibrary).Assembly.GetManifestResourceStream("ScenarioEngine.Prelude.lua")!;
        using var reader = new StreamReader(stream);
        _sandbox.RunHostChunk(reader.ReadToEnd(), "scenario-prelude");
        var l = _sandbox.State;
        var ps = new LuaTable();
        foreach (var (k, v) in parameters) ps.Add(k, ParamValue(v.Value));
        LuaValues.Push(l, ps);
        l.SetGlobal("params");
        _sandbox.RunHostChunk($"math.randomseed({seed})", "seed");
    }

    private static object? ParamValue(object v) => v switch
    {
        List<object> list => list.Select(ParamValue).ToList(),
        List<KeyValuePair<string, object>> map => map.Select(e => new KeyValuePair<string, object?>(e.Key, ParamValue(e.Value))).ToList(),
        _ => v,
    };

    // ------------------------------------------------------------------ plumbing

    /// <summary>The calling script line; also stamps the kernel event log.</summary>
    private int Line(IntPtr state)
    {
        var (chunk, line) = _sandbox.UserFrame(state);
        _log.Chunk = chunk == _mainChunk ? null : chunk;
        _events.Line = line;
        return line;
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

    private IommuDomain Dom(Lua l, int idx) => _domainIds[(int)l.ToInteger(idx)];
    private IommuDevice Dev(Lua l, int idx) => _core.Devices[(int)l.ToInteger(idx)];
    private IommuGroup Grp(Lua l, int idx) => _core.Groups[(int)l.ToInteger(idx)];

    private static string Show(ulong v) => LuaValues.Show(v);

    /// <summary>Wraps a raw function body: kernel oopses stop the script; host bugs are not swallowed silently.</summary>
    private int Guard(IntPtr state, Func<Lua, int> body)
    {
        var l = State(state);
        try
        {
            return body(l);
        }
        catch (KernelOopsException ex)
        {
            return Oops(l, ex);
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
}

/// <summary>An error raised by Lua code the library called back into; the script sees it unchanged.</summary>
internal sealed class ScriptRaisedException(string message) : Exception(message);

/// <summary>Marks a raw library function and the name the prelude sees it under (__se_NAME).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LuaNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
