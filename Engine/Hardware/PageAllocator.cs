using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// Deterministic physical allocation from the SoC's DRAM. Kernel allocations (page tables) come from
/// the top of each DRAM bank downward, below a limit, like a zone allocator handing out high pages
/// first: a cursor per bank moves down, and everything above it counts as kernel memory. Freed kernel
/// blocks are reused last-freed-first by requests of their size. Script buffers (<c>mem.alloc</c>) come
/// from the bottom upward, first fit. Both skip reserved-memory nodes with a physical base.
/// Not modelled: the buddy allocator's real placement, NUMA, fragmentation, running out of memory
/// other than by exhausting a bank.
/// </summary>
public sealed class PageAllocator
{
    private readonly List<MemoryRange> _dram;
    private readonly ulong[] _cursor;
    private readonly List<(ulong Base, ulong End)> _reserved;
    private readonly Dictionary<ulong, List<ulong>> _freeKernel = new();
    private readonly SortedDictionary<ulong, ulong> _userUsed = new();

    public PageAllocator(Soc soc)
    {
        _dram = soc.Memory.OrderBy(m => m.Base).ToList();
        _cursor = _dram.Select(m => m.End).ToArray();
        _reserved = soc.ReservedMemory.Where(r => r.Base is not null).Select(r => (r.Base!.Value, r.Base!.Value + r.Size)).ToList();
    }

    /// <summary>Allocates <paramref name="size"/> bytes aligned to <paramref name="align"/> entirely below <paramref name="limit"/>.</summary>
    public ulong? AllocKernel(ulong size, ulong align, ulong limit)
    {
        if (_freeKernel.TryGetValue(size, out var free))
        {
            int i = free.FindLastIndex(b => b + size <= limit && b % align == 0);
            if (i >= 0)
            {
                var cand = free[i];
                free.RemoveAt(i);
                return cand;
            }
        }
        for (int bank = _dram.Count - 1; bank >= 0; bank--)
        {
            var m = _dram[bank];
            ulong top = Math.Min(_cursor[bank], limit);
            while (top >= m.Base + size)
            {
                ulong start = (top - size) & ~(align - 1);
                if (start < m.Base) break;
                var clash = LowestClash(start, start + size);
                if (clash is null)
                {
                    _cursor[bank] = Math.Min(_cursor[bank], start);
                    return start;
                }
                top = clash.Value;
            }
        }
        return null;
    }

    public void FreeKernel(ulong pa, ulong size)
    {
        if (!_freeKernel.TryGetValue(size, out var free)) _freeKernel[size] = free = new List<ulong>();
        free.Add(pa);
    }

    /// <summary>First fit from the bottom of DRAM (docs/lua-api.md <c>mem.alloc</c>), below the kernel's pages.</summary>
    public ulong? AllocUser(ulong size, ulong align)
    {
        for (int bank = 0; bank < _dram.Count; bank++)
        {
            var m = _dram[bank];
            ulong start = AlignUp(m.Base, align);
            while (start >= m.Base && size <= _cursor[bank] && start <= _cursor[bank] - size)
            {
                var clash = HighestClash(start, start + size);
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

    private ulong? LowestClash(ulong start, ulong end)
    {
        ulong? low = null;
        foreach (var (b, e) in _reserved) if (b < end && start < e) low = low is null ? b : Math.Min(low.Value, b);
        foreach (var (b, s) in _userUsed) if (b < end && start < b + s) low = low is null ? b : Math.Min(low.Value, b);
        return low;
    }

    private ulong? HighestClash(ulong start, ulong end)
    {
        ulong? high = null;
        foreach (var (b, e) in _reserved) if (b < end && start < e) high = high is null ? e : Math.Max(high.Value, e);
        foreach (var (b, s) in _userUsed) if (b < end && start < b + s) high = high is null ? b + s : Math.Max(high.Value, b + s);
        return high;
    }
}
