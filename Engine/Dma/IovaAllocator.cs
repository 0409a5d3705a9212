using System.Numerics;

using System.Runtime.CompilerServices;

namespace ScenarioEngine.Dma;

/// <summary>
/// The kernel's IOVA allocator (drivers/iommu/iova.c, Linux 7.0), exact in its
/// results: ranges [pfn_lo, pfn_hi] ordered by pfn_lo with the anchor [~0, ~0]; cached_node and
/// cached32_node; top-down allocation from the cached node with the retry pass above it;
/// max32_alloc_size fast-fail (set on every failure, reset by frees below dma_32bit_pfn); size
/// alignment; reserve_iova's downward extension and remainder nodes; free_iova's cache updates; and
/// the per-order rcache (<see cref="IovaRcache"/>) behind alloc_iova_fast / free_iova_fast.
/// Checked against golden/iova.json (the kernel's own iova.c run in userspace) and a naive model.
/// Not modelled: more than one CPU's rcache (a request's CPU would have to be chosen), CPU hotplug,
/// allocation failures of the node or magazine memory itself.
/// </summary>
public sealed partial class IovaAllocator
{
    public const ulong Anchor = ulong.MaxValue;
    private readonly IovaTree _tree = new();
    private readonly int _anchor;
    private int _cached, _cached32;

    public IovaAllocator(ulong granule, ulong startPfn)
    {
        if (granule == 0 || (granule & (granule - 1)) != 0 || granule > 0x1_0000)
            throw new ArgumentException($"init_iova_domain: granule {granule} must be a power of two ≤ 64 KiB (BUG_ON in iova.c)", nameof(granule));
        Granule = granule;
        Shift = BitOperations.TrailingZeroCount(granule);
        StartPfn = startPfn;
        Dma32BitPfn = 1UL << (32 - Shift);
        Max32AllocSize = Dma32BitPfn;
        _anchor = _tree.Insert(Anchor, Anchor);
        _cached = _cached32 = _anchor;
        _rcaches = new IovaRcache[RangeCacheMaxSize];
        for (int i = 0; i < RangeCacheMaxSize; i++) _rcaches[i] = new IovaRcache();
    }

    public ulong Granule { get; }
    public int Shift { get; }
    public ulong StartPfn { get; }
    public ulong Dma32BitPfn { get; }
    public ulong Max32AllocSize { get; private set; }
    /// <summary>Live nodes, anchor excluded.</summary>
    public int Count => _tree.Count - 1;

    /// <summary>alloc_iova: [pfn_lo of the new range], or null when there is no room below limit_pfn.</summary>
    public ulong? Alloc(ulong size, ulong limitPfn, bool sizeAligned)
    {
        if (size == 0) return null;
        return AllocAndInsert(size, limitPfn + 1, sizeAligned);
    }

    /// <summary>__alloc_and_insert_iova_range with L = limit_pfn + 1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ulong? AllocAndInsert(ulong size, ulong limit, bool sizeAligned)
    {
        ulong alignMask = sizeAligned ? ~0UL << FlsLong(size - 1) : ~0UL;
        ulong highPfn = limit, lowPfn = StartPfn;
        if (limit <= Dma32BitPfn && size >= Max32AllocSize) return null;
        int curr = limit <= Dma32BitPfn ? _cached32 : _cached;
        ulong retryPfn = _tree.Hi(curr);
        ulong newPfn;
        int prev;
        while (true)
        {
            do
            {
                highPfn = Math.Min(highPfn, _tree.Lo(curr));
                newPfn = (highPfn - size) & alignMask;
                prev = curr;
                curr = _tree.Prev(curr);
            } while (curr != IovaTree.Nil && newPfn <= _tree.Hi(curr) && newPfn >= lowPfn);

            if (highPfn < size || newPfn < lowPfn)
            {
                if (lowPfn == StartPfn && retryPfn < limit)
                {
                    highPfn = limit;
                    lowPfn = retryPfn + 1;
                    curr = FindLimit(limit);
                    continue;
                }
                Max32AllocSize = size;
                return null;
            }
            break;
        }
        int node = _tree.Insert(newPfn, newPfn + size - 1, prev);
        if (newPfn + size - 1 < Dma32BitPfn) _cached32 = node;
        else _cached = node;
        return newPfn;
    }

