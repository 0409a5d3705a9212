namespace ScenarioEngine.Scripting;

/// <summary>How a row of the API table appears in Lua.</summary>
internal enum ApiShape
{
    /// <summary>A library function: iommu.map(domain, …).</summary>
    Function,
    /// <summary>An object method: dev:read(iova, size).</summary>
    Method,
    /// <summary>A read-only object field: dev.group. Returns exactly one value and never misuses.</summary>
    Field,
}

/// <summary>A row's host side: reads its arguments from <paramref name="c"/> (already checked by kind) and pushes its results.</summary>
internal delegate int ApiBody(ScenarioLibrary lib, in ApiCall c);

/// <summary>
/// Makes the host entry of a hot row for one library: it answers the common case itself and hands
/// anything else to the generic invoker (one delegate call per Lua call, as a bound method would be).
/// </summary>
internal delegate KeraLua.LuaFunction ApiFastPath(ScenarioLibrary lib, ApiFunction row);

/// <summary>
/// One function of the Lua API, declared once: its library (or object kind) and Lua name, its
/// arguments, how its result reaches the script, and its host body. The generic invoker
/// (ScenarioLibrary.Invoker.cs) reads and checks the arguments, captures the calling line and turns
/// an engine failure into a located error; ApiLua writes the Lua wrapper that raises misuse at the
/// script's line (C# never raises into Lua). lua/types/scenario.lua is checked against these rows by
/// LuaAnnotationsTests.
/// </summary>
internal sealed record ApiFunction(string Library, string Name, ApiShape Shape, ApiArg[] Args, ApiBody Body)
{
    /// <summary>The object kind of a method's or field's receiver (null for library functions and soc fields).</summary>
    public HandleKind? Self { get; init; }

    /// <summary>False for pure reads: no report row, so no calling line to capture.</summary>
    public bool Records { get; init; } = true;

    /// <summary>The step's call text in the report; by default "library.name".</summary>
    public string Call => CallText ?? Library + "." + Name;

    /// <summary>Overrides <see cref="Call"/> (iommu.group_claim_dma_owner is recorded under the kernel's name).</summary>
    public string? CallText { get; init; }

    /// <summary>The first result is an object id the wrapper turns into that kind's handle.</summary>
    public HandleKind? Returns { get; init; }

    /// <summary>With <see cref="Returns"/>: the first result is a list of ids.</summary>
    public bool ReturnsList { get; init; }

    /// <summary>A hand-written Lua wrapper, for the one row whose callback the script hands over; `f` is the host function.</summary>
    public string? Lua { get; init; }

    /// <summary>The hot path of this row, if it has one.</summary>
    public ApiFastPath? Fast { get; init; }

    /// <summary>The key the host function is registered under (its global is __se_KEY until the prelude takes it).</summary>
    public string Key => Shape switch
    {
        ApiShape.Method => Library + ":" + Name,
        ApiShape.Field => Library + "." + Name + "@",
        _ => Library + "." + Name,
    };

    /// <summary>The stack index of the first declared argument (a method's or field's receiver comes first).</summary>
    public int FirstArg => Self is null ? 1 : 2;
}
