using System.Runtime.InteropServices;
using System.Text;
using KeraLua;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Scripting;

/// <summary>
/// A Lua 5.4 state (KeraLua) locked down for scenarios (the Lua API contract, docs/lua-api.md):
/// only base/string/table/math/utf8/coroutine are opened; dofile, loadfile, collectgarbage and print
/// are removed; load accepts text chunks only (no binary, no reader functions); require resolves only
/// under lua/; math.randomseed is fixed per scenario; __gc metamethods are refused (a finaliser runs
/// where the instruction hook cannot stop it). The script runs as a coroutine so that the count hook
/// can stop it by yielding (also behind pcall); in the rare non-yieldable C boundary (a table.sort
/// comparator, a __tostring) the hook parks the script's thread instead, so no Lua error is ever
/// raised across a managed frame. Memory is capped by the allocator.
/// Every delegate handed to native code is held in a field for the state's lifetime.
/// </summary>
public sealed class LuaSandbox : IDisposable
{
    private const int HookEvery = 1000;
    private readonly Lua _state;
    private readonly LuaAlloc _allocFn;
    private readonly LuaHookFunction _hookFn;
    private readonly List<LuaFunction> _keepAlive = new();
    /// <summary>Pins nothing: a handle to this sandbox that the native closures carry (freed in Dispose).</summary>
    private readonly IntPtr _functionsHandle;
    private readonly Budgets _budgets;
    private readonly string? _luaRoot;
    private readonly string _projectRoot;
    private readonly CancellationToken _cancel;
    private readonly System.Diagnostics.Stopwatch _clock = new();
    private long _allocated;
    /// <summary>Bytes of host-side records (steps, events, notes, tables) the script caused; they count against the memory budget.</summary>
    private long _hostBytes;
    private bool _scriptRunning;
    private long _instructions;
    private string? _oops;
    private ErrorCode? _stop;
    private readonly ManualResetEventSlim _parked = new();
    private bool _abandoned;
    private string? _parkedChunk;
    private int _parkedAt;

    public LuaSandbox(Budgets budgets, string? luaRoot, string projectRoot, CancellationToken cancel)
    {
        _budgets = budgets;
        _luaRoot = luaRoot;
        _projectRoot = projectRoot;
        _cancel = cancel;
        _allocFn = Allocate;
        _hookFn = Hook;
        _functionsHandle = GCHandle.ToIntPtr(GCHandle.Alloc(this));
        _state = new Lua(_allocFn, IntPtr.Zero) { Encoding = Encoding.UTF8 };
        // From here on Lua allocates through a direct native entry instead of the delegate thunk.
        LuaCallbacks.UseAllocator(_state.Handle, _functionsHandle);
        // KeraLua's Open*Library use luaL_requiref: each sets its global and leaves the stack as it was.
        _state.OpenBasicLibrary();
        _state.OpenStringLibrary();
        _state.OpenTableLibrary();
        _state.OpenMathLibrary();
        _state.OpenUTF8Library();
        _state.OpenCoroutineLibrary();
        foreach (var name in new[] { "dofile", "loadfile", "collectgarbage", "print" })
        {
            _state.PushNil();
            _state.SetGlobal(name);
        }
        Register("__se_read_module", ReadModule);
        Register("__se_charge", Charge);
    }

    public Lua State => _state;

    /// <summary>When set, collects the full path of every module file require looked for, found or not.</summary>
    public ICollection<string>? Inputs { get; set; }
    public long InstructionsUsed => _instructions;

    /// <summary>Allocations that went over the budget inside a host call and were allowed (the hook then stopped the script).</summary>
    internal long HostAllocationsOverBudget { get; private set; }

    /// <summary>A script thread was left parked inside this state; the process should not run more scenarios.</summary>
    public bool Abandoned => _abandoned;

