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
        _sandbox.RunHostChunkCompiled(PreludeSource, "scenario-prelude", 1);
        var l = _sandbox.State;
        l.SetField((int)LuaRegistry.Index, ShapeKey);
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

    /// <summary>
    /// The registry key of the API's shape the prelude returns (its library tables, each object kind's
    /// fields and methods, and the kind of every handle): the host never reads it; the annotation tests do.
    /// </summary>
    internal const string ShapeKey = "scenario.shape";

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
