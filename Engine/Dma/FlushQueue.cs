namespace ScenarioEngine.Dma;

/// <summary>
/// The lazy-invalidation flush queue of a DMA_FQ domain (dma-iommu.c struct iova_fq and queue_iova,
/// fq_ring_free_locked, fq_flush_iotlb, fq_flush_timeout; Linux 7.0): one CPU's ring of 256 entries of
/// which 255 are usable (full when tail + 1 == head), each stamped with fq_flush_start_cnt; an entry's
/// IOVA is freed (free_iova_fast) only once fq_flush_finish_cnt has passed its stamp, i.e. after a
/// full IOTLB flush that started later. The timer (10 ms) is armed on the first queued entry.
/// Not modelled: the 32768-entry single queue of shadow_on_flush devices, page-table page freelists.
/// </summary>
public sealed class FlushQueue
{
    public const int Size = 256;
    public const long TimeoutMs = 10;

    private readonly (ulong Pfn, ulong Pages, ulong Counter)[] _entries = new (ulong, ulong, ulong)[Size];
    private int _head, _tail;
    private ulong _flushStart, _flushFinish;

    public bool TimerOn { get; private set; }
    public long TimerDue { get; private set; }
    public int Count => (_tail - _head + Size) % Size;
    public ulong FlushCount => _flushFinish;

    /// <summary>queue_iova: free what was already flushed; if full, flush now; add; arm the timer.</summary>
    public void Queue(IovaAllocator iovad, ulong pfn, ulong pages, long nowMs, Action flushIotlbAll)
    {
        RingFree(iovad);
        if (((_tail + 1) % Size) == _head)
        {
            FlushIotlb(flushIotlbAll);
            RingFree(iovad);
        }
        _entries[_tail] = (pfn, pages, _flushStart);
        _tail = (_tail + 1) % Size;
        if (!TimerOn)
        {
            TimerOn = true;
            TimerDue = nowMs + TimeoutMs;
        }
    }

    /// <summary>fq_flush_timeout: disarm, flush the IOTLB, free every entry the flush covered.</summary>
    public void Timeout(IovaAllocator iovad, Action flushIotlbAll)
    {
        TimerOn = false;
        FlushIotlb(flushIotlbAll);
        RingFree(iovad);
    }

    private void FlushIotlb(Action flushIotlbAll)
    {
        _flushStart++;
        flushIotlbAll();
        _flushFinish++;
    }

    private void RingFree(IovaAllocator iovad)
    {
        while (_head != _tail)
        {
            var e = _entries[_head];
            if (e.Counter >= _flushFinish) break;
            iovad.FreeFast(e.Pfn, e.Pages);
            _head = (_head + 1) % Size;
        }
    }

    /// <summary>Pending entries, oldest first: (pfn, pages).</summary>
    public IEnumerable<(ulong Pfn, ulong Pages)> Pending()
    {
        for (int i = _head; i != _tail; i = (i + 1) % Size) yield return (_entries[i].Pfn, _entries[i].Pages);
    }
}