    /// <summary>Called from the hook at most every 250 ms of script time with the running line (worker heartbeats).</summary>
    public Action<string?, int>? Heartbeat { get; init; }
    private long _nextBeatMs = 250;

    /// <summary>
    /// How many host calls are running. While one runs, the allocator never fails (a failed
    /// allocation inside a Lua API call would longjmp across the host call's managed frames); it marks
    /// the memory budget as exceeded instead, and the hook stops the script at its next count.
    /// </summary>
    private int _hostDepth;
    /// <summary>A budget ran out inside the running host call: its script line is taken when the call returns.</summary>
    private bool _stopInHostCall;
    private (string? Chunk, int Line)? _stopFrame;

    /// <summary>Calls host function <paramref name="index"/> for the native entry point (<see cref="LuaCallbacks"/>).</summary>
    internal int Dispatch(int index, IntPtr l)
    {
        _hostDepth++;
        try
        {
            if (_stop is { } stopped && _scriptRunning && _hostDepth == 1)
            {
                // A budget ran out in script code (a refused allocation caught by pcall) and the hook has
                // not come round yet: no more engine work (a script could otherwise go on calling the
                // library for as long as the wall clock allows), and this call's line is where the script
                // stands. (Pushing the answer allocates: it is done as a host call, which never fails.)
                if (_stopFrame is null && UserFrame(l) is { Line: > 0 } here) _stopFrame = here;
                var thread = Lua.FromIntPtr(l);
                thread.PushBoolean(false);
                thread.PushString(StopText(stopped));
                return 2;
            }
            return _keepAlive[index](l);
        }
        finally
        {
            _hostDepth--;
            if (_stopInHostCall)
            {
                _stopInHostCall = false;
                _stopFrame ??= UserFrame(l);
            }
        }
    }

    /// <summary>Runs script code from inside a host call (a fault handler): its allocations are budgeted again; a failure is caught by the protected call below this frame.</summary>
    internal T AsScript<T>(Func<T> call)
    {
        var depth = _hostDepth;
        _hostDepth = 0;
        try { return call(); }
        finally { _hostDepth = depth; }
    }

    private void StopInHost(ErrorCode code)
    {
        if (_stop is not null) return;
        _stop = code;
        if (_hostDepth > 0) _stopInHostCall = true;
    }

    /// <summary>Registers a raw C# function as a global, keeping its delegate alive.</summary>
    public void Register(string name, LuaFunction fn)
    {
        _keepAlive.Add(fn);
        LuaCallbacks.Register(_state.Handle, _functionsHandle, _keepAlive.Count - 1, name);
    }

    /// <summary>Runs trusted host Lua (the prelude) directly; throws on error (a host bug).</summary>
    public void RunHostChunk(string code, string chunkName)
    {
        var bytes = Encoding.UTF8.GetBytes(code);
        if (_state.LoadBuffer(bytes, "=" + chunkName, "t") != LuaStatus.OK || _state.PCall(0, 0, 0) != LuaStatus.OK)
        {
            var msg = _state.ToString(-1, false);
            _state.SetTop(0);
            throw new InvalidOperationException($"host Lua chunk {chunkName} failed: {msg}");
        }
    }

