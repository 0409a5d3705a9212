using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

using System.Runtime.CompilerServices;

namespace ScenarioEngine.PageTables;

/// <summary>
/// ARMv7 short-descriptor format (drivers/iommu/io-pgtable-arm-v7s.c, Linux 7.0). Models: two levels (L1 4096 entries, or 2^(ias−20) with
/// ARM_MTK_EXT; L2 256 entries), 4K small pages, 64K large pages and 16M supersections written as 16
/// identical replicas, 1M sections, arm_v7s_prot_to_pte attributes, quirks ARM_NS, NO_PERMS,
/// ARM_MTK_EXT (PA[34:32] → PTE bits 9/4/5), ARM_MTK_TTBR_EXT (tables above 4 GiB, TTBR PA[34:32] in
/// bits 2:0), one walk per page in map_pages/unmap_pages, the -EEXIST and silent section-over-table
/// rules of arm_v7s_init_pte, refusal (0) of a partial unmap of a large entry, empty L2 tables kept.
/// Descriptors live in <see cref="PhysicalMemory"/> at table addresses from <see cref="PageAllocator"/>.
/// Not modelled: TLB maintenance callbacks (the IOMMU core's gather is used instead), cache flushing of
/// non-coherent walks, the split-on-unmap behaviour of kernels before ≈v6.13.
/// </summary>
public sealed class ArmV7sPageTable : IIoPageTable
{
    /// <summary>ARM_V7S's entry of io_pgtable_init_table (io_pgtable_arm_v7s_init_fns): 4K/64K/1M/16M by default.</summary>
    public static readonly IoPgtableFormat InitFns = new("arm-v7s", SupportedSizes, 4,
        "arm_v7s_alloc_pgtable: ias ≤ 32 (34 with arm-mtk-ext) and at least 20 (below, the level-1 table's size shifts by a negative count), oas ≤ 32 (35), arm-mtk-ext needs no-perms, arm-mtk-ttbr-ext needs arm-mtk-ext",
        (cfg, mem, pages) => Alloc(cfg, mem, pages));

    private const uint TypeTable = 0x1, TypePage = 0x2, TypeLargePage = 0x1;
    private const int ContPages = 16;
    private const uint ContSection = 1u << 18; // supersection
    private const uint NsSection = 1u << 19, NsTable = 1u << 3;
    private const uint AttrB = 1u << 2, AttrC = 1u << 3;
    private const uint AttrNg = 1u << 7, AttrS = 1u << 6, AttrApRdonly = 1u << 5, AttrApUnpriv = 1u << 1, PteAf = 1u << 0;
    private const int L2Bytes = 1024;
    public const ulong SupportedSizes = 0x1000 | 0x10000 | 0x100000 | 0x1000000;

    private readonly PhysicalMemory _mem;
    private readonly PageAllocator _alloc;
    private readonly ulong _l1;
    private readonly int _l1Bits;
    private readonly ulong _l1Mask;
    /// <summary>Level-1 descriptors, registered in <see cref="PhysicalMemory"/> at <see cref="L1Pa"/>.</summary>
    private readonly uint[] _l1e;
    /// <summary>The level-2 table behind each level-1 table entry (null elsewhere), with its physical address.</summary>
    private readonly uint[]?[] _l2;
    private readonly ulong[] _l2Pa;
    private (Prot Prot, uint Pte) _protL1 = ((Prot)(-1), 0), _protL2 = ((Prot)(-1), 0);

    /// <summary>arm_v7s_prot_to_pte, remembered for the last prot per level (map calls repeat it).</summary>
    private uint ProtPte(Prot prot, int lvl, ref (Prot Prot, uint Pte) cache)
    {
        if (cache.Prot != prot) cache = (prot, ProtToPte(prot, lvl));
        return cache.Pte;
    }
    private readonly HashSet<string> _warnedOnce = new();
    private ulong _tableBytes;

    public IoPgtableFormat Fmt => InitFns;
    public string Format => InitFns.Name;
    public IoPgtableCfg Cfg { get; }
    public ulong Ttbr { get; }
    public int Warnings { get; private set; }
    public ulong TableBytes => _tableBytes;
    public ulong L1Pa => _l1;

    // The quirks never change after alloc: kept as fields so the hot paths test a bool, not the cfg.
    private readonly bool _mtk, _ttbrExt;
    private readonly int _ias, _oas;
    private ulong TableLimit => _ttbrExt ? 1UL << Cfg.Oas : 1UL << 32;

