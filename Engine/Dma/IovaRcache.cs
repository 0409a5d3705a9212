using System.Numerics;
using System.Runtime.CompilerServices;

namespace ScenarioEngine.Dma;

/// <summary>
/// One order of the IOVA range cache (iova.c struct iova_rcache, Linux 7.0): one CPU's loaded and
/// prev magazines of IOVA_MAG_SIZE (127) pfns and a depot (a stack of full magazines) with its
/// delayed trim work (IOVA_DEPOT_DELAY, 100 ms). Magazines pop from the top, scanning down for the
/// first pfn under the limit and swapping the last entry into its place.
/// </summary>
internal sealed class IovaRcache
{
    public const int MagSize = 127;

    /// <summary>The pfns held inline in the magazine, as struct iova_magazine holds them: no second
    /// object to reach on every pop and push.</summary>
    [InlineArray(MagSize)]
    internal struct PfnArray
    {
        private ulong _first;
    }

    internal sealed class Magazine
    {
        public PfnArray Pfns;
        public int Size;
        public bool Full => Size == MagSize;
        public bool Empty => Size == 0;

        /// <summary>iova_magazine_pop: the topmost pfn ≤ limit, or 0 when none.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Pop(ulong limitPfn)
        {
            int i = Size - 1;
            ref var p = ref Pfns;
            while (p[i] > limitPfn)
            {
                if (i == 0) return 0;
                i--;
            }
            ulong pfn = p[i];
            p[i] = p[--Size];
            return pfn;
        }
    }

    public Magazine Loaded = new();
    public Magazine Prev = new();
    public readonly Stack<Magazine> Depot = new();
    /// <summary>Simulated time (ms) the depot trim work is due, when scheduled.</summary>
    public long? WorkDue;
}

/// <summary>alloc_iova_fast / free_iova_fast and the rcache flushes (iova.c, Linux 7.0).</summary>
public sealed partial class IovaAllocator
{
    /// <summary>IOVA_RANGE_CACHE_MAX_SIZE: orders 0..5 (1..32 pages) are cached.</summary>
    public const int RangeCacheMaxSize = 6;
    public const long DepotDelayMs = 100;
    private readonly IovaRcache[] _rcaches;
    private readonly Stack<IovaRcache.Magazine> _spareMags = new();