    /// <summary>Host chunks compiled once per process (Lua bytecode, with debug information), by their text.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Compiled = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs trusted host Lua that every state runs (the prelude) from bytecode compiled at its first use
    /// in this process: loading bytecode skips the parser, which was most of a state's set-up. User
    /// chunks are never loaded as bytecode (their mode stays "t"). The chunk's first
    /// <paramref name="results"/> values are left on the stack.
    /// </summary>
    public void RunHostChunkCompiled(string code, string chunkName, int results = 0)
    {
        LuaStatus status;
        if (Compiled.TryGetValue(code, out var bytecode))
            status = _state.LoadBuffer(bytecode, "=" + chunkName, "b");
        else
        {
            status = _state.LoadBuffer(Encoding.UTF8.GetBytes(code), "=" + chunkName, "t");
            if (status == LuaStatus.OK)
            {
                var dumped = new MemoryStream();
                LuaWriter writer = (_, p, size, _) =>
                {
                    var chunk = new byte[checked((int)size)];
                    Marshal.Copy(p, chunk, 0, chunk.Length);
                    dumped.Write(chunk);
                    return 0;
                };
                _state.Dump(writer, IntPtr.Zero, false);
                GC.KeepAlive(writer);
                Compiled.TryAdd(code, dumped.ToArray());
            }
        }
        if (status != LuaStatus.OK || _state.PCall(0, results, 0) != LuaStatus.OK)
        {
            var msg = _state.ToString(-1, false);
            _state.SetTop(0);
            throw new InvalidOperationException($"host Lua chunk {chunkName} failed: {msg}");
        }
    }

    /// <summary>
    /// Runs a user chunk inside a coroutine with the budgets armed. <paramref name="firstLine"/> shifts
    /// line numbers so inline Lua reports the YAML file's lines. Returns null on success.
    /// </summary>
    public ScriptFailure? RunScript(string code, string chunk, int firstLine)
    {
        var text = new string('\n', Math.Max(0, firstLine - 1)) + code;
        var thread = _state.NewThread();
        // Keep the thread referenced from the main stack while it runs.
        var bytes = Encoding.UTF8.GetBytes(text);
        var load = thread.LoadBuffer(bytes, "@" + chunk, "t");
        if (load != LuaStatus.OK)
        {
            var msg = LuaSyntaxHints.Explain(thread.ToString(-1, false) ?? "syntax error", text);
            _state.SetTop(0);
            return new ScriptFailure(ErrorCode.LuaSyntax, msg, chunk, LineOf(msg, chunk));
        }
        thread.SetHook(_hookFn, LuaHookMask.Count, HookEvery);
        _clock.Restart();
        using var reg = _cancel.Register(() => _stop ??= ErrorCode.Cancelled);
        _scriptRunning = true;
        var status = ResumeOnScriptThread(thread, out bool parked, out bool stuck);
        _scriptRunning = false;
        _clock.Stop();
        if (_oops is { } oops)
        {
            // A kernel oops ends the scenario even when the script caught the error with pcall.
            if (!parked) _state.SetTop(0);
            return new ScriptFailure(ErrorCode.KernelOops, oops, chunk, LineOf(oops, chunk));
        }
        if (stuck)
        {
            _abandoned = true;
            var (c, l) = TopUserFrame(thread);
            return new ScriptFailure(ErrorCode.TimeBudget,
                $"{c ?? chunk}:{l}: {StopText(ErrorCode.TimeBudget)} inside a library function that runs in C (a pattern match, a sort, a long string operation); the script was abandoned",
                c ?? chunk, l);
        }
        if (parked)
        {
            // The script is parked inside a non-yieldable C boundary; its state stays with that thread.
            _abandoned = true;
            var line = _parkedAt;
            return new ScriptFailure(_stop ?? ErrorCode.InstructionBudget,
                $"{_parkedChunk ?? chunk}:{line}: {StopText(_stop ?? ErrorCode.InstructionBudget)} inside a callback the hook cannot yield from (a table.sort comparator, a gsub function, a metamethod called from C); the script was parked",
                _parkedChunk ?? chunk, line);
        }
        try
        {
            if (_stop is { } code2)
            {
                var (c, l) = TopUserFrame(thread);
                // The script may have finished before the hook came round: the host call that ran the budget out has the line.
                if (l == 0 && _stopFrame is { } f) (c, l) = f;
                return new ScriptFailure(code2, $"{c ?? chunk}:{l}: {StopText(code2)}", c ?? chunk, l);
            }
            if (status == LuaStatus.OK) return null;
            if (status == LuaStatus.Yield)
            {
                var (c, l) = TopUserFrame(thread);
                return new ScriptFailure(ErrorCode.LuaRuntime, $"{c ?? chunk}:{l}: the script yielded from its main body (coroutine.yield outside a coroutine)", c ?? chunk, l);
            }
            var err = thread.Type(-1) is LuaType.String or LuaType.Number
                ? thread.ToString(-1, false) ?? "error"
                : $"error object is a {thread.TypeName(thread.Type(-1))} value";
            if (status == LuaStatus.ErrMem)
            {
                var (c, l) = TopUserFrame(thread);
                return new ScriptFailure(ErrorCode.MemoryBudget, $"{c ?? chunk}:{l}: memory budget exceeded ({_budgets.MemoryBytes >> 20} MiB): {err}", c ?? chunk, l);
            }
            if (err.StartsWith(OopsPrefix, StringComparison.Ordinal))
            {
                var msg = err[OopsPrefix.Length..];
                return new ScriptFailure(ErrorCode.KernelOops, msg, chunk, LineOf(msg, chunk));
            }
            // a required module's syntax error arrives here, raised by require
            err = LuaSyntaxHints.Explain(err, null);
            var at = LineOf(err, chunk);
            if (at == 0)
            {
                // error() with a table, nil, a number or level 0 carries no position: the frame that raised it has it.
                var (c, l) = TopUserFrame(thread);
                return new ScriptFailure(ErrorCode.LuaRuntime, err, c ?? chunk, l);
            }
            return new ScriptFailure(ErrorCode.LuaRuntime, err, chunk, at);
        }
        finally
        {
            _state.SetTop(0);
        }
    }