    private ArmV7sPageTable(IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc, ulong l1, int l1Bits)
    {
        Cfg = cfg;
        _mtk = (cfg.Quirks & PgtableQuirks.ArmMtkExt) != 0;
        _ttbrExt = (cfg.Quirks & PgtableQuirks.ArmMtkTtbrExt) != 0;
        _ias = cfg.Ias;
        _oas = cfg.Oas;
        _mem = mem;
        _alloc = alloc;
        _l1 = l1;
        _l1Bits = l1Bits;
        _l1Mask = (1UL << l1Bits) - 1;
        _l1e = new uint[1 << l1Bits];
        _l2 = new uint[]?[1 << l1Bits];
        _l2Pa = new ulong[1 << l1Bits];
        mem.Map(l1, _l1e);
        _tableBytes = (4UL << l1Bits);
        Ttbr = _mtk ? (l1 & 0xffff_ffffUL) | (l1 >> 32)
                   : l1 | (cfg.CoherentWalk ? 0x6AUL : 0x2UL);
    }

    /// <summary>
    /// arm_v7s_alloc_pgtable: ias ≤ 32 (34 with MTK_EXT), oas ≤ 32 (35 with MTK_EXT); MTK_EXT needs
    /// NO_PERMS; MTK_TTBR_EXT needs MTK_EXT; pgsize_bitmap is narrowed to 4K|64K|1M|16M. ias 20 gives a
    /// one-entry level-1 table; below 20 is refused (the kernel's shift by a negative count).
    /// Returns null where the kernel returns NULL.
    /// </summary>
    public static ArmV7sPageTable? Alloc(IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc)
    {
        var q = cfg.Quirks;
        const PgtableQuirks accepted = PgtableQuirks.ArmNs | PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt | PgtableQuirks.ArmMtkTtbrExt;
        if ((q & ~accepted) != 0) return null;
        bool mtk = (q & PgtableQuirks.ArmMtkExt) != 0;
        if (cfg.Ias > (mtk ? 34 : 32) || cfg.Oas > (mtk ? 35 : 32)) return null;
        if (mtk && (q & PgtableQuirks.NoPerms) == 0) return null;
        if ((q & PgtableQuirks.ArmMtkTtbrExt) != 0 && !mtk) return null;
        // _ARM_V7S_LVL_BITS(1) = ias - 20: ias 20 is a level-1 table of one entry (accepted, as the
        // kernel accepts it); below 20 the kernel shifts by a negative count (undefined behaviour in C),
        // which the engine refuses rather than guess.
        int l1Bits = cfg.Ias - 20;
        if (l1Bits < 0) return null;
        var narrowed = cfg with { PgsizeBitmap = cfg.PgsizeBitmap & SupportedSizes };
        // __arm_v7s_alloc_table(1): __get_free_pages(get_order(size)), whole pages aligned to their size
        ulong l1Size = Math.Max(4UL << l1Bits, 0x1000);
        ulong limit = (q & PgtableQuirks.ArmMtkTtbrExt) != 0 ? 1UL << cfg.Oas : 1UL << 32;
        var l1 = alloc.AllocKernel(l1Size, l1Size, limit);
        if (l1 is null) return null;
        return new ArmV7sPageTable(narrowed, mem, alloc, l1.Value, l1Bits);
    }

    // ----- geometry -----
    private static int LvlShift(int lvl) => lvl == 1 ? 20 : 12;
    private ulong LvlIdx(ulong iova, int lvl) => lvl == 1 ? (iova >> 20) & _l1Mask : (iova >> 12) & 0xff;
    private static uint LvlMask(int lvl) => lvl == 1 ? 0xfff0_0000u : 0xffff_f000u;
    private static bool IsValid(uint pte) => (pte & 3) != 0;
    private static bool IsTable(uint pte, int lvl) => lvl == 1 && (pte & 3) == TypeTable;
    private static bool IsCont(uint pte, int lvl) => lvl == 1 ? !IsTable(pte, 1) && (pte & ContSection) != 0 : (pte & 3) == TypeLargePage;

    private void Warn(string? onceKey = null)
    {
        if (onceKey is not null && !_warnedOnce.Add(onceKey)) return;
        Warnings++;
    }

