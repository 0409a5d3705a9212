using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace ScenarioEngine.Scripting;

/// <summary>
/// A long-lived thread with a large stack on which a sandbox resumes its script. Starting a thread
/// per script was 14 % of a run's time (dotnet-trace, 984 scenarios in one process), so a thread goes
/// back to an idle list when its script has ended — and only then. A thread the hook parked (a budget
/// ran out where the script cannot yield) or that is stuck inside one C function never returns: it is
/// abandoned with its Lua state, exactly as a thread of its own was. The caller's execution context
/// (the families plugged in on its flow, for one) flows into the work as it would into a new thread.
/// </summary>
internal sealed class ScriptThread
{
    /// <summary>Lua's C stack use grows with nesting the budgets allow; 16 MiB is reserved, not committed.</summary>
    private const int StackBytes = 16 << 20;

    /// <summary>Idle threads kept at most; more are let go (they end) instead of waiting for work.</summary>
    private static readonly int MaxIdle = Math.Max(4, Environment.ProcessorCount * 2);

    private static readonly ConcurrentBag<ScriptThread> Idle = [];

    // Events that block at once: a spinning wait (SemaphoreSlim) took 8 % of the CPU from the run on two cores.
    private readonly AutoResetEvent _go = new(false);
    private readonly ManualResetEventSlim _done = new();
    private Action? _work;
    private ExecutionContext? _context;
    private ExceptionDispatchInfo? _thrown;
    private volatile bool _retire;

    private static int CreatedCount;

    /// <summary>Threads started so far in this process (tests check that they are reused).</summary>
    public static int Created => Volatile.Read(ref CreatedCount);

    private ScriptThread()
    {
        Interlocked.Increment(ref CreatedCount);
        new Thread(Loop, StackBytes) { IsBackground = true, Name = "lua-script" }.Start();
    }

    /// <summary>An idle thread, or a new one.</summary>
    public static ScriptThread Rent() => Idle.TryTake(out var t) ? t : new ScriptThread();

    /// <summary>Starts <paramref name="work"/> on this thread; the handle is set when it has returned.</summary>
    public WaitHandle Start(Action work)
    {
        _done.Reset();
        _thrown = null;
        _context = ExecutionContext.Capture();
        _work = work;
        _go.Set();
        return _done.WaitHandle;
    }

    /// <summary>
    /// After the work has returned (its handle set): rethrows what it threw, and puts the thread back
    /// on the idle list. Never call it for work that has not returned.
    /// </summary>
    public void Finish()
    {
        var thrown = _thrown;
        if (Idle.Count < MaxIdle) Idle.Add(this);
        else Abandon();
        thrown?.Throw();
    }

    /// <summary>
    /// Never hands this thread out again: a parked thread stays blocked with its abandoned state; one
    /// stuck in C that returns some day, or an idle one beyond <see cref="MaxIdle"/>, ends.
    /// </summary>
    public void Abandon()
    {
        _retire = true;
        _go.Set();
    }

    private void Loop()
    {
        while (true)
        {
            _go.WaitOne();
            if (_retire) return;
            var work = _work!;
            var context = _context;
            _work = null;
            _context = null;
            try
            {
                if (context is null) work();
                else ExecutionContext.Run(context, static w => ((Action)w!)(), work);
            }
            catch (Exception e) { _thrown = ExceptionDispatchInfo.Capture(e); }
            _done.Set();
            if (_retire) return;
        }
    }
}