    /// <summary>iova_find_limit: the anchor above 32 bits, else the node at or straddling limit.</summary>
    private int FindLimit(ulong limit) => limit > Dma32BitPfn ? _anchor : _tree.FirstHiAtLeast(limit);

    private static int FlsLong(ulong v) => v == 0 ? 0 : 64 - BitOperations.LeadingZeroCount(v);

    /// <summary>free_iova: remove the range holding pfn (no-op if none), updating the caches first.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Free(ulong pfn)
    {
        int node = _tree.Find(pfn);
        // free_iova(~0) would remove the anchor and break the domain for good; that one call is refused.
        if (node != IovaTree.Nil && node != _anchor) Remove(node);
    }

    /// <summary>remove_iova: __cached_rbnode_delete_update, then erase.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Remove(int node)
    {
        ulong lo = _tree.Lo(node), hi = _tree.Hi(node);
        if (node == _cached32 || (hi < Dma32BitPfn && lo >= _tree.Lo(_cached32)))
            _cached32 = _tree.Next(node);
        if (lo < Dma32BitPfn) Max32AllocSize = Dma32BitPfn;
        if (lo >= _tree.Lo(_cached)) _cached = _tree.Next(node);
        _tree.Erase(node);
    }

    /// <summary>find_iova: the range holding pfn.</summary>
    public (ulong Lo, ulong Hi)? Find(ulong pfn)
    {
        int node = _tree.Find(pfn);
        return node == IovaTree.Nil ? null : (_tree.Lo(node), _tree.Hi(node));
    }

    /// <summary>
    /// reserve_iova: walk ascending; an overlapping node is extended downward and the remainder above
    /// it carried on; the first non-overlapping node after an overlap ends the walk; what remains is a
    /// new node. Returns the node returned by the kernel, or null when a pfn is beyond the address space.
    /// </summary>
    public (ulong Lo, ulong Hi)? Reserve(ulong pfnLo, ulong pfnHi)
    {
        if ((pfnHi | pfnLo) > (ulong.MaxValue >> Shift)) return null;
        bool overlap = false;
        // Nodes entirely below pfnLo cannot overlap and do not end the walk: start at the first that might.
        for (int node = _tree.FirstHiAtLeast(pfnLo); node != IovaTree.Nil; node = _tree.Next(node))
        {
            ulong lo = _tree.Lo(node), hi = _tree.Hi(node);
            if (pfnLo <= hi && pfnHi >= lo)
            {
                if (pfnLo < lo) _tree.SetLo(node, pfnLo);
                if (pfnHi > hi) pfnLo = hi + 1;
                if (pfnLo >= _tree.Lo(node) && pfnHi <= hi) return (_tree.Lo(node), hi);
                overlap = true;
            }
            else if (overlap) break;
            else if (lo > pfnHi) break;
        }
        _tree.Insert(pfnLo, pfnHi);
        return (pfnLo, pfnHi);
    }

    /// <summary>Every range in ascending order, the anchor excluded.</summary>
    public IEnumerable<(ulong Lo, ulong Hi)> Dump()
    {
        for (int n = _tree.First(); n != IovaTree.Nil; n = _tree.Next(n))
            if (n != _anchor) yield return (_tree.Lo(n), _tree.Hi(n));
    }

    /// <summary>cached_node / cached32_node as ranges, null meaning the anchor.</summary>
    public ((ulong Lo, ulong Hi)? Cached, (ulong Lo, ulong Hi)? Cached32) CacheState =>
        (_cached == _anchor ? null : (_tree.Lo(_cached), _tree.Hi(_cached)),
         _cached32 == _anchor ? null : (_tree.Lo(_cached32), _tree.Hi(_cached32)));
}