    // ----- descriptor encoding (arm_v7s_prot_to_pte, to_mtk_iopte, arm_v7s_pte_to_cont) -----
    private uint ProtToPte(Prot prot, int lvl)
    {
        bool ap = (Cfg.Quirks & PgtableQuirks.NoPerms) == 0;
        uint pte = AttrNg | AttrS;
        if ((prot & Prot.Mmio) == 0) pte |= 1u << 2; // TEX = 1 (normal memory)
        if (ap)
        {
            pte |= PteAf;
            if ((prot & Prot.Priv) == 0) pte |= AttrApUnpriv;
            if ((prot & Prot.Write) == 0) pte |= AttrApRdonly;
        }
        pte <<= lvl == 1 ? 10 : 4;
        if ((prot & Prot.NoExec) != 0 && ap) pte |= lvl == 1 ? 1u << 4 : 1u;
        if ((prot & Prot.Mmio) != 0) pte |= AttrB;
        else if ((prot & Prot.Cache) != 0) pte |= AttrB | AttrC;
        pte |= TypePage;
        if (lvl == 1 && (Cfg.Quirks & PgtableQuirks.ArmNs) != 0) pte |= NsSection;
        return pte;
    }

    private static uint ToCont(uint pte, int lvl)
    {
        if (lvl == 1) return pte | ContSection;
        uint xn = pte & 1u;
        uint tex = (pte >> 6) & 7u;
        pte &= ~(1u | (7u << 6));
        pte |= (tex << 12) | (xn << 15);
        pte ^= TypePage | TypeLargePage;
        return pte;
    }

    private uint PaddrToPte(ulong pa, int lvl)
    {
        uint pte = (uint)pa & LvlMask(lvl);
        return _mtk ? ToMtk(pa, pte) : pte;
    }

