using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// Deterministic physical allocation from the SoC's DRAM. Kernel allocations (page tables) come from
/// the top of DRAM below a limit, downward, like a zone allocator handing out high pages first;
/// script buffers (<c>mem.alloc</c>) come from the bottom, upward. Both skip reserved-memory nodes
/// with a physical base. Freed kernel blocks are reused last-freed-first, per size.
/// Not modelled: the buddy allocator's real placement, NUMA, fragmentation.
/// </summary>
public sealed class PageAllocator
{
    private readonly List<MemoryRange> _dram;
    private readonly List<(ulong Base, ulong End)> _reserved;
    private readonly Dictionary<ulong, List<ulong>> _freeKernel = new();
    private readonly List<(ulong Base, ulong Size)> _kernelUsed = new();
    private readonly SortedDictionary<ulong, ulong> _userUsed = new();

    public PageAllocator(Soc soc)
    {
        _dram = soc.Memory.OrderBy(m => m.Base).ToList();
        _reserved = soc.ReservedMemory.Where(r => r.Base is not null).Select(r => (r.Base!.Value, r.Base!.Value + r.Size)).ToList();
    }

    /// <summary>Allocates <paramref name="size"/> bytes aligned to <paramref name="align"/> below <paramref name="limit"/>.</summary>
    public ulong? AllocKernel(ulong size, ulong align, ulong limit)
    {
        if (_freeKernel.TryGetValue(size, out var free))
        {
            // Reuse last-freed-first, among the blocks that satisfy this request's limit and alignment.
            int i = free.FindLastIndex(b => b + size <= limit && b % align == 0);
            if (i >= 0)
            {
                var cand = free[i];
                free.RemoveAt(i);
                _kernelUsed.Add((cand, size));
                return cand;
            }
        }
        for (int i = _dram.Count - 1; i >= 0; i--)
        {
            var m = _dram[i];
            ulong top = Math.Min(m.End, limit);
            while (top >= m.Base + size)
            {
                ulong start = (top - size) & ~(align - 1);
                if (start < m.Base) break;
                var clash = Clash(start, size);
                if (clash is null) { _kernelUsed.Add((start, size)); return start; }
                top = clash.Value;
            }
        }
        return null;
    }

    public void FreeKernel(ulong pa, ulong size)
    {
        _kernelUsed.Remove((pa, size));
        if (!_freeKernel.TryGetValue(size, out var free)) _freeKernel[size] = free = new List<ulong>();
        free.Add(pa);
    }

    /// <summary>First fit from the bottom of DRAM (CONTRACT §5 <c>mem.alloc</c>).</summary>
    public ulong? AllocUser(ulong size, ulong align)
    {
        foreach (var m in _dram)
        {
            ulong start = AlignUp(m.Base, align);
            while (start + size <= m.End && start >= m.Base)
            {
                var clash = ClashUp(start, size);
                if (clash is null) { _userUsed[start] = size; return start; }
                start = AlignUp(clash.Value, align);
            }
        }
        return null;
    }

    public bool FreeUser(ulong pa, ulong size)
    {
        if (!_userUsed.TryGetValue(pa, out var s) || s != size) return false;
        _userUsed.Remove(pa);
        return true;
    }

    private static ulong AlignUp(ulong v, ulong a) => (v + a - 1) & ~(a - 1);

    /// <summary>Lowest base of anything overlapping [start, start+size), to continue downward below it.</summary>
    private ulong? Clash(ulong start, ulong size)
    {
        ulong? low = null;
        foreach (var (b, e) in Busy())
            if (b < start + size && start < e) low = low is null ? b : Math.Min(low.Value, b);
        return low;
    }

    /// <summary>Highest end of anything overlapping [start, start+size), to continue upward above it.</summary>
    private ulong? ClashUp(ulong start, ulong size)
    {
        ulong? high = null;
        foreach (var (b, e) in Busy())
            if (b < start + size && start < e) high = high is null ? e : Math.Max(high.Value, e);
        return high;
    }

    private IEnumerable<(ulong, ulong)> Busy()
    {
        foreach (var r in _reserved) yield return r;
        foreach (var (b, s) in _kernelUsed) yield return (b, b + s);
        foreach (var (b, s) in _userUsed) yield return (b, b + s);
        // freed kernel blocks stay reserved for reuse by requests of their size
        foreach (var (size, free) in _freeKernel) foreach (var b in free) yield return (b, b + size);
    }
}
