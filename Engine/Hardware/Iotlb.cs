using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// One IOTLB: set-associative, LRU replacement, caching 4 KiB translations (a large leaf is cached one
/// 4 KiB page at a time). Filled by page walks, invalidated by the driver's range and full flushes.
/// When the page table changes under a cached translation (an unmap not yet followed by a flush), the
/// entry is marked stale with the script line of that change: a later hit is a stale translation and
/// still reaches the old physical page, as the hardware would. Negative results (faults) are not
/// cached, and the TLB prefetch, multi-hit and miss-FIFO behaviours are not modelled.
/// </summary>
public sealed class Iotlb
{
    private readonly ulong[] _tag;     // vpn + 1; 0 = invalid
    private readonly ulong[] _pa;      // physical page address
    private readonly int[] _staleLine; // 0 = fresh
    private readonly ulong[] _lru;
    private readonly int _ways, _setMask;
    private ulong _clock;
    private int _valid; // entries with a tag: flushes and stale-marking of an empty TLB cost nothing

    public Iotlb(IotlbGeometry g)
    {
        Geometry = g;
        _ways = g.Ways;
        int sets = g.Entries / g.Ways;
        _setMask = sets - 1;
        _tag = new ulong[g.Entries];
        _pa = new ulong[g.Entries];
        _staleLine = new int[g.Entries];
        _lru = new ulong[g.Entries];
    }

    public IotlbGeometry Geometry { get; }
    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long Flushes { get; private set; }

    /// <summary>Looks up a 4 KiB page. Returns the cached physical page and the stale line (0 if fresh).</summary>
    public bool Lookup(ulong vpn, out ulong paPage, out int staleLine)
    {
        int set = (int)(vpn & (ulong)_setMask) * _ways;
        ulong tag = vpn + 1;
        for (int w = 0; w < _ways; w++)
        {
            int i = set + w;
            if (_tag[i] == tag)
            {
                _lru[i] = ++_clock;
                paPage = _pa[i];
                staleLine = _staleLine[i];
                Hits++;
                return true;
            }
        }
        Misses++;
        paPage = 0;
        staleLine = 0;
        return false;
    }

    /// <summary>Caches a walk's result, replacing an invalid way or the least recently used one.</summary>
    public void Fill(ulong vpn, ulong paPage)
    {
        int set = (int)(vpn & (ulong)_setMask) * _ways;
        int victim = set;
        for (int w = 0; w < _ways; w++)
        {
            int i = set + w;
            if (_tag[i] == 0) { victim = i; break; }
            if (_lru[i] < _lru[victim]) victim = i;
        }
        if (_tag[victim] == 0) _valid++;
        _tag[victim] = vpn + 1;
        _pa[victim] = paPage;
        _staleLine[victim] = 0;
        _lru[victim] = ++_clock;
    }

    /// <summary>The page table changed for [firstVpn, lastVpn]: cached translations there are now stale.</summary>
    public void MarkStale(ulong firstVpn, ulong lastVpn, int line)
    {
        if (_valid == 0) return;
        if (lastVpn - firstVpn <= (ulong)_setMask)
        {
            // fewer pages than sets: an entry for page v can only sit in v's set, so probe those
            for (ulong v = firstVpn; ; v++)
            {
                int set = (int)(v & (ulong)_setMask) * _ways;
                for (int w = 0; w < _ways; w++)
                    if (_tag[set + w] == v + 1 && _staleLine[set + w] == 0) _staleLine[set + w] = Math.Max(line, 1);
                if (v == lastVpn) break;
            }
            return;
        }
        for (int i = 0; i < _tag.Length; i++)
        {
            ulong t = _tag[i];
            if (t != 0 && t - 1 >= firstVpn && t - 1 <= lastVpn && _staleLine[i] == 0) _staleLine[i] = Math.Max(line, 1);
        }
    }

    /// <summary>A range invalidation (REG_MMU_INVLD_START/END + F_MMU_INV_RANGE).</summary>
    public void InvalidateRange(ulong firstVpn, ulong lastVpn)
    {
        Flushes++;
        if (_valid == 0) return;
        if (lastVpn - firstVpn <= (ulong)_setMask)
        {
            for (ulong v = firstVpn; ; v++)
            {
                int set = (int)(v & (ulong)_setMask) * _ways;
                for (int w = 0; w < _ways; w++)
                    if (_tag[set + w] == v + 1)
                    {
                        _tag[set + w] = 0;
                        _valid--;
                    }
                if (v == lastVpn) break;
            }
            return;
        }
        for (int i = 0; i < _tag.Length; i++)
        {
            ulong t = _tag[i];
            if (t != 0 && t - 1 >= firstVpn && t - 1 <= lastVpn)
            {
                _tag[i] = 0;
                _valid--;
            }
        }
    }

    /// <summary>A full invalidation (F_ALL_INVLD).</summary>
    public void InvalidateAll()
    {
        Flushes++;
        Array.Clear(_tag);
        _valid = 0;
    }

    public int Valid => _valid;
}
