using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Direct calls into the Lua C API for the hottest library paths, without the GC transition a normal
/// P/Invoke pays. Only functions that neither allocate (so never call back into the managed
/// allocator), block, nor raise are declared here: reading integers and types, reading a string
/// that already is a string, pushing booleans and integers into the slots the C API guarantees.
/// </summary>
internal static unsafe class LuaFast
{
    private const int TypeString = 4;

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern int lua_type(IntPtr l, int idx);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern long lua_tointegerx(IntPtr l, int idx, int* isnum);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern byte* lua_tolstring(IntPtr l, int idx, nuint* len);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern void lua_pushboolean(IntPtr l, int b);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern IntPtr lua_topointer(IntPtr l, int idx);

    /// <summary>The identity of a table (or other collectable) argument; zero for values that have none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IntPtr Identity(IntPtr l, int idx) => lua_topointer(l, idx);

    /// <summary>An integer argument (Lua integer, integral float or numeric string), without the marshaling layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryInteger(IntPtr l, int idx, out ulong v)
    {
        int ok;
        long n = lua_tointegerx(l, idx, &ok);
        v = (ulong)n;
        return ok != 0;
    }

    /// <summary>The plain prot strings "r", "w", "rw" read in place; anything else is left to the full parser.</summary>
    public static bool TryShortProt(IntPtr l, int idx, out Model.Prot prot)
    {
        prot = Model.Prot.None;
        if (lua_type(l, idx) != TypeString) return false;
        nuint len;
        byte* s = lua_tolstring(l, idx, &len);
        if (len == 2 && s[0] == (byte)'r' && s[1] == (byte)'w') prot = Model.Prot.Read | Model.Prot.Write;
        else if (len == 1 && s[0] == (byte)'r') prot = Model.Prot.Read;
        else if (len == 1 && s[0] == (byte)'w') prot = Model.Prot.Write;
        else return false;
        return true;
    }

    public static int PushTrueTrue(IntPtr l)
    {
        lua_pushboolean(l, 1);
        lua_pushboolean(l, 1);
        return 2;
    }
}