    /// <summary>Simulated time now (ms), for scheduling the depot trim work.</summary>
    public long NowMs { get; set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OrderBase2(ulong n) => n <= 32 ? SmallOrders[(int)n] : 64 - BitOperations.LeadingZeroCount(n - 1);

    /// <summary>order_base_2(n) for n ≤ 32, the cached sizes: one load instead of a bit scan (the
    /// NativeAOT build targets CPUs without LZCNT, where the scan needs a branch for zero).</summary>
    private static ReadOnlySpan<byte> SmallOrders =>
    [
        0, 0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4,
        5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    ];

    /// <summary>
    /// alloc_iova_fast: pow2 rounding below 32 pages, rcache first, then the tree (size-aligned), then
    /// flush and retry. The hit — a non-empty loaded magazine — is kept small enough to inline; the
    /// magazine swaps and the tree are out of line (hot/cold split, same order of steps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong AllocFast(ulong size, ulong limitPfn, bool flushRcache)
    {
        if (size - 1 < 1UL << (RangeCacheMaxSize - 1))
        {
            // 1..32 pages: rounded up to a power of two, 1 << order_base_2(size), and cached.
            int order = SmallOrders[(int)size];
            size = 1UL << order;
            var m = _rcaches[order].Loaded;
            if (m.Size != 0)
            {
                ulong pfn = m.Pop(limitPfn + 1 - size);
                if (pfn != 0) return pfn;
            }
            else
            {
                ulong pfn = RcacheGetSwapping(_rcaches[order], limitPfn + 1 - size);
                if (pfn != 0) return pfn;
            }
        }
        return AllocFastFromTree(size, limitPfn, flushRcache);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong AllocFastFromTree(ulong size, ulong limitPfn, bool flushRcache)
    {
        if (size == 0) return 0;
        while (true)
        {
            var r = AllocAndInsert(size, limitPfn + 1, true);
            if (r is { } got) return got;
            if (!flushRcache) return 0;
            flushRcache = false;
            FlushCpuRcache();
            FlushGlobalRcache();
        }
    }

    /// <summary>free_iova_fast: into the rcache when order &lt; 6 (the tree node stays), else free_iova.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FreeFast(ulong pfn, ulong size)
    {
        if (size - 1 < 1UL << (RangeCacheMaxSize - 1))
        {
            var rc = _rcaches[SmallOrders[(int)size]];
            var m = rc.Loaded;
            if (m.Size != IovaRcache.MagSize) m.Pfns[m.Size++] = pfn;
            else RcacheInsertSwapping(rc, pfn);
            return;
        }
        if (RcacheInsert(pfn, size)) return; // size 0 is order 0 as well
        Free(pfn);
    }

    /// <summary>__iova_rcache_get with an empty loaded magazine: swap in prev, else a depot magazine; then pop under the limit.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong RcacheGetSwapping(IovaRcache rc, ulong limitPfn)
    {
        if (!rc.Prev.Empty)
        {
            (rc.Loaded, rc.Prev) = (rc.Prev, rc.Loaded);
        }
        else if (rc.Depot.Count > 0)
        {
            _spareMags.Push(rc.Loaded);
            rc.Loaded = rc.Depot.Pop();
        }
        else return 0;
        return rc.Loaded.Pop(limitPfn);
    }

    private bool RcacheInsert(ulong pfn, ulong size)
    {
        int order = OrderBase2(size);
        if (order >= RangeCacheMaxSize) return false;
        var rc = _rcaches[order];
        if (rc.Loaded.Full) RcacheInsertSwapping(rc, pfn);
        else
        {
            var m = rc.Loaded;
            m.Pfns[m.Size++] = pfn;
        }
        return true;
    }

    /// <summary>__iova_rcache_insert with a full loaded magazine: swap with prev unless full too, else the loaded one goes to the depot.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RcacheInsertSwapping(IovaRcache rc, ulong pfn)
    {
        if (!rc.Prev.Full) (rc.Loaded, rc.Prev) = (rc.Prev, rc.Loaded);
        else
        {
            rc.Depot.Push(rc.Loaded);
            rc.WorkDue ??= NowMs + DepotDelayMs;
            rc.Loaded = _spareMags.Count > 0 ? _spareMags.Pop() : new IovaRcache.Magazine();
            rc.Loaded.Size = 0;
        }
        var m = rc.Loaded;
        m.Pfns[m.Size++] = pfn;
    }

    /// <summary>iova_magazine_free_pfns: each cached pfn's node goes back to the tree, index 0 first.</summary>
    private void FreeMagazinePfns(IovaRcache.Magazine mag)
    {
        for (int i = 0; i < mag.Size; i++)
        {
            int node = _tree.Find(mag.Pfns[i]);
            if (node != IovaTree.Nil) Remove(node);
        }
        mag.Size = 0;
    }

    /// <summary>free_cpu_cached_iovas for the one CPU: loaded then prev, for every order.</summary>
    public void FlushCpuRcache()
    {
        foreach (var rc in _rcaches)
        {
            FreeMagazinePfns(rc.Loaded);
            FreeMagazinePfns(rc.Prev);
        }
    }

    /// <summary>free_global_cached_iovas: every depot magazine, most recently pushed first.</summary>
    public void FlushGlobalRcache()
    {
        foreach (var rc in _rcaches)
            while (rc.Depot.Count > 0)
            {
                var mag = rc.Depot.Pop();
                FreeMagazinePfns(mag);
                _spareMags.Push(mag);
            }
    }

    /// <summary>
    /// iova_depot_work_func at simulated time <paramref name="nowMs"/>: while due, if the depot holds more
    /// magazines than online CPUs (1), return one to the tree and reschedule 100 ms later.
    /// </summary>
    public void RunDepotWork(long nowMs)
    {
        NowMs = nowMs;
        foreach (var rc in _rcaches)
        {
            while (rc.WorkDue is { } due && due <= nowMs)
            {
                rc.WorkDue = null;
                if (rc.Depot.Count > 1)
                {
                    var mag = rc.Depot.Pop();
                    FreeMagazinePfns(mag);
                    _spareMags.Push(mag);
                    rc.WorkDue = due + DepotDelayMs;
                }
            }
        }
    }

    /// <summary>Pfns cached per order: loaded, prev and depot magazines (for reports).</summary>
    public IReadOnlyList<(int Order, int Loaded, int Prev, int DepotMagazines)> RcacheState =>
        _rcaches.Select((rc, i) => (i, rc.Loaded.Size, rc.Prev.Size, rc.Depot.Count)).ToList();
}
