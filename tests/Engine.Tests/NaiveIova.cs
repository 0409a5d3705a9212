using System.Numerics;

namespace ScenarioEngine.Tests;

/// <summary>
/// A deliberately simple allocator written from the documented behaviour of iova.c alone: a sorted list of range
/// objects, linear scans, one-CPU rcache as plain lists. It shares no code with the engine's tree, so
/// agreement on long random sequences checks the engine's data structure and its cache handling.
/// </summary>
internal sealed class NaiveIova
{
    private sealed class R(ulong lo, ulong hi)
    {
        public ulong Lo = lo, Hi = hi;
    }

    private readonly List<R> _list = new();
    private readonly R _anchor = new(ulong.MaxValue, ulong.MaxValue);
    private R _cached, _cached32;
    private readonly ulong _start, _dma32;
    private ulong _max32;
    private readonly List<ulong>[] _loaded = new List<ulong>[6], _prev = new List<ulong>[6];
    private readonly Stack<List<ulong>>[] _depot = new Stack<List<ulong>>[6];

    public NaiveIova(ulong granule, ulong start)
    {
        _start = start;
        _dma32 = 1UL << (32 - BitOperations.TrailingZeroCount(granule));
        _max32 = _dma32;
        _list.Add(_anchor);
        _cached = _cached32 = _anchor;
        for (int i = 0; i < 6; i++) { _loaded[i] = new(); _prev[i] = new(); _depot[i] = new(); }
    }

    private int Index(R r) => _list.IndexOf(r);
    private R? PrevOf(R r) { int i = Index(r); return i > 0 ? _list[i - 1] : null; }
    private R? NextOf(R r) { int i = Index(r); return i + 1 < _list.Count ? _list[i + 1] : null; }

    private void InsertSorted(R r)
    {
        int i = 0;
        while (i < _list.Count && _list[i].Lo < r.Lo) i++;
        _list.Insert(i, r);
    }

    public ulong? Alloc(ulong size, ulong limitPfn, bool aligned)
    {
        ulong limit = limitPfn + 1;
        ulong mask = aligned ? ~0UL << (size - 1 == 0 ? 0 : 64 - BitOperations.LeadingZeroCount(size - 1)) : ~0UL;
        if (limit <= _dma32 && size >= _max32) return null;
        R? curr = limit <= _dma32 ? _cached32 : _cached;
        ulong retry = curr.Hi, high = limit, low = _start, pfn;
        R prev;
        while (true)
        {
            do
            {
                high = Math.Min(high, curr!.Lo);
                pfn = (high - size) & mask;
                prev = curr;
                curr = PrevOf(curr);
            } while (curr is not null && pfn <= curr.Hi && pfn >= low);
            if (high < size || pfn < low)
            {
                if (low == _start && retry < limit)
                {
                    high = limit;
                    low = retry + 1;
                    curr = limit > _dma32 ? _anchor : _list.First(r => r.Hi >= limit);
                    continue;
                }
                _max32 = size;
                return null;
            }
            break;
        }
        var n = new R(pfn, pfn + size - 1);
        InsertSorted(n);
        if (n.Hi < _dma32) _cached32 = n; else _cached = n;
        return pfn;
    }

    public void Free(ulong pfn)
    {
        var r = _list.FirstOrDefault(x => x.Lo <= pfn && pfn <= x.Hi);
        if (r is null || r == _anchor) return;
        if (r == _cached32 || (r.Hi < _dma32 && r.Lo >= _cached32.Lo)) _cached32 = NextOf(r)!;
        if (r.Lo < _dma32) _max32 = _dma32;
        if (r.Lo >= _cached.Lo) _cached = NextOf(r)!;
        _list.Remove(r);
    }

    public (ulong, ulong)? Reserve(ulong lo, ulong hi)
    {
        bool overlap = false;
        foreach (var r in _list.ToList())
        {
            if (lo <= r.Hi && hi >= r.Lo)
            {
                if (lo < r.Lo) r.Lo = lo;
                if (hi > r.Hi) lo = r.Hi + 1;
                if (lo >= r.Lo && hi <= r.Hi) return (r.Lo, r.Hi);
                overlap = true;
            }
            else if (overlap) break;
        }
        InsertSorted(new R(lo, hi));
        return (lo, hi);
    }

    private static int Order(ulong n) => n <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount(n - 1);

    public ulong AllocFast(ulong size, ulong limitPfn, bool flush)
    {
        if (size < 32) size = BitOperations.RoundUpToPowerOf2(size);
        int o = Order(size);
        if (o < 6)
        {
            if (_loaded[o].Count == 0 && _prev[o].Count > 0) (_loaded[o], _prev[o]) = (_prev[o], _loaded[o]);
            else if (_loaded[o].Count == 0 && _depot[o].Count > 0) _loaded[o] = _depot[o].Pop();
            var m = _loaded[o];
            ulong lim = limitPfn + 1 - size;
            for (int i = m.Count - 1; i >= 0; i--)
                if (m[i] <= lim)
                {
                    ulong p = m[i];
                    m[i] = m[^1];
                    m.RemoveAt(m.Count - 1);
                    return p;
                }
        }
        while (true)
        {
            var r = Alloc(size, limitPfn, true);
            if (r is { } got) return got;
            if (!flush) return 0;
            flush = false;
            for (int i = 0; i < 6; i++)
            {
                foreach (var p in _loaded[i]) Free(p);
                _loaded[i].Clear();
                foreach (var p in _prev[i]) Free(p);
                _prev[i].Clear();
            }
            for (int i = 0; i < 6; i++)
                while (_depot[i].Count > 0) foreach (var p in _depot[i].Pop()) Free(p);
        }
    }

    public void FreeFast(ulong pfn, ulong size)
    {
        int o = Order(size);
        if (o >= 6) { Free(pfn); return; }
        if (_loaded[o].Count == 127)
        {
            if (_prev[o].Count < 127) (_loaded[o], _prev[o]) = (_prev[o], _loaded[o]);
            else { _depot[o].Push(_loaded[o]); _loaded[o] = new List<ulong>(); }
        }
        _loaded[o].Add(pfn);
    }

    public IEnumerable<(ulong, ulong)> Dump() => _list.Where(r => r != _anchor).Select(r => (r.Lo, r.Hi));
}