    private string StopText(ErrorCode code) => code switch
    {
        ErrorCode.InstructionBudget => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"instruction budget exceeded ({_budgets.Instructions:N0} instructions)"),
        ErrorCode.TimeBudget => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"wall-clock budget exceeded ({_budgets.WallClock.TotalSeconds:0.#} s)"),
        ErrorCode.MemoryBudget => $"memory budget exceeded ({_budgets.MemoryBytes >> 20} MiB)",
        _ => "cancelled",
    };

    /// <summary>
    /// Resumes the script on a script thread (<see cref="ScriptThread"/>). A runaway inside a non-yieldable C boundary cannot be
    /// unwound without a Lua error across the hook's managed frame, so the hook parks that thread
    /// instead (it blocks for good; the state is abandoned, never closed under it) and the run
    /// continues here with a located budget error.
    /// </summary>
    private LuaStatus ResumeOnScriptThread(Lua thread, out bool parked, out bool stuck)
    {
        var status = LuaStatus.OK;
        var runner = ScriptThread.Rent();
        var done = runner.Start(() => status = thread.Resume(null, 0, out _));
        // The hook enforces the wall clock between instructions; a script stuck inside one C function
        // (a pathological pattern) never reaches the hook, so the wait itself is bounded too.
        int which = WaitHandle.WaitAny([done, _parked.WaitHandle], _budgets.WallClock + TimeSpan.FromSeconds(1));
        parked = which == 1;
        stuck = which == WaitHandle.WaitTimeout;
        if (stuck) _stop ??= ErrorCode.TimeBudget;
        // Only a thread whose script returned goes back for the next one; a parked or stuck one is abandoned.
        if (which == 0) runner.Finish();
        else runner.Abandon();
        return status;
    }

    /// <summary>Marker the library puts in front of a kernel-oops message so it is told apart from script errors.</summary>
    public const string OopsPrefix = "\u0001oops:";

    private static int LineOf(string message, string chunk)
    {
        var i = message.IndexOf(chunk + ":", StringComparison.Ordinal);
        if (i < 0)
        {
            // message may name another chunk (a required module): take the first "name:line:" found
            var m = System.Text.RegularExpressions.Regex.Match(message, @"^[^:\s]+:(\d+):");
            return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
        var rest = message[(i + chunk.Length + 1)..];
        var end = rest.IndexOf(':', StringComparison.Ordinal);
        return end > 0 && int.TryParse(rest[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    /// <summary>The innermost frame of a user chunk on a (stopped) thread: its chunk name and current line.</summary>
    private readonly LuaFrames.Cache _frames = new();

    public (string? Chunk, int Line) TopUserFrame(Lua thread) => LuaFrames.UserFrame(thread.Handle, _frames);

    /// <summary>The calling script frame, for the library (same cache as the sandbox's own errors).</summary>
    public (string? Chunk, int Line) UserFrame(IntPtr state) => LuaFrames.UserFrame(state, _frames);

    private void Hook(IntPtr statePtr, IntPtr ar)
    {
        _instructions += HookEvery;
        if (_stop is null)
        {
            var elapsed = _clock.Elapsed;
            if (_instructions > _budgets.Instructions) _stop = ErrorCode.InstructionBudget;
            else if (elapsed > _budgets.WallClock) _stop = ErrorCode.TimeBudget;
            else if (Heartbeat is { } beat && elapsed.TotalMilliseconds >= _nextBeatMs)
            {
                _nextBeatMs = (long)elapsed.TotalMilliseconds + 250;
                var (c, line) = TopUserFrame(Lua.FromIntPtr(statePtr));
                beat(c, line);
            }
        }
        if (_stop is null) return;
        var l = Lua.FromIntPtr(statePtr);
        // The line where the budget ran out, in whichever thread the hook caught it (a coroutine's
        // yield ends only that coroutine; the script's own thread may finish before the next count).
        if (_stopFrame is null && TopUserFrame(l) is { Line: > 0 } here) _stopFrame = here;
        if (l.IsYieldable)
        {
            l.Yield(0); // inside a hook lua_yield marks the thread and returns; no longjmp
            return;
        }
        (_parkedChunk, _parkedAt) = TopUserFrame(l);
        _parked.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    internal IntPtr Allocate(IntPtr ud, IntPtr ptr, UIntPtr osize, UIntPtr nsize)
    {
        long oldSize = ptr == IntPtr.Zero ? 0 : (long)osize;
        long newSize = (long)nsize;
        if (newSize == 0)
        {
            if (ptr != IntPtr.Zero) unsafe { NativeMemory.Free((void*)ptr); }
            _allocated -= oldSize;
            return IntPtr.Zero;
        }
        if (newSize > oldSize && _allocated + _hostBytes - oldSize + newSize > _budgets.MemoryBytes)
        {
            // Inside a host call (or while the host sets the state up) a failed allocation would raise a
            // Lua error across a managed frame: allow it, and let the hook stop the script instead.
            if (_scriptRunning && _hostDepth == 0)
            {
                // Refused: Lua raises its memory error, and the budget stays spent, so the hook stops
                // the script at its next count even when pcall caught the error.
                _stop ??= ErrorCode.MemoryBudget;
                return IntPtr.Zero;
            }
            StopInHost(ErrorCode.MemoryBudget);
            HostAllocationsOverBudget++;
        }
        IntPtr result;
        unsafe { result = (IntPtr)NativeMemory.Realloc((void*)ptr, (nuint)newSize); }
        if (result == IntPtr.Zero) return IntPtr.Zero;
        _allocated += newSize - oldSize;
        return result;
    }

    /// <summary>
    /// Raw loader behind the prelude's require: module names are dotted identifiers resolved to
    /// lua/&lt;a&gt;/&lt;b&gt;.lua; anything escaping lua/ is refused. Returns (true, source, chunk) or (false, message).
    /// </summary>
    private int ReadModule(IntPtr statePtr)
    {
        var l = Lua.FromIntPtr(statePtr);
        try
        {
            if (!l.IsString(1)) return Fail(l, "bad argument #1 to 'require' (module name expected)");
            var name = l.ToString(1, false)!;
            if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) || name.Contains("..", StringComparison.Ordinal) || name.StartsWith('.'))
                return Fail(l, $"module '{name}' not found: module names are dotted names under lua/ (e.g. 'lib.util')");
            if (_luaRoot is null) return Fail(l, $"module '{name}' not found: no lua/ folder");
            var path = Path.GetFullPath(Path.Combine(_luaRoot, name.Replace('.', Path.DirectorySeparatorChar) + ".lua"));
            Inputs?.Add(path);
            var root = Path.GetFullPath(_luaRoot) + Path.DirectorySeparatorChar;
            if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
                return Fail(l, $"module '{name}' not found under lua/ (looked for lua/{name.Replace('.', '/')}.lua)");
            // A symbolic link inside lua/ could point anywhere: require does not follow them.
            var walk = root.TrimEnd(Path.DirectorySeparatorChar);
            foreach (var part in Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar))
            {
                walk = Path.Combine(walk, part);
                FileSystemInfo info = Directory.Exists(walk) ? new DirectoryInfo(walk) : new FileInfo(walk);
                if (info.LinkTarget is not null)
                    return Fail(l, $"module '{name}': lua/{Path.GetRelativePath(root, walk).Replace('\\', '/')} is a symbolic link, which require does not follow");
            }
            if (InputFiles.IsSpecial(path))
                return Fail(l, $"module '{name}': lua/{name.Replace('.', '/')}.lua is not a regular file");
            if (new FileInfo(path).Length > InputFiles.MaxBytes)
                return Fail(l, $"module '{name}': lua/{name.Replace('.', '/')}.lua is larger than {InputFiles.MaxBytes >> 20} MiB");
            var src = File.ReadAllText(path);
            l.PushBoolean(true);
            l.PushString(src);
            l.PushString("@" + Path.GetRelativePath(_projectRoot, path).Replace('\\', '/'));
            return 3;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(l, "require: " + ex.Message);
        }
    }

    /// <summary>Host-side records the script caused (report rows, events): counted against the memory budget.</summary>
    public void ChargeHost(long bytes)
    {
        _hostBytes += bytes;
        if (_allocated + _hostBytes > _budgets.MemoryBytes) StopInHost(ErrorCode.MemoryBudget);
    }

    /// <summary>A kernel oops: it ends the scenario at the next instruction count even inside pcall (the message carries chunk:line).</summary>
    public void RecordOops(string message)
    {
        _oops ??= message;
        StopInHost(ErrorCode.KernelOops);
    }

    /// <summary>
    /// __se_charge(n): a standard function about to loop n times inside C (table.move, table.concat,
    /// table.unpack, string.rep) pays n instructions first. Returns false when that exceeds the budget:
    /// the wrapper raises, and the hook stops the script at its next count even if pcall caught it.
    /// </summary>
    private int Charge(IntPtr statePtr)
    {
        var l = Lua.FromIntPtr(statePtr);
        l.PushBoolean(TryPay(l.ToNumber(1)));
        return 1;
    }

    /// <summary>
    /// Work a host call is about to do in a loop (device accesses of a stream, pages of map_pages)
    /// pays instructions first, one per iteration: false when that exceeds the budget (the script is
    /// then stopped at its next count, even inside pcall).
    /// </summary>
    public bool TryPay(double n)
    {
        if (!(n >= 0)) n = 0;
        if (n > _budgets.Instructions - _instructions)
        {
            _instructions = _budgets.Instructions + 1;
            StopInHost(ErrorCode.InstructionBudget);
            return false;
        }
        _instructions += (long)n;
        return true;
    }

    private static int Fail(Lua l, string message)
    {
        l.PushBoolean(false);
        l.PushString(message);
        return 2;
    }

    public void Dispose()
    {
        if (_abandoned) return; // a parked script thread still runs inside this state
        _state.Dispose();
        GCHandle.FromIntPtr(_functionsHandle).Free();
        _parked.Dispose();
    }
}
