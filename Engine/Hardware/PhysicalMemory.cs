namespace ScenarioEngine.Hardware;

/// <summary>
/// Simulated physical memory holding page-table descriptors: sparse 4 KiB frames of 32-bit words,
/// addressed by physical address. Frames never written read as zero, like freshly zeroed pages.
/// Only descriptor storage is modelled; data buffers the devices read and write are not stored.
/// </summary>
public sealed class PhysicalMemory
{
    private readonly Dictionary<ulong, uint[]> _frames = new();
    private ulong _lastPfn = ulong.MaxValue;
    private uint[]? _last;

    private uint[]? Frame(ulong pa, bool create)
    {
        var pfn = pa >> 12;
        if (pfn == _lastPfn) return _last;
        if (!_frames.TryGetValue(pfn, out var f))
        {
            if (!create) return null;
            f = new uint[1024];
            _frames[pfn] = f;
        }
        _lastPfn = pfn;
        _last = f;
        return f;
    }

    public uint Read32(ulong pa) => Frame(pa, false) is { } f ? f[(pa & 0xfff) >> 2] : 0u;

    public void Write32(ulong pa, uint value)
    {
        var f = Frame(pa, value != 0);
        if (f is not null) f[(pa & 0xfff) >> 2] = value;
    }

    public void Zero(ulong pa, ulong bytes)
    {
        for (ulong a = pa; a < pa + bytes; a += 4) Write32(a, 0);
    }
}
