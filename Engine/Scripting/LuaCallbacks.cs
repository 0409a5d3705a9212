using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Host functions reach Lua through one [UnmanagedCallersOnly] entry point instead of one
/// delegate-marshaling thunk each: the closure's upvalues carry the sandbox's function table (a
/// GCHandle as light userdata) and the function's index. A delegate thunk costs several hundred
/// nanoseconds per call here; this entry costs a plain native-to-managed transition. No exception
/// may leave it (that would cross the native boundary): a throw becomes a (false, message) result.
/// </summary>
internal static unsafe class LuaCallbacks
{
    private const int RegistryIndex = -1000000 - 1000; // LUA_REGISTRYINDEX = -LUAI_MAXSTACK - 1000

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_pushcclosure(IntPtr l, delegate* unmanaged[Cdecl]<IntPtr, int> fn, int n);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_pushlightuserdata(IntPtr l, IntPtr p);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_pushinteger(IntPtr l, long n);

    // Called on every host call: neither allocates nor calls back, so no GC transition is needed.
    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern IntPtr lua_touserdata(IntPtr l, int idx);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern long lua_tointegerx(IntPtr l, int idx, IntPtr isnum);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_setglobal(IntPtr l, byte* name);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_pushboolean(IntPtr l, int b);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr lua_pushstring(IntPtr l, byte* s);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl)]
    private static extern void lua_setallocf(IntPtr l, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, nuint, nuint, IntPtr> f, IntPtr ud);

    /// <summary>
    /// Makes <see cref="Allocate"/> the state's allocator, with the sandbox's handle as its userdata:
    /// Lua calls its allocator for every table, string and closure, and a delegate thunk made each of
    /// those calls several times dearer than this entry (a new state and its prelude are thousands).
    /// </summary>
    public static void UseAllocator(IntPtr l, IntPtr sandboxHandle) => lua_setallocf(l, &Allocate, sandboxHandle);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static IntPtr Allocate(IntPtr ud, IntPtr ptr, nuint osize, nuint nsize)
    {
        try
        {
            return ((LuaSandbox)GCHandle.FromIntPtr(ud).Target!).Allocate(ud, ptr, osize, nsize);
        }
        catch (Exception)
        {
            return IntPtr.Zero; // nothing may cross the native boundary; Lua sees a failed allocation
        }
    }

    /// <summary>Pushes a closure calling the sandbox's function <paramref name="index"/> and stores it as the global <paramref name="name"/>.</summary>
    public static void Register(IntPtr l, IntPtr table, int index, string name)
    {
        lua_pushlightuserdata(l, table);
        lua_pushinteger(l, index);
        lua_pushcclosure(l, &Dispatch, 2);
        var bytes = System.Text.Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes) lua_setglobal(l, p);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Dispatch(IntPtr l)
    {
        try
        {
            var sandbox = (LuaSandbox)GCHandle.FromIntPtr(lua_touserdata(l, RegistryIndex - 1)).Target!;
            return sandbox.Dispatch((int)lua_tointegerx(l, RegistryIndex - 2, IntPtr.Zero), l);
        }
        catch (Exception ex)
        {
            lua_pushboolean(l, 0);
            var msg = System.Text.Encoding.UTF8.GetBytes("internal engine error: " + ex.GetType().Name + ": " + ex.Message + "\0");
            fixed (byte* p = msg) lua_pushstring(l, p);
            return 2;
        }
    }
}
