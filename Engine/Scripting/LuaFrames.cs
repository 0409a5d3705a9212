using System.Runtime.InteropServices;
using System.Text;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Finds the script line calling into the library without managed marshaling: lua_getstack and
/// lua_getinfo called directly on a stack-allocated lua_Debug (Lua 5.4 layout), the chunk name
/// decoded once per source string. KeraLua's LuaDebug marshals a 60-byte array and two strings on
/// every call, which dominated the cost of a library call.
/// </summary>
internal static unsafe class LuaFrames
{
    [StructLayout(LayoutKind.Sequential)]
    private struct LuaDebugRaw
    {
        public int Event;
        public IntPtr Name, NameWhat, What, Source;
        public nuint SrcLen;
        public int CurrentLine, LineDefined, LastLineDefined;
        public byte Nups, NParams, IsVararg, IsTailCall;
        public ushort FTransfer, NTransfer;
        public fixed byte ShortSrc[60];
        public IntPtr ICi;
    }

    // Neither allocates nor calls back for "Sl": safe without the GC transition.
    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern int lua_getstack(IntPtr l, int level, LuaDebugRaw* ar);

    [DllImport("lua54", CallingConvention = CallingConvention.Cdecl), SuppressGCTransition]
    private static extern int lua_getinfo(IntPtr l, byte* what, LuaDebugRaw* ar);

    private static readonly byte[] Sl = "Sl\0"u8.ToArray();

    /// <summary>Decoded chunk names by source-string address, checked against the bytes (addresses can be reused).</summary>
    public sealed class Cache
    {
        internal readonly Dictionary<IntPtr, (byte[] Raw, string? Name)> Names = new();
    }

    private static string? Name(Dictionary<IntPtr, (byte[] Raw, string? Name)> chunks, in LuaDebugRaw ar)
    {
        var bytes = new ReadOnlySpan<byte>((byte*)ar.Source, (int)ar.SrcLen);
        if (chunks.TryGetValue(ar.Source, out var hit) && bytes.SequenceEqual(hit.Raw)) return hit.Name;
        var name = bytes.Length > 0 && bytes[0] == (byte)'@' ? Encoding.UTF8.GetString(bytes[1..]) : null;
        chunks[ar.Source] = (bytes.ToArray(), name);
        return name;
    }

    /// <summary>The innermost frame whose chunk is a file or scenario ("@name"): its name and current line.</summary>
    public static (string? Chunk, int Line) UserFrame(IntPtr l, Cache cache)
    {
        var chunks = cache.Names;
        LuaDebugRaw ar;
        fixed (byte* what = Sl)
        {
            // Library calls sit at level 0, their prelude wrapper at 1: the script is usually at 2.
            if (lua_getstack(l, 2, &ar) != 0)
            {
                lua_getinfo(l, what, &ar);
                if (ar.CurrentLine > 0 && ar.Source != IntPtr.Zero && Name(chunks, ar) is { } quick) return (quick, ar.CurrentLine);
            }
            for (int level = 0; level < 200 && lua_getstack(l, level, &ar) != 0; level++)
            {
                lua_getinfo(l, what, &ar);
                if (ar.CurrentLine <= 0 || ar.Source == IntPtr.Zero) continue;
                if (Name(chunks, ar) is { } name) return (name, ar.CurrentLine);
            }
        }
        return (null, 0);
    }
}