    private static uint ToMtk(ulong pa, uint pte)
    {
        if ((pa & (1UL << 32)) != 0) pte |= 1u << 9;
        if ((pa & (1UL << 33)) != 0) pte |= 1u << 4;
        if ((pa & (1UL << 34)) != 0) pte |= 1u << 5;
        return pte;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PteToPaddr(uint pte, int lvl)
    {
        uint mask = LvlMask(lvl);
        if (IsCont(pte, lvl)) mask = (uint)(mask * (ulong)ContPages);
        ulong pa = pte & mask;
        return _mtk ? pa | MtkHigh(pte) : pa;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MtkHigh(uint pte)
    {
        ulong pa = 0;
        if ((pte & (1u << 9)) != 0) pa |= 1UL << 32;
        if ((pte & (1u << 4)) != 0) pa |= 1UL << 33;
        if ((pte & (1u << 5)) != 0) pa |= 1UL << 34;
        return pa;
    }

    /// <summary>iopte_deref: the L2 table address held in an L1 table entry.</summary>
    private ulong TableOf(uint pte)
    {
        ulong pa = pte & 0xffff_fc00u;
        return _ttbrExt ? pa | MtkHigh(pte) : pa;
    }

    private uint TablePte(ulong tablePa)
    {
        uint pte = ((uint)tablePa & 0xffff_fc00u) | TypeTable;
        if ((Cfg.Quirks & PgtableQuirks.ArmNs) != 0) pte |= NsTable;
        return _ttbrExt ? ToMtk(tablePa, pte) : pte;
    }


    // ----- map (arm_v7s_map_pages, __arm_v7s_map, arm_v7s_init_pte) -----
    public Outcome MapPages(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, out ulong mapped)
    {
        mapped = 0;
        if (iova >> _ias != 0 || paddr >> _oas != 0)
        {
            Warn();
            return Outcome.Fail(Errno.ERANGE, $"arm_v7s_map_pages: iova {Hex.Of(iova)} ≥ 2^{Cfg.Ias} or pa {Hex.Of(paddr)} ≥ 2^{Cfg.Oas} (io-pgtable-arm-v7s.c)");
        }
        if ((prot & (Prot.Read | Prot.Write)) == 0)
            return Outcome.Fail(Errno.EINVAL, "arm_v7s_map_pages: prot has neither READ nor WRITE (io-pgtable-arm-v7s.c)");
        // arm_v7s_map_pages (Linux 7.0) starts from ret = -EINVAL and only its loop sets it: with
        // pgcount 0 the loop never runs, so 0 bytes are mapped and -EINVAL comes back (LPAE, whose
        // __arm_lpae_map is called once for the whole count, returns 0 there instead).
        if (pgcount == 0)
            return Outcome.Fail(Errno.EINVAL, "arm_v7s_map_pages: pgcount 0 — the loop never runs and ret keeps its initial -EINVAL (io-pgtable-arm-v7s.c)");
        var result = Outcome.Success;
        uint small = pgsize == 0x1000 ? ProtPte(prot, 2, ref _protL2) : 0;
        while (pgcount-- > 0)
        {
            if (pgsize == 0x1000)
            {
                // The common case, inline: the level-2 table exists (_l2 is non-null exactly where the
                // level-1 entry is a table pointer) and the slot is empty. Anything else takes MapOne.
                var l2 = _l2[(iova >> 20) & _l1Mask];
                if (l2 is not null)
                {
                    int i2 = (int)((iova >> 12) & 0xff);
                    if (l2[i2] == 0)
                    {
                        l2[i2] = small | PaddrToPte(paddr, 2);
                        iova += 0x1000;
                        paddr += 0x1000;
                        mapped += 0x1000;
                        continue;
                    }
                }
            }
            result = MapOne(iova, paddr, pgsize, prot);
            if (!result.Ok) break;
            iova += pgsize;
            paddr += pgsize;
            mapped += pgsize;
        }
        return result;
    }

    private Outcome MapOne(ulong iova, ulong paddr, ulong size, Prot prot)
    {
        ulong i1 = (iova >> 20) & _l1Mask;
        if (size >= 0x10_0000)
            return InitPte(iova, paddr, prot, 1, (int)(size >> 20), _l1e, i1);
        // Below a section __arm_v7s_map goes to level 2 first — installing an empty L2 table, or -EEXIST
        // under a section — and only there finds no whole entry for a size below 4K (WARN_ON(lvl == 2)).
        uint pte = _l1e[i1];
        uint[]? l2;
        if (pte == 0)
        {
            var l2pa = _alloc.AllocKernel(L2Bytes, L2Bytes, TableLimit);
            if (l2pa is null)
                return Outcome.Fail(Errno.ENOMEM, "__arm_v7s_alloc_table: no memory for an L2 table below the table address limit (io-pgtable-arm-v7s.c)");
            l2 = new uint[256];
            _mem.Map(l2pa.Value, l2);
            _tableBytes += L2Bytes;
            _l2[i1] = l2;
            _l2Pa[i1] = l2pa.Value;
            _l1e[i1] = TablePte(l2pa.Value);
        }
        else if (IsTable(pte, 1)) l2 = _l2[i1]!;
        else
        {
            Warn();
            return Outcome.Fail(Errno.EEXIST, $"__arm_v7s_map: {Hex.Of(iova & ~0xfffffUL)} is already a {(IsCont(pte, 1) ? "16M supersection" : "1M section")}; a smaller page cannot go under it (io-pgtable-arm-v7s.c)");
        }
        if (size < 0x1000)
        {
            Warn();
            return Outcome.Fail(Errno.EINVAL, $"__arm_v7s_map: size {Hex.Size(size)} is smaller than a 4K page (io-pgtable-arm-v7s.c)");
        }
        return InitPte(iova, paddr, prot, 2, (int)(size >> 12), l2, (iova >> 12) & 0xff);
    }

    private Outcome InitPte(ulong iova, ulong paddr, Prot prot, int lvl, int num, uint[] table, ulong idx)
    {
        ulong sz = 1UL << LvlShift(lvl);
        if (idx + (ulong)num > (ulong)table.Length)
        {
            Warn();
            return Outcome.Fail(Errno.EINVAL, $"__arm_v7s_map: {num} entries from index {idx} run past the end of the level-{lvl} table (a misaligned request the core would not make)");
        }
        for (int i = 0; i < num; i++)
        {
            uint old = table[idx + (ulong)i];
            if (IsTable(old, lvl))
            {
                // A section over an L2 table: the table and every page under it go, silently.
                if (UnmapOne(iova + (ulong)i * sz, sz) != sz)
                {
                    Warn();
                    return Outcome.Fail(Errno.EINVAL, "arm_v7s_init_pte: could not unmap the L2 table being replaced (io-pgtable-arm-v7s.c)");
                }
            }
            else if (old != 0)
            {
                Warn();
                return Outcome.Fail(Errno.EEXIST, $"arm_v7s_init_pte: {Hex.Of(iova + (ulong)i * sz)} is already mapped (io-pgtable-arm-v7s.c)");
            }
        }
        uint pte = lvl == 1 ? ProtPte(prot, 1, ref _protL1) : ProtPte(prot, 2, ref _protL2);
        if (num > 1) pte = ToCont(pte, lvl);
        pte |= PaddrToPte(paddr, lvl);
        table.AsSpan((int)idx, num).Fill(pte);
        return Outcome.Success;
    }

    // ----- unmap (arm_v7s_unmap_pages, __arm_v7s_unmap) -----
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ulong UnmapPages(ulong iova, ulong pgsize, ulong pgcount)
    {
        if (iova >> _ias != 0) { Warn(); return 0; }
        if (pgsize == 0x1000 && pgcount == 1)
        {
            // One small page (a driver unmapping page by page): the level-2 table exists exactly where
            // _l2 holds one, and an entry with bit 1 set is a small page (a large page is 0b01, whose
            // partial unmap __arm_v7s_unmap refuses): cleared at once. Anything else takes UnmapOne.
            var l2 = _l2[(iova >> 20) & _l1Mask];
            if (l2 is not null)
            {
                ref uint e = ref l2[(iova >> 12) & 0xff];
                if ((e & TypePage) != 0)
                {
                    e = 0;
                    return 0x1000;
                }
            }
        }
        ulong unmapped = 0;
        while (pgcount-- > 0)
        {
            var r = UnmapOne(iova, pgsize);
            if (r == 0) break;
            unmapped += pgsize;
            iova += pgsize;
        }
        return unmapped;
    }

    /// <summary>__arm_v7s_unmap from level 1: reads all target entries before clearing any.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ulong UnmapOne(ulong iova, ulong size)
    {
        ulong i1 = (iova >> 20) & _l1Mask;
        int num1 = (int)(size >> 20);
        if (num1 > 0)
        {
            if (i1 + (ulong)num1 > (ulong)_l1e.Length) { Warn(); return 0; }
            for (int i = 0; i < num1; i++)
                if (!IsValid(_l1e[i1 + (ulong)i])) { Warn(); return 0; }
            if (num1 == 1 && IsCont(_l1e[i1], 1)) { Warn("partial-large"); return 0; }
            for (int i = 0; i < num1; i++)
            {
                ulong k = i1 + (ulong)i;
                uint old = _l1e[k];
                _l1e[k] = 0;
                if (IsTable(old, 1)) FreeL2(k);
            }
            return size;
        }
        uint pte = _l1e[i1];
        if (!IsValid(pte)) { Warn(); return 0; }
        if (IsCont(pte, 1) || !IsTable(pte, 1)) { Warn("partial-large"); return 0; }
        var l2 = _l2[i1]!;
        ulong i2 = (iova >> 12) & 0xff;
        int num2 = (int)(size >> 12);
        if (num2 == 0 || i2 + (ulong)num2 > 256) { Warn(); return 0; }
        for (int i = 0; i < num2; i++)
            if (!IsValid(l2[i2 + (ulong)i])) { Warn(); return 0; }
        if (num2 == 1 && IsCont(l2[i2], 2)) { Warn("partial-large"); return 0; }
        l2.AsSpan((int)i2, num2).Clear();
        return size;
    }

    private void FreeL2(ulong i1)
    {
        _mem.Unmap(_l2Pa[i1], L2Bytes);
        _alloc.FreeKernel(_l2Pa[i1], L2Bytes);
        _l2[i1] = null;
        _tableBytes -= L2Bytes;
    }

    // ----- lookup (arm_v7s_iova_to_phys) -----
    public ulong IovaToPhys(ulong iova)
    {
        // One path per level (the mask decides both the address bits and the offset bits): a
        // contiguous entry — large page at level 2, supersection at level 1 — covers 16 of its size.
        ulong i1 = (iova >> 20) & _l1Mask;
        uint pte = _l1e[i1];
        uint mask;
        if ((pte & 3) == TypeTable)
        {
            pte = _l2[i1]![(iova >> 12) & 0xff];
            if ((pte & 3) == 0) return 0;
            mask = (pte & 3) == TypeLargePage ? 0xffff_0000u : 0xffff_f000u;
        }
        else
        {
            if ((pte & 3) == 0) return 0;
            mask = (pte & ContSection) != 0 ? 0xff00_0000u : 0xfff0_0000u;
        }
        ulong pa = pte & mask;
        if (_mtk) pa |= MtkHigh(pte);
        return pa | (iova & ~(ulong)mask & 0xffff_ffffUL);
    }

    public IReadOnlyList<WalkStep> Walk(ulong iova)
    {
        var steps = new List<WalkStep>(2);
        ulong idx1 = LvlIdx(iova, 1);
        uint l1 = _l1e[idx1];
        steps.Add(new WalkStep(1, idx1, l1, _l1));
        if (IsTable(l1, 1))
        {
            ulong idx2 = LvlIdx(iova, 2);
            steps.Add(new WalkStep(2, idx2, _l2[idx1]![idx2], TableOf(l1)));
        }
        return steps;
    }

    public IEnumerable<Leaf> Leaves()
    {
        ulong n1 = 1UL << _l1Bits;
        for (ulong i = 0; i < n1; i++)
        {
            uint pte = _l1e[i];
            if (!IsValid(pte)) continue;
            if (IsTable(pte, 1))
            {
                var t = _l2[i]!;
                for (ulong j = 0; j < 256; j++)
                {
                    uint p2 = t[j];
                    if (!IsValid(p2)) continue;
                    bool cont = IsCont(p2, 2);
                    if (cont && (j & 15) != 0) continue;
                    ulong size = cont ? 0x10000UL : 0x1000UL;
                    yield return new Leaf((i << 20) | (j << 12), PteToPaddr(p2, 2), size, DecodeProt(p2, 2));
                    if (cont) j += 15;
                }
            }
            else
            {
                bool cont = IsCont(pte, 1);
                if (cont && (i & 15) != 0) continue;
                ulong size = cont ? 0x100_0000UL : 0x10_0000UL;
                yield return new Leaf(i << 20, PteToPaddr(pte, 1), size, DecodeProt(pte, 1));
                if (cont) i += 15;
            }
        }
    }

    public string Describe(ulong pte64, int level)
    {
        uint pte = (uint)pte64;
        if (!IsValid(pte)) return "invalid";
        if (IsTable(pte, level))
            return $"table → {Hex.Of(TableOf(pte))}" + ((pte & NsTable) != 0 && (Cfg.Quirks & PgtableQuirks.ArmNs) != 0 ? " NSTABLE" : "");
        int shift = level == 1 ? 10 : 4;
        uint attr = (pte >> shift) & 0xff;
        bool largeL2 = level == 2 && (pte & 3) == TypeLargePage;
        string type = level == 1 ? (IsCont(pte, 1) ? "supersection 16M ×16" : "section 1M") : largeL2 ? "large page 64K ×16" : "small page 4K";
        uint tex = largeL2 ? (pte >> 12) & 7 : (attr >> 2) & 7;
        var f = new List<string> { type, "pa " + Hex.Of(PteToPaddr(pte, level)) };
        bool mtk = _mtk;
        if ((Cfg.Quirks & PgtableQuirks.NoPerms) == 0)
        {
            f.Add($"AF={attr & 1} AP1={(attr >> 1) & 1} AP2={(attr >> 5) & 1}");
            bool xn = level == 1 ? (pte & (1u << 4)) != 0 : largeL2 ? (pte & (1u << 15)) != 0 : (pte & 1u) != 0;
            if (xn) f.Add("XN");
        }
        f.Add($"TEX={tex} C={(pte >> 3) & 1} B={(pte >> 2) & 1} S={(attr >> 6) & 1} nG={(attr >> 7) & 1}");
        if (level == 1 && (pte & NsSection) != 0) f.Add("NS");
        if (mtk && MtkHigh(pte) != 0) f.Add($"MTK PA[34:32]={MtkHigh(pte) >> 32}");
        return string.Join(", ", f);
    }

    /// <summary>What a walker grants for a leaf: with NO_PERMS every mapping is read/write.</summary>
    private Prot DecodeProt(uint pte, int lvl)
    {
        int shift = lvl == 1 ? 10 : 4;
        uint attr = (pte >> shift) & 0xff;
        bool largeL2 = lvl == 2 && (pte & 3) == TypeLargePage;
        uint tex = largeL2 ? (pte >> 12) & 7 : (attr >> 2) & 7;
        var prot = Prot.Read;
        bool ap = (Cfg.Quirks & PgtableQuirks.NoPerms) == 0;
        if (!ap || (attr & AttrApRdonly) == 0) prot |= Prot.Write;
        if (ap)
        {
            if ((attr & AttrApUnpriv) == 0) prot |= Prot.Priv;
            bool xn = lvl == 1 ? (pte & (1u << 4)) != 0 : largeL2 ? (pte & (1u << 15)) != 0 : (pte & 1u) != 0;
            if (xn) prot |= Prot.NoExec;
        }
        if (tex == 0 && (pte & AttrB) != 0) prot |= Prot.Mmio;
        else if ((pte & (AttrB | AttrC)) == (AttrB | AttrC)) prot |= Prot.Cache;
        return prot;
    }
}
