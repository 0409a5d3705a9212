using CsCheck;
using ScenarioEngine.Dma;

namespace ScenarioEngine.Tests;

/// <summary>The engine's allocator against the naive model on long random sequences (CsCheck).</summary>
public class IovaPropertyTests
{
    private static readonly Gen<(int Kind, ulong Size, int Limit, int Pick)> Op =
        Gen.Select(Gen.Int[0, 9], Gen.ULong[1, 300], Gen.Int[0, 4], Gen.Int[0, 10_000]);

    private static readonly ulong[] Limits = [0xff, 0xffff, 0xf_ffff, 0xff_ffff, (1UL << 40) - 1];

    [Fact]
    public void Random_sequences_give_the_same_results_as_a_naive_allocator_written_from_the_spec()
    {
        Gen.Select(Op.Array[50, 600], Gen.ULong[1, 64]).Sample(t =>
        {
            var (ops, start) = t;
            var real = new IovaAllocator(4096, start);
            var model = new NaiveIova(4096, start);
            var live = new List<(ulong Pfn, ulong Size, bool Fast)>();
            foreach (var (kind, size, li, pick) in ops)
            {
                ulong limit = Limits[li];
                switch (kind)
                {
                    case 0 or 1:
                    {
                        bool aligned = kind == 0;
                        var a = real.Alloc(size, limit, aligned);
                        Assert.Equal(model.Alloc(size, limit, aligned), a);
                        if (a is { } p) live.Add((p, size, false));
                        break;
                    }
                    case 2 or 3 or 4:
                    {
                        bool flush = kind != 4;
                        var a = real.AllocFast(size % 70 + 1, limit, flush);
                        Assert.Equal(model.AllocFast(size % 70 + 1, limit, flush), a);
                        if (a != 0) live.Add((a, size % 70 + 1, true));
                        break;
                    }
                    case 5 or 6 or 7 when live.Count > 0:
                    {
                        var (pfn, sz, fast) = live[pick % live.Count];
                        live.RemoveAt(pick % live.Count);
                        if (fast) { real.FreeFast(pfn, sz); model.FreeFast(pfn, sz); }
                        else { real.Free(pfn); model.Free(pfn); }
                        break;
                    }
                    case 8:
                    {
                        ulong lo = (ulong)pick * 37 % 0x10_0000, hi = lo + size;
                        Assert.Equal(model.Reserve(lo, hi), real.Reserve(lo, hi));
                        break;
                    }
                    default:
                        Assert.Equal(model.Dump(), real.Dump());
                        break;
                }
            }
            Assert.Equal(model.Dump(), real.Dump());
        }, iter: 150);
    }

    [Fact]
    public void The_tree_stays_correct_with_a_hundred_thousand_live_ranges()
    {
        var iovad = new IovaAllocator(4096, 1);
        ulong last = ulong.MaxValue;
        for (int i = 0; i < 100_000; i++)
        {
            var p = iovad.Alloc(1 + (ulong)(i % 7), (1UL << 40) - 1, true)!.Value;
            Assert.True(p < last);
            last = p;
        }
        Assert.Equal(100_000, iovad.Count);
        for (int i = 0; i < 100_000; i += 2) iovad.Free(iovad.Dump().ElementAt(0).Lo);
        Assert.Equal(50_000, iovad.Count);
    }
}

/// <summary>iova_depot_work_func (iova.c, Linux ≥ 6.7): the depot is trimmed to one magazine per CPU, 100 ms at a time.</summary>
public class IovaDepotTests
{
    [Fact]
    public void Depot_magazines_beyond_one_per_cpu_return_to_the_tree_every_100_ms()
    {
        var iovad = new IovaAllocator(4096, 1);
        var pfns = new List<ulong>();
        for (int i = 0; i < 508; i++) pfns.Add(iovad.AllocFast(1, 0xfffff, true));
        foreach (var p in pfns) iovad.FreeFast(p, 1);
        var order0 = iovad.RcacheState[0];
        Assert.Equal((127, 127, 2), (order0.Loaded, order0.Prev, order0.DepotMagazines));
        Assert.Equal(508, iovad.Count);
        iovad.RunDepotWork(99);
        Assert.Equal(508, iovad.Count);
        iovad.RunDepotWork(100);
        Assert.Equal(508 - 127, iovad.Count);
        Assert.Equal(1, iovad.RcacheState[0].DepotMagazines);
        iovad.RunDepotWork(1000);
        Assert.Equal(508 - 127, iovad.Count);
    }
}
