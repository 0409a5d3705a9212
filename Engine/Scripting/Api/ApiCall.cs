using System.Runtime.CompilerServices;
using KeraLua;

namespace ScenarioEngine.Scripting;

/// <summary>Room for the arguments of one call (the widest row, pgtable.map_pages, has six).</summary>
[InlineArray(ApiCall.MaxArgs)]
internal struct ArgSlots
{
    private ulong _first;
}

/// <summary>
/// One call of an API row as its body sees it: the Lua state, the calling line, and each argument
/// already read and checked by its kind — an integer's value, a handle's object id, an enum's choice
/// index, a boolean as 0 or 1. Strings are read again from the stack by the body when it needs them.
/// </summary>
internal readonly struct ApiCall
{
    public const int MaxArgs = 6;

    private readonly ArgSlots _slots;
    private readonly int _present;

    public ApiCall(Lua l, Model.ScriptSite site, ApiFunction fn, int self, ArgSlots slots, int present)
    {
        L = l;
        Site = site;
        Fn = fn;
        Self = self;
        _slots = slots;
        _present = present;
    }

    public Lua L { get; }

    /// <summary>Where the script called from (line 0 for rows that record nothing); every kernel call the body makes receives it.</summary>
    public Model.ScriptSite Site { get; }

    /// <summary>The calling script line.</summary>
    public int Line => Site.Line;

    public ApiFunction Fn { get; }

    /// <summary>The receiver's object id (methods and fields).</summary>
    public int Self { get; }

    /// <summary>Argument <paramref name="i"/> (0-based) was given (optional arguments may be absent).</summary>
    public bool Has(int i) => (_present & (1 << i)) != 0;

    /// <summary>An integer argument's value, a boolean as 0/1, or an enum's choice index.</summary>
    public ulong U64(int i) => _slots[i];

    /// <summary>A handle argument's object id.</summary>
    public int Id(int i) => (int)_slots[i];

    public bool Bool(int i) => _slots[i] != 0;

    /// <summary>The Lua stack index of argument <paramref name="i"/>.</summary>
    public int At(int i) => Fn.FirstArg + i;

    /// <summary>A string argument as the script gave it (Str, Text, Prot and Enum kinds).</summary>
    public string? Str(int i) => Fn.Args[i].Kind == ArgKind.Text ? LuaValues.Text(L, At(i)) : LuaValues.Str(L, At(i));

    /// <summary>The chosen value of an Enum argument, or <paramref name="absent"/>.</summary>
    public string Choice(int i, string absent) => Has(i) ? Fn.Args[i].Choices![(int)_slots[i]] : absent;
}
